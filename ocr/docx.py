"""Word documents (``.docx``) → one page of lines and grids, in document order.

python-docx opens the package; the body is then walked in XML order, because
``Document.paragraphs`` and ``Document.tables`` are two separate lists that lose
where each table stands among the paragraphs. A paragraph becomes one line per
soft line break, followed by a blank line (a paragraph end, as in a text dump).

Merged cells: python-docx's ``table.rows[i].cells`` repeats a merged cell once
per grid column it covers, so the spans are read from the XML instead:
``w:gridSpan`` is a horizontal span, ``w:vMerge="restart"`` opens a vertical
merge and a bare ``w:vMerge`` continues the cell above (its text is empty and
is not a cell of its own); ``w:gridBefore`` shifts a row's first cell right; a
legacy ``w:hMerge`` continuation widens the cell on its left.
Text boxes, headers and footers are not read: page furniture, not report text.

Automatic list numbering: offices often let Word number the headings
(``一、总体情况`` typed as ``总体情况`` in a list whose level prints ``%1、`` in
Chinese counting). The number is not in the text, so ``Numbering`` renders it
from ``numbering.xml`` (counters per list, deeper levels restarting), because
the sections 一 … 六 are found by those labels. Bullets are left out.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib

from .errors import ReadError
from .model import Grid, GridCell, Line, Page

DOCX_MEDIA = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

# How large a Word document may be once unpacked, checked before python-docx opens
# it (it holds every part in memory, and lxml a tree of each XML part several times
# its size): the whole archive, and any one part. A report with its photographs is
# a few MiB; a 2 MB zip bomb unpacks to gigabytes.
DOCX_MAX_UNPACKED = 256 << 20
DOCX_MAX_PART = 64 << 20
DOCX_MAX_MEMBERS = 10_000
_MIB = 1 << 20


def _too_large(what: str) -> ReadError:
    return ReadError(f"Word document too large when unpacked ({what})")


def check_unpacked_size(data: bytes) -> int:
    """Refuse a ``.docx`` whose parts would inflate past ``DOCX_MAX_PART`` each or
    ``DOCX_MAX_UNPACKED`` together, before anything parses it. The sizes the zip
    declares are checked first (a bomb is refused without inflating a byte); then
    every part is inflated as a stream and counted, because a declared size can
    lie: the count stops at the cap, so nothing larger is ever held. Returns the
    unpacked size."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return 0  # not a zip at all: python-docx says what is wrong with it
    if len(infos) > DOCX_MAX_MEMBERS:
        raise _too_large(f"{len(infos)} parts > {DOCX_MAX_MEMBERS}")
    declared = sum(i.file_size for i in infos)
    if declared > DOCX_MAX_UNPACKED:
        raise _too_large(f"{declared / _MIB:.0f} MiB > {DOCX_MAX_UNPACKED // _MIB} MiB")
    for i in infos:
        if i.file_size > DOCX_MAX_PART:
            raise _too_large(f"{i.filename}: {i.file_size / _MIB:.0f} MiB > {DOCX_MAX_PART // _MIB} MiB a part")
    total = 0
    view = memoryview(data)
    for i in infos:
        budget = min(DOCX_MAX_PART, DOCX_MAX_UNPACKED - total)
        got = _inflated_size(view, i, budget)
        if got > budget:
            raise _too_large(f"{i.filename} inflates past {budget // _MIB} MiB although the zip "
                             f"says {i.file_size / _MIB:.1f} MiB")
        if got > i.file_size:
            raise ReadError(f"broken Word document (.docx): {i.filename} is larger than its zip entry says")
        total += got
    return total


def _inflated_size(view: memoryview, info: zipfile.ZipInfo, budget: int) -> int:
    """Bytes ``info`` really inflates to, counted in chunks and never past
    ``budget + 1``; from its own compressed bytes, not from its declared size."""
    off = info.header_offset
    head = bytes(view[off:off + 30])
    if len(head) < 30 or head[:4] != b"PK\x03\x04":
        return 0  # a damaged entry: python-docx refuses it
    name_len, extra_len = struct.unpack("<HH", head[26:30])
    start = off + 30 + name_len + extra_len
    raw = view[start:start + info.compress_size]
    if info.compress_type == zipfile.ZIP_STORED:
        return len(raw)
    if info.compress_type != zipfile.ZIP_DEFLATED:  # bzip2/lzma: zipfile stops at the declared size
        return info.file_size
    inflate = zlib.decompressobj(-zlib.MAX_WBITS)
    count, pos, step = 0, 0, 1 << 16
    try:
        while count <= budget:
            if inflate.unconsumed_tail:
                chunk = inflate.unconsumed_tail
            elif pos < len(raw):
                chunk = raw[pos:pos + step]
                pos += step
            else:
                break
            count += len(inflate.decompress(chunk, min(1 << 20, budget + 1 - count)))
            if inflate.eof:
                break
    except zlib.error:
        return 0  # corrupt data: python-docx (zipfile) says so
    return count


def is_docx(data: bytes) -> bool:
    """A zip holding ``word/document.xml`` (other zips: xlsx, epub, archives)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return "word/document.xml" in z.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False


def docx_problem(data: bytes) -> str:
    """Why ``data`` is no Word document, in a few words."""
    if not data.startswith(b"PK"):
        return "not a zip archive"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = z.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return "a damaged zip archive (truncated or corrupt)"
    return "a zip without word/document.xml" if "word/document.xml" not in names else "unreadable"


def _val(el, tag: str) -> str | None:
    """``w:val`` of child ``tag`` of ``el`` ('' when present without a value)."""
    if el is None:
        return None
    child = el.find(_W + tag)
    if child is None:
        return None
    return child.get(_W + "val", "")


def _int(v: str | None, default: int = 1) -> int:
    try:
        return max(0, int(v)) if v not in (None, "") else default
    except ValueError:
        return default


_CN_DIGITS = "零一二三四五六七八九"


def chinese_counting(n: int) -> str:
    """1..99 the way Word's ``chineseCounting`` prints them (十, 十一, 二十一)."""
    if n < 10:
        return _CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[ones] if ones else "") \
        if n < 100 else str(n)


def _roman(n: int) -> str:
    out = ""
    for v, s in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"),
                 (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while n >= v:
            out, n = out + s, n - v
    return out


def _format(n: int, fmt: str) -> str:
    if fmt in ("chineseCounting", "chineseCountingThousand", "chineseLegalSimplified", "ideographTraditional",
               "taiwaneseCounting", "taiwaneseCountingThousand", "japaneseCounting"):
        return chinese_counting(n)
    if fmt in ("lowerLetter", "upperLetter"):
        s = chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)
        return s.upper() if fmt == "upperLetter" else s
    if fmt in ("lowerRoman", "upperRoman"):
        return _roman(n).upper() if fmt == "upperRoman" else _roman(n)
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt == "none":
        return ""
    return str(n)  # decimal and the enclosed/full-width variants


class Numbering:
    """The list labels Word would print before numbered paragraphs."""

    def __init__(self, document):
        self.levels: dict[str, dict[int, tuple[int, str, str]]] = {}  # numId → ilvl → (start, fmt, text)
        self.counters: dict[str, dict[int, int]] = {}
        self.styles: dict[str, tuple[str, int]] = {}  # paragraph style id → (numId, ilvl)
        try:
            root = document.part.numbering_part.element
        except (NotImplementedError, KeyError, AttributeError):
            return
        abstract = {}
        for an in root.iterchildren(_W + "abstractNum"):
            abstract[an.get(_W + "abstractNumId")] = {
                _int(lvl.get(_W + "ilvl"), 0): (_int(_val(lvl, "start")), _val(lvl, "numFmt") or "decimal",
                                                 _val(lvl, "lvlText") or "")
                for lvl in an.iterchildren(_W + "lvl")}
        for num in root.iterchildren(_W + "num"):
            levels = dict(abstract.get(_val(num, "abstractNumId"), {}))
            for o in num.iterchildren(_W + "lvlOverride"):
                k = _int(o.get(_W + "ilvl"), 0)
                if k in levels and _val(o, "startOverride") is not None:
                    levels[k] = (_int(_val(o, "startOverride")),) + levels[k][1:]
            self.levels[num.get(_W + "numId")] = levels
        for style in document.styles.element.iterchildren(_W + "style"):
            num_pr = style.find(f"{_W}pPr/{_W}numPr")
            if num_pr is not None and _val(num_pr, "numId"):
                self.styles[style.get(_W + "styleId")] = (_val(num_pr, "numId"), _int(_val(num_pr, "ilvl"), 0))

    def label(self, p) -> str:
        """The label of paragraph ``p`` ('' when it is not numbered, or a bullet)."""
        ppr = p.find(_W + "pPr")
        num_pr = ppr.find(_W + "numPr") if ppr is not None else None
        if num_pr is not None:
            num_id, ilvl = _val(num_pr, "numId"), _int(_val(num_pr, "ilvl"), 0)
        else:
            style = _val(ppr, "pStyle") if ppr is not None else None
            num_id, ilvl = self.styles.get(style or "", (None, 0))
        levels = self.levels.get(num_id or "")
        if not levels or ilvl not in levels or num_id == "0":
            return ""
        counters = self.counters.setdefault(num_id, {})
        counters[ilvl] = counters.get(ilvl, levels[ilvl][0] - 1) + 1
        for deeper in [k for k in counters if k > ilvl]:
            del counters[deeper]
        start, fmt, text = levels[ilvl]
        if fmt == "bullet":
            return ""

        def number(m) -> str:
            k = int(m.group(1)) - 1
            if k not in levels:
                return ""
            return _format(counters.get(k, levels[k][0]), levels[k][1])

        return re.sub(r"%([1-9])", number, text)


_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
# not the paragraph's own visible text: text boxes (their own paragraphs), the
# fallback copy of a drawing, tracked deletions and moves away
_SKIP = {_W + "txbxContent", _MC + "Fallback", _W + "del", _W + "moveFrom", _W + "pPr", _W + "rPr"}


def _para_text(p) -> str:
    """A paragraph's text as Word shows it: runs also inside hyperlinks, fields,
    content controls and tracked insertions; a line break as ``\n``, a tab as a
    space (a tab would make the line a table row downstream)."""
    out: list[str] = []

    def walk(el) -> None:
        for child in el:
            tag = child.tag
            if tag in _SKIP:
                continue
            if tag == _W + "t":
                out.append(child.text or "")
            elif tag in (_W + "tab", _W + "ptab"):
                out.append(" ")
            elif tag in (_W + "br", _W + "cr"):
                out.append("\n")
            elif tag == _W + "noBreakHyphen":
                out.append("-")
            else:
                walk(child)

    walk(p)
    return "".join(out)


def _cell_text(tc) -> str:
    parts = [_para_text(p) for p in tc.iter(_W + "p")]
    return re.sub(r"[\s\u3000\xa0]+", " ", " ".join(parts)).strip()


def table_grid(tbl, page: int = 1, at: int | None = None) -> Grid:
    """A ``w:tbl`` as a grid, merged cells once each with their true spans."""
    cells: list[dict] = []
    open_above: dict[int, dict] = {}  # grid column → the cell a vMerge continues
    rows = [tr for tr in tbl.iterchildren(_W + "tr")]
    for r, tr in enumerate(rows):
        col = _int(_val(tr.find(_W + "trPr"), "gridBefore"), 0)
        for tc, span, vmerge in _row_entries(tr):
            above = open_above.get(col)
            if vmerge is not None and vmerge != "restart" and above is not None and above["colspan"] == span:
                above["rowspan"] = r - above["row"] + 1
            else:
                cell = {"row": r, "col": col, "text": _cell_text(tc), "rowspan": 1, "colspan": span}
                cells.append(cell)
                for k in range(col, col + span):
                    open_above.pop(k, None)
                open_above[col] = cell
            col += span
    return Grid(page, tuple(GridCell(c["row"], c["col"], c["text"], c["rowspan"], c["colspan"])
                            for c in cells), None, at)


def _row_entries(tr):
    """The row's cells as (``w:tc``, grid columns, ``w:vMerge``). A cell that a
    legacy ``w:hMerge`` continues (Word 97–2003 wrote horizontal merges so, and
    converters of old files still do) is folded into the cell on its left: Word
    shows one cell across both."""
    out: list[tuple] = []
    for tc in _row_cells(tr):
        pr = tc.find(_W + "tcPr")
        span = max(1, _int(_val(pr, "gridSpan")))
        hmerge = _val(pr, "hMerge")
        if hmerge is not None and hmerge != "restart" and out:
            first, first_span, vmerge = out[-1]
            out[-1] = (first, first_span + span, vmerge)
        else:
            out.append((tc, span, _val(pr, "vMerge")))
    return out


def _row_cells(tr):
    """The row's ``w:tc``, also those wrapped in content controls (``w:sdt``)."""
    for child in tr:
        if child.tag == _W + "tc":
            yield child
        elif child.tag == _W + "sdt":
            content = child.find(_W + "sdtContent")
            if content is not None:
                yield from content.iterchildren(_W + "tc")


def _blocks(parent):
    """Paragraphs and tables of the body in order (content controls opened)."""
    for child in parent:
        if child.tag in (_W + "p", _W + "tbl"):
            yield child
        elif child.tag == _W + "sdt":
            content = child.find(_W + "sdtContent")
            if content is not None:
                yield from _blocks(content)


def read_docx_pages(data: bytes) -> list[Page]:
    """One page (number 1, source ``docx``) with the body's lines and grids."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    check_unpacked_size(data)
    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, PackageNotFoundError, KeyError, ValueError) as exc:
        raise ReadError(f"broken Word document (.docx): {str(exc).splitlines()[0] or type(exc).__name__}") from exc
    except Exception as exc:  # noqa: BLE001 — broken XML inside the zip and the like
        raise ReadError(f"broken Word document (.docx): {type(exc).__name__}: "
                        f"{(str(exc).splitlines() or [''])[0][:120]}") from exc
    lines: list[Line] = []
    grids: list[Grid] = []
    numbering = Numbering(document)
    for block in _blocks(document.element.body):
        if block.tag == _W + "tbl":
            grids.append(table_grid(block, 1, len(lines)))
            continue
        label = numbering.label(block)  # an empty numbered paragraph still counts
        text = _para_text(block)
        if text.strip():
            text = label + text
        for part in text.split("\n"):
            part = re.sub(r"[ \t\u3000\xa0]+", " ", part).strip()
            if part:
                lines.append(Line(part))
        if lines and lines[-1].text:
            lines.append(Line(""))
    if not any(ln.text for ln in lines) and not grids:
        raise ReadError("Word document with no text")
    return [Page(1, lines, "docx", grids=grids)]
