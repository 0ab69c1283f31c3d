"""Born-digital PDFs: the text layer read with pdfplumber — no OCR where text exists.

Per page: the ruled tables are found with pdfplumber's table finder (lines
strategy) and turned into grids with merged cells kept as spans (pure geometry:
cell boxes → the distinct column and row edges → each cell's row, column and
spans); the words outside the tables are grouped into lines with their boxes.
A page with no text layer, or a garbage one (``(cid:…)`` glyphs, replacement
characters, no CJK at all in a Chinese report), is marked ``needs_ocr``.
"""

from __future__ import annotations

import re
import zlib
from io import BytesIO

import pdfplumber
from pdfminer.pdfdocument import PDFPasswordIncorrect
from pdfminer.pdftypes import LITERALS_FLATE_DECODE, PDFStream, resolve1
from pdfminer.psparser import PSException

from .errors import ReadError
from .limits import Limits
from .model import Grid, GridCell, Line, Page

TABLE_SETTINGS = {"vertical_strategy": "lines", "horizontal_strategy": "lines",
                  "snap_tolerance": 3, "join_tolerance": 3, "intersection_tolerance": 3}
_CID = re.compile(r"\(cid:\d+\)")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def _edges(values: list[float], tol: float = 1.5) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > tol:
            out.append(v)
    return out


def _index(edges: list[float], v: float, tol: float = 1.5) -> int:
    return min(range(len(edges)), key=lambda i: abs(edges[i] - v)) if edges else 0


def grid_from_cells(page_no: int, boxes: list[tuple[float, float, float, float]],
                    words: list[dict]) -> Grid:
    """Cell boxes (merged cells are single boxes) and the page's words → a Grid."""
    xs = _edges([b[0] for b in boxes] + [b[2] for b in boxes])
    ys = _edges([b[1] for b in boxes] + [b[3] for b in boxes])
    cells = []
    for b in boxes:
        c0, c1 = _index(xs, b[0]), _index(xs, b[2])
        r0, r1 = _index(ys, b[1]), _index(ys, b[3])
        inside = [w for w in words if b[0] <= (w["x0"] + w["x1"]) / 2 <= b[2]
                  and b[1] <= (w["top"] + w["bottom"]) / 2 <= b[3]]
        cells.append(GridCell(r0, c0, _join_words(inside), max(1, r1 - r0), max(1, c1 - c0),
                              tuple(round(v, 2) for v in b)))
    bbox = (xs[0], ys[0], xs[-1], ys[-1]) if xs and ys else None
    return Grid(page_no, tuple(sorted(cells, key=lambda c: (c.row, c.col))), bbox)


def _join_words(words: list[dict]) -> str:
    """Words in reading order: lines top to bottom, words left to right; CJK runs
    join without a space (a cell's label wrapped over two lines is one label)."""
    out = ""
    for ln in _group_lines(words):
        for w in ln:
            t = w["text"]
            if out and out[-1].isascii() and out[-1].isalnum() and t[:1].isascii() and t[:1].isalnum():
                out += " "
            out += t
    return out


def _group_lines(words: list[dict], tol: float = 3.0) -> list[list[dict]]:
    lines: list[list[dict]] = []
    for w in sorted(words, key=lambda w: (round(w["top"]), w["x0"])):
        if lines and abs(lines[-1][0]["top"] - w["top"]) <= tol:
            lines[-1].append(w)
        else:
            lines.append([w])
    return [sorted(ln, key=lambda w: w["x0"]) for ln in lines]


def _line(words: list[dict]) -> Line:
    text = ""
    prev = None
    for w in words:
        gap = w["x0"] - prev["x1"] if prev else 0
        size = (w["bottom"] - w["top"]) or 1
        if prev is not None and gap > size * 0.6:
            text += " "
        text += w["text"]
        prev = w
    bbox = (min(w["x0"] for w in words), min(w["top"] for w in words),
            max(w["x1"] for w in words), max(w["bottom"] for w in words))
    return Line(text, tuple(round(v, 2) for v in bbox), 1.0)


def text_layer_usable(text: str) -> bool:
    """False for an empty layer or a garbage one (unmapped glyphs, no CJK)."""
    stripped = re.sub(r"\s+", "", text)
    if len(stripped) < 5:
        return False
    bad = len(_CID.findall(text)) * 6 + stripped.count("\ufffd")
    if bad > 0.2 * len(stripped):
        return False
    return bool(_CJK.search(stripped))


def page_count(data: bytes) -> int | None:
    """The number of pages, from pdfium (in C: a 5,000-page file is counted in
    milliseconds); None when pdfium cannot open the file (pdfplumber says why)."""
    import pypdfium2 as pdfium
    try:
        pdf = pdfium.PdfDocument(data)
    except Exception:  # noqa: BLE001 — broken or encrypted: pdfplumber gives the reason
        return None
    try:
        return len(pdf)
    finally:
        pdf.close()


def _inflated(stream: PDFStream, budget: int) -> int:
    """Bytes ``stream`` decodes to, counted without holding them, up to just past
    ``budget`` (a content stream of a few hundred kB can inflate to gigabytes)."""
    if stream.data is not None:
        return len(stream.data)
    raw = stream.rawdata or b""
    filters = stream.get_filters()
    if not filters:
        return len(raw)
    if len(filters) > 1 or filters[0][0] not in LITERALS_FLATE_DECODE or stream.decipher:
        return len(stream.get_data())  # rare in content streams: the memory limit bounds it
    d = zlib.decompressobj()
    n, buf = 0, raw
    try:
        while buf:
            out = d.decompress(buf, 1 << 20)
            n += len(out)
            if n > budget:
                return n
            buf = d.unconsumed_tail
            if not out:
                break
    except zlib.error:
        return n  # damaged: pdfminer reads what it can
    return n


def content_size(page_obj, cap: int) -> int:
    """A page's content streams, inflated, in bytes (counted to just past ``cap``)."""
    contents = page_obj.contents or []
    total = 0
    for ref in contents if isinstance(contents, list) else [contents]:
        s = resolve1(ref)
        if isinstance(s, PDFStream):
            total += _inflated(s, cap - total)
            if total > cap:
                break
    return total


def _memory(exc: BaseException) -> bool:
    """pdfplumber wraps what pdfminer raises, a MemoryError too: the worker's limit."""
    inner = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else None
    return any(isinstance(e, MemoryError) for e in (inner, exc.__cause__, exc.__context__))


def read_pdf_pages(data: bytes, limits: Limits = Limits()) -> list[Page]:
    n = page_count(data)
    if n is not None and n > limits.max_pages:
        raise ReadError(f"too many pages ({n} pages; the limit is {limits.max_pages} a document, "
                        "REPORTDB_MAX_PAGES or --max-pages)")
    try:
        pdf = pdfplumber.open(BytesIO(data))
    except PDFPasswordIncorrect as exc:
        raise ReadError("password-protected PDF") from exc
    except (PSException, ValueError, KeyError, TypeError) as exc:
        raise ReadError(f"broken PDF ({type(exc).__name__})") from exc
    except Exception as exc:  # pdfplumber wraps pdfminer's many error types
        if _memory(exc):
            raise MemoryError("reading the PDF") from exc
        inner = exc.args[0] if exc.args and isinstance(exc.args[0], Exception) else exc
        if isinstance(inner, PDFPasswordIncorrect) or "password" in repr(inner).lower():
            raise ReadError("password-protected PDF") from exc
        detail = f"{type(inner).__name__}: {str(inner)[:80]}".rstrip(": ")
        raise ReadError(f"broken PDF ({detail})") from exc
    pages = []
    cap = limits.max_page_content
    with pdf:
        try:
            if len(pdf.pages) > limits.max_pages:  # pdfium could not count them
                raise ReadError(f"too many pages ({len(pdf.pages)} pages; the limit is {limits.max_pages} "
                                "a document, REPORTDB_MAX_PAGES or --max-pages)")
            for i, p in enumerate(pdf.pages, start=1):
                if content_size(p.page_obj, cap) > cap:
                    raise ReadError(f"PDF page {i} too large to read (its content streams inflate to more "
                                    f"than {limits.max_page_content_mb:g} MB; the limit is "
                                    f"{limits.max_page_content_mb:g} MB a page, REPORTDB_MAX_PAGE_CONTENT_MB)")
                pages.append(read_page(p, i))
                p.close()  # what pdfminer laid out for this page is not kept for the next
        except (ReadError, MemoryError):
            raise
        except Exception as exc:
            if _memory(exc):
                raise MemoryError(f"reading PDF page {len(pages) + 1}") from exc
            raise ReadError(f"broken PDF at page {len(pages) + 1} ({type(exc).__name__})") from exc
    if not pages:
        raise ReadError("PDF without pages")
    return pages


def page_words(p) -> list[dict]:
    """Stage 1 of a page: its words with boxes, from the text layer."""
    return p.extract_words(keep_blank_chars=False, use_text_flow=False, x_tolerance=1.5)


def page_grids(p, number: int, words: list[dict]) -> list[Grid]:
    """Stage 2: the ruled tables, as grids with merged cells kept as spans. Two cells
    side by side are a table too: the first header row of a table that the page
    break cuts off (``行政复议 | 行政诉讼`` at the foot of a page) is all of it that
    stands on that page; a single framed box is not."""
    return [grid_from_cells(number, [tuple(c) for c in t.cells], words)
            for t in p.find_tables(TABLE_SETTINGS) if len(t.cells) >= 2]


def page_lines(words: list[dict], grids: list[Grid]) -> list[Line]:
    """Stage 3: the words outside the tables, grouped into lines."""
    boxes = [g.bbox for g in grids if g.bbox]

    def outside(w: dict) -> bool:
        cx, cy = (w["x0"] + w["x1"]) / 2, (w["top"] + w["bottom"]) / 2
        return not any(b[0] - 1 <= cx <= b[2] + 1 and b[1] - 1 <= cy <= b[3] + 1 for b in boxes)

    return [_line(ln) for ln in _group_lines([w for w in words if outside(w)])]


def read_page(p, number: int) -> Page:
    words = page_words(p)
    grids = page_grids(p, number, words)
    lines = page_lines(words, grids)
    source = "text_layer" if text_layer_usable(" ".join(w["text"] for w in words)) else "needs_ocr"
    return Page(number, lines, source, float(p.width), float(p.height), grids)
