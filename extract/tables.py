"""Printed table rows → cells under the spec's (table, row, col) keys: the one grid
reader, whatever made the grid (a PDF's text layer, a scan, Word, a web page, a
tab-separated dump).

Rows arrive either from a ruled grid (merged cells expanded, so positions are
reliable) or from a flattened text dump (tab-separated, where multi-level headers
and label columns are misaligned and only the *order* of values is reliable).
Reading a table is aligning what was printed to the format, which fixes every
row, column and block:

* grids of a table that runs over pages are put on one set of columns
  (``extract.stitch``), and rows a page break cut in two are joined where the
  format reads the joined label (``join_split_rows``);
* the header ends at the first body row; header rows → one header path per column
  (``行政诉讼 › 复议后起诉 › 结果维持``); the value columns are the columns whose
  path ends in a known column label, or, where OCR could not read the header, the
  header's cells over the value columns when they are exactly the format's
  (``structural_leaves``);
* a data row's labels say its row key (``（三）不予公开`` › ``1.属于国家秘密`` →
  ``denied_state_secret``); a row whose label matches nothing is placed by the
  format's order when the rows read around it leave exactly its row open
  (``_by_order``); table 2's block is the one its row labels belong to;
* values go to the value columns by position (grid) or in order (dump);
* anything that cannot be placed is flagged, never guessed; every placement the
  print alone did not make is an info flag naming how it was made.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from rapidfuzz import fuzz

from .layout import TableRow
from .stitch import align_columns
from .model import Cell, Flag
from .numbers import Quantity, fold, parse_cell
from .templates import (MATCH_THRESHOLD, OCR_THRESHOLD, Label, TableSpec, appeal_group, best_match, core,
                        enumerator)

COUNT_UNIT = "件"


@dataclass
class Mapped:
    cells: list[Cell] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)


def is_value(text: str) -> bool:
    return parse_cell(text).kind in ("number", "zero_mark")


def _labels_of(row: TableRow) -> list[tuple[int, str]]:
    return [(i, t) for i, t in enumerate(row.cells) if t.strip() and not is_value(t)]


def has_values(row: TableRow) -> bool:
    return any(t.strip() and is_value(t) for t in row.cells)


# ------------------------------------------------------------------- headers

def header_paths(rows: list[TableRow]) -> list[list[str]]:
    """One path of header texts per column, outermost first."""
    if not rows:
        return []
    width = max(len(r.cells) for r in rows)
    grid = [list(r.cells) + [""] * (width - len(r.cells)) for r in rows]
    paths: list[list[str]] = [[] for _ in range(width)]
    for k, line in enumerate(grid):
        carry = ""
        for c in range(width):
            text = line[c].strip()
            if text:
                carry = text
            elif any(grid[u][c].strip() for u in range(k)):
                carry = ""
            if carry and (not paths[c] or paths[c][-1] != carry):
                paths[c].append(carry)
    return paths


@dataclass(frozen=True)
class Leaf:
    column: int          # grid column (first one, if merged)
    row_key: str | None  # for table 4 the row comes from the column header
    col_key: str
    header: str


def value_columns(spec: TableSpec, paths: list[list[str]]) -> list[Leaf]:
    """The columns that hold values, in printed order."""
    leaves: list[Leaf] = []
    for c, path in enumerate(paths):
        if not path:
            continue
        lab = best_match(path[-1], spec.cols)
        if lab is None:
            continue
        row_key = None
        if spec.key == "appeals":
            row_key = appeal_group(path)
            if row_key is None:
                continue
        if spec.key == "requests" and lab.key == "other_org" and not any(
                "法人" in p for p in path) and any("自然人" in p for p in path):
            continue
        leaf = Leaf(c, row_key, lab.key, " › ".join(path))
        if leaves and (leaves[-1].row_key, leaves[-1].col_key) == (row_key, lab.key):
            continue  # one merged header spread over several grid columns
        leaves.append(leaf)
    return leaves


def infer_columns(spec: TableSpec, paths: list[list[str]], leaves: list[Leaf]) -> list[Leaf] | None:
    """The value columns of a ruled grid whose header lost a few labels to OCR
    (``尚未审结`` read as ``结``): when the columns read are in the official order
    and each gap between two of them holds exactly as many headed grid columns
    as official columns are missing there, the gap's columns are those, in order.
    Anything less certain (a gap of the wrong width, a missing first column,
    columns out of order) gives None and the caller flags the header."""
    canon = canonical_leaves(spec)
    keys = [(lf.row_key, lf.col_key) for lf in canon]
    try:
        pos = [keys.index((lf.row_key, lf.col_key)) for lf in leaves]
    except ValueError:
        return None
    if pos[0] != 0 or pos != sorted(set(pos)):
        return None
    bounds = [lf.column for lf in leaves] + [len(paths)]
    stops = pos + [len(canon)]
    out: list[Leaf] = []
    for k, lf in enumerate(leaves):
        out.append(lf)
        missing = canon[stops[k] + 1:stops[k + 1]]
        if not missing:
            continue
        gap = [c for c in range(bounds[k] + 1, bounds[k + 1])
               if paths[c] and paths[c] != paths[c - 1]]  # one merged header spans several columns
        if len(gap) != len(missing):
            return None
        out.extend(Leaf(c, m.row_key, m.col_key, " › ".join(paths[c])) for c, m in zip(gap, missing))
    return out


def structural_leaves(spec: TableSpec, header: list[TableRow], body: list[TableRow]) -> list[Leaf] | None:
    """The value columns of a ruled grid whose header text was not read, from its
    shape: the columns where the body rows hold values, and over them the header's
    lowest cells (a merged cell once). When those cells are exactly as many as the
    format's value columns (7 in table 3, 15 in table 4), they are its columns in
    the official order; otherwise None. Table 4 prints no row labels, so a header
    that OCR garbled (行政复议 split by a stray stroke into 行政 | 议) would lose the
    whole table without this."""
    canon = canonical_leaves(spec)
    rows = [r for r in body if has_values(r)]
    if not rows or not header or any(r.bboxes is None for r in rows + header):
        return None
    width = len(rows[0].cells)
    if any(len(r.cells) != width for r in rows + header):
        return None
    counts = [sum(1 for r in rows if r.cells[c].strip() and is_value(r.cells[c])) for c in range(width)]
    value_cols = [c for c in range(width) if counts[c] >= max(1, len(rows) / 2)]
    bottom = header[-1]
    cells: list[int] = []
    for c in value_cols:
        if bottom.bboxes[c] is None:
            return None
        if not cells or bottom.bboxes[cells[-1]] != bottom.bboxes[c]:
            cells.append(c)
    if len(cells) != len(canon):
        return None
    return [Leaf(c, lf.row_key, lf.col_key, bottom.cells[c] or lf.header) for c, lf in zip(cells, canon)]


def canonical_leaves(spec: TableSpec) -> list[Leaf]:
    if spec.key == "appeals":
        return [Leaf(-1, r.key, c.key, f"{r.label} › {c.label}") for r in spec.rows for c in spec.cols]
    return [Leaf(-1, None, c.key, c.label) for c in spec.cols]


# -------------------------------------------------------------------- values

def ordered_values(cells: tuple[str, ...], start: int, n: int) -> list[int] | None:
    """Indexes of the ``n`` value slots of a dump row whose labels end before ``start``.

    Flattening adds empty slots after labels (label columns merged) and at the end
    of lines; blank value cells are empty slots too. Surplus empties are taken from
    the end first, then from the front; a row that cannot give exactly ``n`` slots
    that way is ambiguous (None).
    """
    idx = list(range(start, len(cells)))
    while len(idx) > n and not cells[idx[-1]].strip():
        idx.pop()
    while len(idx) > n and not cells[idx[0]].strip():
        idx.pop(0)
    return idx if len(idx) == n else None


def _unit(spec: TableSpec, col: Label | None, q: Quantity, header: str) -> str | None:
    m = re.search(r"单位[:：]\s*([^)）\s]+)", fold(header))
    if m:
        return m.group(1)
    if q.unit:
        return q.unit
    if col is not None and col.key == "amount":
        return None
    return COUNT_UNIT


class _Collector:
    def __init__(self, spec: TableSpec, origin: str):
        self.spec = spec
        self.origin = origin
        self.out = Mapped()
        self.seen: dict[tuple[str, str], Cell] = {}

    def add(self, row_key: str, col_key: str, row: TableRow, i: int, header: str) -> None:
        raw = row.cells[i] if i < len(row.cells) else ""
        q = parse_cell(raw)
        col = next((c for c in self.spec.cols if c.key == col_key), None)
        bbox = row.bboxes[i] if row.bboxes and i < len(row.bboxes) else None
        conf = row.confidences[i] if row.confidences and i < len(row.confidences) else 1.0
        alts = row.alternatives[i] if row.alternatives and i < len(row.alternatives) else ()
        cell = Cell(self.spec.key, row_key, col_key, q.value, raw.strip(), _unit(self.spec, col, q, header),
                    row.page, bbox, conf, self.origin, alts)
        key = (row_key, col_key)
        if key in self.seen:
            if self.seen[key].raw != cell.raw:
                self.flag("conflicting_cell", f"{row_key}/{col_key}",
                          f"printed twice: {self.seen[key].raw!r} and {cell.raw!r}")
            return
        self.seen[key] = cell
        self.out.cells.append(cell)
        if q.kind == "invalid":
            self.flag("unreadable_cell", f"{row_key}/{col_key}", q.error or "unreadable")
        elif q.qualifier:
            self.flag("approximate_cell", f"{row_key}/{col_key}", f"printed {raw.strip()!r}")

    def flag(self, kind: str, scope: str, detail: str, severity: str = "review") -> None:
        self.out.flags.append(Flag(kind, f"{self.spec.key}:{scope}", detail, severity))


# --------------------------------------------------------------------- tables

def map_table(spec: TableSpec, rows: list[TableRow], origin: str) -> Mapped:
    """Map one table's printed rows to cells of ``spec``: the grids of a table that
    runs over pages are first put on one set of columns (``extract.stitch``) and its
    rows cut by a page break joined (``join_split_rows``)."""
    col = _Collector(spec, origin)
    token = MATCH_THRESHOLD.set(OCR_THRESHOLD if origin in ("ocr", "mixed") else 80.0)
    rows = align_columns(rows)
    rows, joined = join_split_rows(spec, rows)
    for text in joined:
        col.flag("row_joined", core(text) or "row", f"a row cut by a page break, joined: {text}", "info")
    try:
        if spec.blocks:
            _map_blocks(spec, rows, col)
        else:
            _map_matrix(spec, rows, col)
    finally:
        MATCH_THRESHOLD.reset(token)
    _completeness(spec, col)
    return col.out


# ------------------------------------------------------------ rows cut in two

def _row_label(row: TableRow) -> str:
    labels = _labels_of(row)
    return labels[-1][1] if labels else ""


def _label_score(spec: TableSpec, text: str) -> float:
    """How well ``text`` reads as one of the table's row labels (0–100)."""
    c = core(text)
    if not c:
        return 0.0
    return max((fuzz.ratio(c, lab.core) for lab in spec.rows), default=0.0)


def _join_text(a: str, b: str) -> str:
    a, b = a.strip(), b.strip()
    if not a or a == b:
        return b or a
    if not b:
        return a
    return a + (" " if a[-1].isascii() and a[-1].isalnum() and b[0].isascii() and b[0].isalnum() else "") + b


def _joined(a: TableRow, b: TableRow) -> TableRow | None:
    """``a`` and its continuation ``b`` as one row: label cells' texts joined, each
    value from the part that printed it. None when both parts hold values."""
    if has_values(a) and has_values(b):
        return None
    values = a if has_values(a) else b
    cells, boxes, confs, alts = [], [], [], []
    for i, (x, y) in enumerate(zip(a.cells, b.cells)):
        value_column = is_value(x) or is_value(y)
        src = values if value_column or not x.strip() else a
        cells.append(src.cells[i] if value_column else _join_text(x, y))
        boxes.append(src.bboxes[i] if src.bboxes else None)
        confs.append(src.confidences[i] if src.confidences else 1.0)
        alts.append(src.alternatives[i] if src.alternatives else ())
    return replace(values, cells=tuple(cells), bboxes=tuple(boxes) if a.bboxes or b.bboxes else None,
                   confidences=tuple(confs) if a.confidences or b.confidences else None,
                   alternatives=tuple(alts) if a.alternatives or b.alternatives else None)


def join_split_rows(spec: TableSpec, rows: list[TableRow]) -> tuple[list[TableRow], list[str]]:
    """Rows that a page break cut in two, joined (after ``align_columns``, so both
    parts have the same columns). Word and WPS let a row break across pages by
    default: the label goes on over the break (``7.属于行政执`` | ``法案卷``) and the
    values stand in one part or the other, as the cell's alignment puts them. The
    template decides: two parts at a grid or page boundary are one row when only one
    of them holds values and their joined label reads as a row of the table better
    than either part alone (or when the part with the values has no label at all).
    A row of its own (``（四）无法提供`` over ``1.本机关不掌握…``) is never better
    joined, so it stays. Returns the rows and the joined labels (for an info flag)."""
    out: list[TableRow] = []
    joined: list[str] = []
    header: list[str] = []   # the table's header rows, as text
    in_body = False
    for r in rows:
        prev = out[-1] if out else None
        text = "".join(re.sub(r"\s+", "", c) for c in r.cells)
        if not in_body and not has_values(r):
            header.append(text)
        elif has_values(r):
            in_body = True
        elif prev is not None and prev.grid != r.grid and text and any(
                fuzz.ratio(text, h) >= 90 for h in header):
            continue  # the header repeated at the top of the next page: the row cut by the
            #           break goes on below it
        if prev is not None and len(prev.cells) == len(r.cells) and (
                prev.grid != r.grid or prev.page != r.page) and spec.rows:
            both = _joined(prev, r)
            if both is not None:
                values = prev if has_values(prev) else r
                other = r if values is prev else prev
                a, b, ab = _row_label(prev), _row_label(r), _row_label(both)
                unlabelled = not _row_label(values) and bool(_row_label(other))
                if unlabelled or (ab and _label_score(spec, ab) > max(_label_score(spec, a),
                                                                      _label_score(spec, b))):
                    out[-1] = both
                    joined.append(f"{a!r} + {b!r}")
                    continue
        out.append(r)
    return out, joined


def _split_header(rows: list[TableRow], spec: TableSpec | None = None) -> int:
    """Where the header ends: at the first row that is a body row, one whose label is
    a row of the table or that holds values in at least half of the value columns.
    A stray digit OCR reads in a header cell (a glyph of the corner note read as 1)
    does not end the header: the rows under it would lose their column names and
    the note would be taken for a row label."""
    need = max(1, len(canonical_leaves(spec)) // 2) if spec is not None else 1
    need = min(need, 7)
    for i, r in enumerate(rows):
        if not has_values(r):
            continue
        labels = _labels_of(r)
        n = len({(r.bboxes[j] if r.bboxes and r.bboxes[j] is not None else j)
                 for j, t in enumerate(r.cells) if t.strip() and is_value(t)})
        if n >= need or (spec is not None and labels and best_match(labels[-1][1], spec.rows) is not None):
            return i
    return len(rows)


def _map_matrix(spec: TableSpec, rows: list[TableRow], col: _Collector) -> None:
    """Tables 3 and 4: a header block, then labelled value rows."""
    first = _split_header(rows, spec)
    leaves_by_grid: dict[int | None, list[Leaf]] = {}
    header = rows[:first]
    expected = len(canonical_leaves(spec))
    paths = header_paths(header)
    leaves = value_columns(spec, paths)
    if 0 < len(leaves) < expected and rows and rows[0].grid is not None:
        inferred = infer_columns(spec, paths, leaves)
        if inferred is not None:
            named = [lf.header.split(" › ")[-1] for lf in inferred if lf not in leaves]
            col.flag("header_inferred", "columns",
                     f"{len(named)} column header(s) unreadable ({', '.join(repr(n) for n in named)}); "
                     "placed by the official column order between the columns read", "info")
            leaves = inferred
    if len(leaves) != expected and header:
        found = structural_leaves(spec, header, rows[first:])
        if found is not None:
            col.flag("header_by_structure", "columns",
                     f"{expected - len(leaves)} of {expected} column headers not read; the header's cells "
                     f"over the value columns are {expected}, as the format's, and are taken in its order",
                     "info")
            leaves = found
    if len(leaves) != expected:
        if header:
            col.flag("header_unrecognised", "columns",
                     f"found {len(leaves)} of {expected} value columns in the header; "
                     "the official column order is assumed", "review")
        leaves = canonical_leaves(spec)
    leaves_by_grid[rows[0].grid if rows else None] = leaves
    width = max((len(r.cells) for r in header), default=0)
    group: str | None = None
    placed: list[str | None] = []   # the row keys in printed order; None where a row waits
    waiting: list[tuple] = []       # rows with values whose label matched no row

    def put(r: TableRow, row_lab: Label | None, start: int, leaves: list[Leaf], positional: bool) -> None:
        if spec.key == "appeals" and row_lab is not None:
            targets = [lf for lf in canonical_leaves(spec) if lf.row_key == row_lab.key]
            sub_positional = False
        else:
            targets = leaves
            sub_positional = positional
        if sub_positional:
            slots = [lf.column for lf in targets]
        else:  # in order; a merged cell of a grid counts once
            idx = _distinct(r, start)
            rel = ordered_values(tuple(r.cells[i] for i in idx), 0, len(targets))
            slots = [idx[j] for j in rel] if rel is not None else None
            if slots is None:
                shown = [r.cells[i] for i in idx]
                n = sum(1 for t in shown if t.strip())
                col.flag("ambiguous_row", row_lab.key if row_lab else "values",
                         f"{n} values printed for {len(targets)} columns: " + " | ".join(shown))
                return
        for lf, i in zip(targets, slots):
            row_key = lf.row_key or (row_lab.key if row_lab else None)
            if row_key is not None:
                col.add(row_key, lf.col_key, r, i, lf.header)

    for r in rows[first:]:
        labels = _labels_of(r)
        if not has_values(r):
            for _, text in labels:
                group = _group_of(spec, text, group)
            continue
        if r.grid not in leaves_by_grid:  # a continuation grid without its own header
            prev = leaves_by_grid.get(rows[0].grid)
            leaves_by_grid[r.grid] = prev if prev and width == len(r.cells) else canonical_leaves(spec)
        leaves = leaves_by_grid[r.grid]
        positional = r.grid is not None and all(lf.column >= 0 for lf in leaves)
        if positional and leaves:  # text in a value column is a misread value, not a label
            first_value = min(lf.column for lf in leaves)
            labels = [(i, t) for i, t in labels if i < first_value]
        for _, text in labels[:-1]:
            group = _group_of(spec, text, group)
        start = labels[-1][0] + 1 if labels else 0
        row_lab: Label | None = None
        if labels:
            text = labels[-1][1]
            row_lab = best_match(text, spec.rows, group)
            if row_lab is None:
                if _group_of(spec, text, None) is not None:
                    why = ("values_on_group_label", core(text), f"values printed on the group label {text!r}")
                else:
                    why = ("unrecognised_row", core(text) or text,
                           f"row label {text!r} matches no row of {spec.key}")
                waiting.append((len(placed), r, text, start, leaves, positional, why))
                placed.append(None)
                continue
        elif spec.key == "requests":
            waiting.append((len(placed), r, "", start, leaves, positional,
                            ("unrecognised_row", "unlabelled", f"values without a row label: {r.cells}")))
            placed.append(None)
            continue
        put(r, row_lab, start, leaves, positional)
        if row_lab is not None:
            placed.append(row_lab.key)
    runs: list[list[tuple]] = []  # rows waiting side by side: placed together
    for w in waiting:
        if runs and runs[-1][-1][0] + 1 == w[0]:
            runs[-1].append(w)
        else:
            runs.append([w])
    for run in runs:
        labs = _by_order(spec, placed, [w[0] for w in run], [w[2] for w in run], {k for k, _ in col.seen})
        for (pos, r, text, start, leaves, positional, why), lab in zip(run, labs or [None] * len(run)):
            if lab is None:
                col.flag(*why)
                continue
            col.flag("row_by_order", lab.key, f"row label read as {text!r}; the rows read around it leave "
                     f"open exactly the format's {lab.label!r} here", "info")
            put(r, lab, start, leaves, positional)
            placed[pos] = lab.key


def _by_order(spec: TableSpec, placed: list[str | None], positions: list[int], texts: list[str],
              filled: set[str]) -> list[Label] | None:
    """The rows that printed rows whose labels were not read (or were misread past
    matching) must be, from where they stand: the rows of the format between the
    row read before them and the row read after them, less those already filled,
    when exactly as many are left as rows wait there, and no list number read
    (``1.``, ``（二）``) contradicts its row's. Table 3 only: its rows are a fixed
    sequence; table 4 has one row."""
    if spec.key != "requests":
        return None
    order = [lab.key for lab in spec.rows]
    before = next((k for k in reversed(placed[:positions[0]]) if k), None)
    after = next((k for k in placed[positions[-1] + 1:] if k), None)
    lo = order.index(before) + 1 if before else 0
    hi = order.index(after) if after else len(order)
    free = [k for k in order[lo:hi] if k not in filled]
    if len(free) != len(positions):
        return None
    labs = [next(x for x in spec.rows if x.key == k) for k in free]
    for text, lab in zip(texts, labs):
        seen, want = enumerator(text), enumerator(lab.label)
        if seen is not None and want is not None and seen != want:
            return None
    return labs


def _group_of(spec: TableSpec, text: str, current: str | None) -> str | None:
    """The table-3 group a label opens (``（三）不予公开``), or the current one."""
    c = core(text)
    if c in spec.groups:
        return c
    enum = enumerator(text) or ""
    if enum and not enum[:1].isdigit() and best_match(text, spec.rows) is not None:
        return None  # a new lettered or top-level row closes the group
    return current


_ARTICLE = re.compile(r"第二十条第?[({《〈]?([一二三四五六七八九十]+)[)}》〉]?项")
_ARTICLE_UNREAD = re.compile(r"二?十条第?|条第.{0,4}项")  # an article heading whose number OCR lost


def _article_of(text: str) -> str | None:
    m = _ARTICLE.search(re.sub(r"\s+", "", fold(text)))
    return f"({m.group(1)})" if m else None


def _label_area(r: TableRow) -> tuple[int, str]:
    """(where the values start, the row label) of a table-2 row: the texts before its
    first value, each merged cell once, joined (a label that a stray line split
    over two grid columns is one label again)."""
    first_value = next((i for i, t in enumerate(r.cells) if t.strip() and is_value(t)), len(r.cells))
    texts: list[str] = []
    for t in r.cells[:first_value]:
        t = t.strip()
        if t and (not texts or texts[-1] != t):
            texts.append(t)
    return first_value, "".join(texts)


def _distinct(r: TableRow, start: int) -> list[int]:
    """The indexes of the row's cells from ``start`` on, a merged cell once (grid rows
    repeat a merged cell's text in every column it spans; its box tells them apart)."""
    if not r.bboxes:
        return list(range(start, len(r.cells)))
    out, last = [], object()
    for i in range(start, len(r.cells)):
        key = r.bboxes[i] if r.bboxes[i] is not None else i
        if key != last:
            out.append(i)
        last = key
    return out


def _header_leaves(block, header: TableRow | None) -> list[Leaf]:
    """The value columns of a block from its column-header row (``信息内容 | 本年制发件数
    | …``), when every column of the block is found there; else none (the values are
    then taken in the official order)."""
    if header is None:
        return []
    leaves: list[Leaf] = []
    for i, text in _labels_of(header):
        lab = best_match(text, block.cols)
        if lab is not None and not any(lf.col_key == lab.key for lf in leaves):
            leaves.append(Leaf(i, None, lab.key, text))
    return leaves if {lf.col_key for lf in leaves} == {c.key for c in block.cols} else []


def _map_blocks(spec: TableSpec, rows: list[TableRow], col: _Collector) -> None:
    """Table 2: stacked blocks, each a 第二十条 article, a column header, value rows.

    The block of a value row is the block its label belongs to (the format's row labels
    are unique across blocks), so an article heading that OCR garbled or a crawler
    dropped costs nothing: the heading read says which block follows (checked against
    the rows), the column header row says where each column stands, and without it the
    values are taken in the block's official order."""
    of_row = {lab.key: b for b in spec.blocks for lab in b.rows}
    block_rows = tuple(lab for b in spec.blocks for lab in b.rows)
    block = None          # the block the rows now belong to
    announced = None      # the block the last article heading read named
    header: TableRow | None = None
    leaves: list[Leaf] = []
    for r in rows:
        labels = _labels_of(r)
        article = next((a for _, t in labels if (a := _article_of(t))), None)
        if article:
            announced = next((b for b in spec.blocks if _article_of(b.article) == article), None)
            if announced is None:
                col.flag("unrecognised_block", article, f"第二十条第{article}项 is not part of this format")
            block, header, leaves = announced, None, []
            continue
        if any(_ARTICLE_UNREAD.search(re.sub(r"\s+", "", fold(t))) for _, t in labels[:2]):
            announced, block, header, leaves = None, None, None, []  # a heading whose number was lost
            continue
        if not has_values(r):
            if labels:
                header, leaves = r, []  # the column header of the block whose rows follow
            continue
        end, label = _label_area(r)
        if not label:
            col.flag("unrecognised_row", "unlabelled", f"values without a row label: {r.cells}")
            continue
        row_lab = best_match(label, block.rows) if block is not None else None
        row_lab = row_lab or best_match(label, block_rows)
        if row_lab is None:
            col.flag("unrecognised_row", core(label) or label, f"row label {label!r} matches no row of the block")
            continue
        blk = of_row[row_lab.key]
        if blk is not block:
            if announced is not blk:
                col.flag("block_by_row", _article_of(blk.article) or "",
                         f"the rows from {label!r} on are {blk.article}'s (their article heading was not "
                         "read)", "info")
            block, leaves = blk, []
        if not leaves:
            leaves = _header_leaves(block, header)
        targets = leaves or [Leaf(-1, None, c.key, c.label) for c in block.cols]
        if r.grid is not None and leaves:
            slots = [lf.column for lf in targets]
        else:
            idx = _distinct(r, end)
            rel = ordered_values(tuple(r.cells[i] for i in idx), 0, len(targets))
            slots = [idx[j] for j in rel] if rel is not None else None
        if slots is None:
            col.flag("ambiguous_row", row_lab.key, f"values do not fit {len(targets)} columns: "
                     + " | ".join(r.cells[i] for i in _distinct(r, end)))
            continue
        for lf, i in zip(targets, slots):
            col.add(row_lab.key, lf.col_key, r, i, lf.header)


def _completeness(spec: TableSpec, col: _Collector) -> None:
    found = set(col.seen)
    expected = spec.cells()
    rows_expected = list(dict.fromkeys(r for r, _ in expected))
    rows_found = {r for r, _ in found}
    missing_rows = [r for r in rows_expected if r not in rows_found]
    # one flag per missing row and per missing cell, scoped to it: a person who adds the
    # values from the paper (``reportdb correct``) resolves exactly these
    if missing_rows and found:
        for r in missing_rows:
            col.flag("table_incomplete", r, "row not printed (or not read)")
    elif not found:
        col.flag("table_missing", "all", "no value of this table could be read")
    for r, c in expected:
        if r in rows_found and (r, c) not in found:
            col.flag("cells_missing", f"{r}/{c}", "cell not printed (or not read)")
    for c in col.out.cells:  # one flag per blank cell, scoped to it: correcting the cell clears it
        if c.value is None and c.raw == "":
            col.flag("blank_cells", f"{c.row_key}/{c.col_key}", "printed blank: NULL, not 0")
