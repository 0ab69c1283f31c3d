"""Page layout → document blocks: the one place where page furniture is removed
and paragraphs cut by page breaks are joined, for every input path.

Steps, each a pure function kept for inspection:

1. ``strip_furniture``: page numbers (``- 3 -``, ``第3页``, ``3/12``, a bare number at
   the page edge) and running headers/footers (the same line at the top or bottom
   of several pages, or the report's title repeated at the top of a later page)
   are taken out; what was removed is returned. The first page's top lines are
   kept: that is where the title itself stands.
2. ``stream``: pages → one stream of text lines, table rows and gaps (blank lines,
   page breaks). Table rows come from tab-separated dump lines or from ruled grids.
3. ``blocks``: the stream → titles, headings, paragraphs and tables, with sections
   一 … 六 recognised. A paragraph continues across a gap or a page break when
   ``continues`` says so — the single join rule for dumps, text layers and OCR.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace

from rapidfuzz import fuzz

from ocr.model import BBox, Grid, Line, Page

from .numbers import chinese_to_int, fold

# ------------------------------------------------------------------ furniture

_PAGE_NO = re.compile(
    r"^\s*(?:[-—–－~]\s*\d{1,4}\s*[-—–－~]|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?"
    r"|\d{1,4}\s*/\s*\d{1,4}|[Pp]\s*\.\s*\d{1,4}|Page\s+\d{1,4}\b.*)\s*$")
# at a page's edge: a bare number, or one whose other dash OCR lost (``- 1 -`` read as ``.1``),
# or one between dashes with a glyph misread beside it (``- 1 -`` read as ``-1工-``)
_BARE_NO = re.compile(r"^\s*(?:[-—–－~.·]?\s*\d{1,4}\s*[-—–－~.·]?|[-—–－~]\s*\d{1,4}\s*[^\d\s]?\s*[-—–－~])\s*$")
_TITLE_LIKE = re.compile(r"^.{0,40}(政府信息公开|政务公开|信息公开).{0,20}报告$")
_EDGE = 2  # lines at the top and the bottom of a page where furniture sits


def _is_table_line(line: Line) -> bool:
    return "\t" in line.text


def _edge_indexes(lines: list[Line]) -> list[int]:
    idx = [i for i, ln in enumerate(lines) if ln.text.strip()]
    return sorted(set(idx[:_EDGE] + idx[-_EDGE:]))


_FUZZY_MIN = 8  # edge lines at least this long may match a running header loosely


def _alike(a: str, b: str) -> bool:
    return a == b or (min(len(a), len(b)) >= _FUZZY_MIN and fuzz.ratio(a, b) >= 85)


def _furniture_key(text: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", fold(text)))


def strip_furniture(pages: list[Page]) -> tuple[list[Page], list[tuple[int, str]]]:
    """Pages without page numbers and running headers/footers, and what was removed."""
    multi = len(pages) > 1
    per_page = [{_furniture_key(page.lines[i].text) for i in _edge_indexes(page.lines)
                 if not _is_table_line(page.lines[i])} for page in pages]
    edge_counts: Counter[str] = Counter()
    for seen in per_page:
        edge_counts.update(seen)
    running = {k for k, n in edge_counts.items()
               if multi and n >= 2 and n >= len(pages) / 2 and len(k) <= 60}
    # OCR reads a running header a little differently on each page (办事处 → 办可处):
    # a long edge line as like one on half the pages as that is the same header
    for seen in per_page if multi else ():
        for k in seen - running:
            if _FUZZY_MIN <= len(k) <= 60 and sum(
                    any(_alike(k, o) for o in other) for other in per_page) >= max(2, len(pages) / 2):
                running.add(k)
    out, removed = [], []
    for n, page in enumerate(pages):
        edge_list = _edge_indexes(page.lines)
        edges = set(edge_list)
        top = set(edge_list[:_EDGE])
        keep = []
        kept_before = []  # kept lines before each index: where a grid's ``at`` moves to
        for i, ln in enumerate(page.lines):
            kept_before.append(len(keep))
            t = ln.text
            drop = bool(t.strip()) and not _is_table_line(ln) and (
                _PAGE_NO.match(t)
                or (i in edges and multi and _BARE_NO.match(t))
                or (i in edges and _furniture_key(t) in running and (n > 0 or i not in top))
                or (n > 0 and i in top and _TITLE_LIKE.match(re.sub(r"\s+", "", t))))
            if drop:
                removed.append((page.number, t.strip()))
            else:
                keep.append(ln)
        kept_before.append(len(keep))
        grids = [replace(g, at=kept_before[min(g.at, len(page.lines))]) if g.at is not None else g
                 for g in page.grids]
        out.append(Page(page.number, keep, page.source, page.width, page.height, grids))
    return out, removed


# -------------------------------------------------------------------- stream

@dataclass(frozen=True)
class TableRow:
    """One table row as printed: cell texts left to right, with their boxes when known."""

    cells: tuple[str, ...]
    page: int
    bboxes: tuple[BBox | None, ...] | None = None
    confidences: tuple[float, ...] | None = None
    grid: int | None = None  # index of the ruled grid the row came from
    alternatives: tuple[tuple[str, ...], ...] | None = None  # other OCR readings per cell
    edges: tuple[float, ...] | None = None  # x of the grid's column boundaries (n + 1), when known


@dataclass(frozen=True)
class _Text:
    text: str
    page: int
    wrapped: bool | None  # the line ran to the right margin (None: unknown)
    indent: bool | None   # the line starts indented (None: unknown)
    centred: bool = False  # the line stands in the middle of the text width (a title's lines)


@dataclass(frozen=True)
class _Gap:
    kind: str  # blank | page


def grid_rows(grid: Grid, grid_index: int | None = None) -> list[TableRow]:
    """A ruled grid as rows, merged cells expanded so every slot carries its text."""
    if not grid.cells:
        return []
    n_rows = max(c.row + c.rowspan for c in grid.cells)
    n_cols = max(c.col + c.colspan for c in grid.cells)
    text = [[""] * n_cols for _ in range(n_rows)]
    boxes: list[list[BBox | None]] = [[None] * n_cols for _ in range(n_rows)]
    confs = [[1.0] * n_cols for _ in range(n_rows)]
    alts: list[list[tuple[str, ...]]] = [[()] * n_cols for _ in range(n_rows)]
    for c in grid.cells:
        for r in range(c.row, c.row + c.rowspan):
            for k in range(c.col, c.col + c.colspan):
                text[r][k], boxes[r][k], confs[r][k] = c.text, c.bbox, c.confidence
                alts[r][k] = c.alternatives
    edges = column_edges(grid, n_cols)
    return [TableRow(tuple(text[r]), grid.page, tuple(boxes[r]), tuple(confs[r]), grid_index,
                     tuple(alts[r]), edges)
            for r in range(n_rows)]


def column_edges(grid: Grid, n_cols: int) -> tuple[float, ...] | None:
    """The x of each column boundary of a grid whose cells have boxes: the median of
    the cell sides that stand on it (a scanned cell's side is off its ruling by the
    ruling's width). None without geometry (web pages, Word)."""
    sides: list[list[float]] = [[] for _ in range(n_cols + 1)]
    for c in grid.cells:
        if c.bbox is None:
            return None
        sides[c.col].append(c.bbox[0])
        sides[c.col + c.colspan].append(c.bbox[2])
    if any(not s for s in sides):
        return None
    return tuple(round(sorted(s)[len(s) // 2], 2) for s in sides)


def _inside(b: BBox | None, outer: BBox | None, slack: float = 2.0) -> bool:
    if b is None or outer is None:
        return False
    cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
    return outer[0] - slack <= cx <= outer[2] + slack and outer[1] - slack <= cy <= outer[3] + slack


def _margins(page: Page) -> tuple[float, float] | None:
    xs = [ln.bbox for ln in page.lines if ln.bbox and len(ln.text.strip()) >= 8]
    if not xs:
        return None
    left = min(b[0] for b in xs)
    right = max(b[2] for b in xs)
    return left, right


def stream(pages: list[Page]) -> list[object]:
    """Pages → text lines, table rows and gaps in reading order.

    Grids go among the lines by their boxes where the page has geometry, and by
    their flow position (``Grid.at``) where it has none (web pages, Word): a
    grid at ``k`` goes just before line ``k``."""
    items: list[object] = []
    grid_no = 0
    for pi, page in enumerate(pages):
        if pi:
            items.append(_Gap("page"))
        margins = _margins(page)
        placed: list[tuple[float, int, object]] = []
        in_flow = bool(page.grids) and all(g.at is not None and g.bbox is None for g in page.grids) \
            and not any(ln.bbox for ln in page.lines)
        for grid in page.grids:
            top = grid.at - 0.5 if in_flow else (grid.bbox[1] if grid.bbox else 0.0)
            placed.append((top, 0, ("grid", grid, grid_no)))
            grid_no += 1
        for j, ln in enumerate(page.lines):
            if any(_inside(ln.bbox, g.bbox) for g in page.grids):
                continue
            placed.append((ln.bbox[1] if ln.bbox else float(j), 1, ("line", ln)))
        if page.grids and (in_flow or all(ln.bbox for ln in page.lines)):
            placed.sort(key=lambda t: (t[0], t[1]))
        for _, _, (kind, *rest) in placed:
            if kind == "grid":
                grid, gi = rest
                items.extend(grid_rows(grid, gi))
                continue
            ln = rest[0]
            if not ln.text.strip():
                items.append(_Gap("blank"))
            elif _is_table_line(ln):
                cells = tuple(c.strip() for c in ln.text.split("\t"))
                items.append(TableRow(cells, page.number))
            else:
                wrapped = indent = None
                centred = False
                if margins and ln.bbox:
                    width = margins[1] - margins[0]
                    # a line that gave way to an unbreakable run (a number, a citation like
                    # 〔2021〕30号, a closing mark that may not start a line) ends short of
                    # the margin although its sentence runs on
                    short = 0.04 if ln.text.rstrip().endswith(_TERMINAL) else 0.25
                    wrapped = ln.bbox[2] >= margins[1] - short * width
                    indent = ln.bbox[0] >= margins[0] + 0.03 * width
                    left, right = ln.bbox[0] - margins[0], margins[1] - ln.bbox[2]
                    # paper on both sides, about as much left as right: a body line indented
                    # two characters that ends one short of the margin is not (its right gap,
                    # 2 % of the width on an OCR'd page, moved by the box of one glyph)
                    centred = min(left, right) > 0.04 * width and abs(left - right) <= 0.04 * width
                items.append(_Text(ln.text.strip(), page.number, wrapped, indent, centred))
    return items


# -------------------------------------------------------------------- blocks

_TERMINAL = tuple("。！？!?；;：:")
_ENUM_START = re.compile(
    r"^\s*(?:[一二三四五六七八九十]+\s*[、.．]|[（(]\s*[一二三四五六七八九十\d]+\s*[)）]|\d+\s*[、.．](?!\d))")
_SECTION = re.compile(r"^\s*([一二三四五六七八九十]+)\s*[、.．]\s*(\S.*)$")
DATE_LINE = re.compile(r"^\s*(\d{4}|[〇○零一二三四五六七八九]{4})\s*年\s*\S{1,3}\s*月\s*\S{1,3}\s*日\s*$")
SECTION_TITLES = {
    1: "总体情况", 2: "主动公开政府信息情况", 3: "收到和处理政府信息公开申请情况",
    4: "政府信息公开行政复议、行政诉讼情况", 5: "存在的主要问题及改进情况",
    6: "其他需要报告的事项",
}


def is_heading(text: str) -> bool:
    """A short enumerated line with no full stop: ``一、总体情况``, ``（二）改进措施``."""
    t = text.strip()
    return bool(_ENUM_START.match(t)) and len(t) <= 40 and "。" not in t


def section_number(text: str) -> int | None:
    """``二、主动公开政府信息情况`` → 2; None for anything that is not a top-level heading."""
    m = _SECTION.match(text)
    if not m or len(text.strip()) > 40 or "。" in text:
        return None
    try:
        return chinese_to_int(m.group(1))
    except ValueError:
        return None


def continues(prev: str, nxt: str, gap: str | None, wrapped: bool | None = None,
              indent: bool | None = None) -> bool:
    """Does ``nxt`` continue the paragraph that ``prev`` ends?

    Geometry decides where it is known: a line that ran to the right margin was
    wrapped, an indented line starts a paragraph. Without geometry (text dumps),
    a paragraph goes on when ``prev`` stops mid-sentence (no 。！？；：) and ``nxt``
    starts no heading, list item or date line — so ``公开安全生产信`` / page break /
    ``息 9 条`` is one sentence again.
    """
    p, n = prev.rstrip(), nxt.strip()
    if not p or not n or is_heading(p) or _ENUM_START.match(n) or DATE_LINE.match(n):
        return False
    if indent:
        return False
    if wrapped is not None:
        return wrapped
    if p.endswith(_TERMINAL):
        return False
    if p.endswith(("报告", "年度报告")) and len(p) <= 80:
        return False  # a report title line
    if gap == "blank" and len(p) < 12:
        return False  # a short unpunctuated line is a title, heading or signature
    return True


@dataclass
class Block:
    kind: str                 # title | heading | para | table
    page: int
    section: int
    text: str = ""
    rows: list[TableRow] = field(default_factory=list)
    page_starts: list[tuple[int, int]] = field(default_factory=list)  # (offset, page)

    def page_at(self, offset: int) -> int:
        page = self.page
        for start, pg in self.page_starts:
            if start <= offset:
                page = pg
        return page


def _join(a: str, b: str) -> str:
    if a and b and a[-1].isascii() and a[-1].isalnum() and b[0].isascii() and b[0].isalnum():
        return a + " " + b
    return a + b


def blocks(items: list[object]) -> list[Block]:
    """The stream → titles, headings, paragraphs and tables with their sections."""
    out: list[Block] = []
    para: Block | None = None
    table: Block | None = None
    section = 0
    gap: str | None = None
    last_wrapped: bool | None = None
    last_centred = False
    seen_title = False

    def close_para() -> None:
        nonlocal para, section, seen_title
        if para is None:
            return
        n = section_number(para.text)
        if n is not None and (n == section + 1 or (n > section and n <= 10)):
            section = n
            para.kind = "heading"
        elif is_heading(para.text):
            para.kind = "heading"
        elif not seen_title and section == 0 and "报告" in para.text and len(para.text) <= 80:
            para.kind = "title"
            seen_title = True
        para.section = section if para.kind != "heading" or n is None else n
        out.append(para)
        para = None

    for item in items:
        if isinstance(item, _Gap):
            gap = "page" if item.kind == "page" or gap == "page" else "blank"
            continue
        if isinstance(item, TableRow):
            close_para()
            if table is None:
                table = Block("table", item.page, section)
                out.append(table)
            table.rows.append(item)
            gap = None
            continue
        assert isinstance(item, _Text)
        if table is not None:
            table = None
        # a title set in the middle and wrapped: its lines are centred, at the head of the
        # document, and the first does not end a sentence (……政府信息 / 公开工作年度报告)
        title_goes_on = (para is not None and not seen_title and section == 0 and (last_centred or last_wrapped)
                         and item.centred and len(para.page_starts) == 1 and para.page == item.page == 1
                         and not para.text.rstrip().endswith(_TERMINAL) and "报告" in para.text + item.text
                         and len(para.text + item.text) <= 80 and not is_heading(item.text))
        if para is not None and (title_goes_on or continues(para.text, item.text, gap,
                                                            last_wrapped if para else None, item.indent)):
            if item.page != para.page_starts[-1][1]:
                para.page_starts.append((len(para.text), item.page))
            para.text = _join(para.text, item.text)
        else:
            close_para()
            para = Block("para", item.page, section, item.text, page_starts=[(0, item.page)])
        last_wrapped = item.wrapped
        last_centred = item.centred
        gap = None
    close_para()
    return out
