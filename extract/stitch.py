"""A ruled table that runs over a page break, put back into one set of columns.

Why: on paper a table goes on over the page; in a PDF or a scan it arrives as one
grid per page, and the grids rarely have the same columns. The part on one page
lacks the rows whose cells divided some columns (a page holding only
``行政复议 | 行政诉讼`` has two columns where the next page has fifteen), a header row
cut by the break leaves a few cells on each page, and a scan puts each page a little
elsewhere. Mapping each grid on its own then reads headers wrongly or not at all.

The columns of a grid are its boundaries (``TableRow.edges``). Measured across the
table's own width (0 at its left side, 1 at its right), the boundaries of one grid
are among those of the next when both are parts of one table; the grids of such a
chain are then expanded onto the union of their boundaries, exactly as a merged cell
is expanded over the columns it spans. Grids whose boundaries disagree (another
table, or a grid read badly) are left as they are, and so are rows without geometry
(web pages, Word, text dumps: their tables are never cut by a page).

Rows cut in two by the break are joined later, against the template
(``extract.tables.join_split_rows``): only the template can tell a label's
continuation from a row of its own.
"""

from __future__ import annotations

from dataclasses import replace

from .layout import TableRow

TOLERANCE = 0.012  # of the table's width: about 2 mm on a 16 cm table


def _normalised(edges: tuple[float, ...]) -> list[float] | None:
    left, right = edges[0], edges[-1]
    if right - left <= 0:
        return None
    return [(e - left) / (right - left) for e in edges]


def _within(a: list[float], b: list[float]) -> bool:
    """Is every boundary of ``a`` one of ``b``'s?"""
    return all(any(abs(x - y) <= TOLERANCE for y in b) for x in a)


def _union(a: list[float], b: list[float]) -> list[float]:
    out: list[float] = []
    for x in sorted(a + b):
        if out and x - out[-1] <= TOLERANCE:
            continue
        out.append(x)
    out[0], out[-1] = 0.0, 1.0
    return out


def _runs(rows: list[TableRow]) -> list[list[TableRow]]:
    """Consecutive rows of one grid."""
    runs: list[list[TableRow]] = []
    for r in rows:
        if runs and runs[-1][0].grid == r.grid and r.grid is not None:
            runs[-1].append(r)
        else:
            runs.append([r])
    return runs


def expand(row: TableRow, union: list[float]) -> TableRow:
    """``row`` over the columns of ``union`` (normalised boundaries that include its own)."""
    own = _normalised(row.edges) if row.edges else None
    if own is None or len(own) - 1 != len(row.cells):
        return row
    picks = []
    for j in range(len(union) - 1):
        mid = (union[j] + union[j + 1]) / 2  # the own column this union column lies in
        picks.append(max([0] + [i for i in range(len(own) - 1) if own[i] <= mid]))

    def take(values):
        return tuple(values[i] for i in picks) if values is not None else None

    left, right = row.edges[0], row.edges[-1]
    edges = tuple(round(left + u * (right - left), 2) for u in union)
    return replace(row, cells=take(row.cells), bboxes=take(row.bboxes), confidences=take(row.confidences),
                   alternatives=take(row.alternatives), edges=edges)


def align_columns(rows: list[TableRow]) -> list[TableRow]:
    """The rows of one printed table with the grids of each chain (consecutive grids
    whose boundaries contain one another) expanded onto one set of columns."""
    out: list[TableRow] = []
    chain: list[list[TableRow]] = []
    union: list[float] | None = None

    def flush() -> None:
        nonlocal chain, union
        for run in chain:
            out.extend(expand(r, union) if union is not None and len(chain) > 1 else r for r in run)
        chain, union = [], None

    for run in _runs(rows):
        edges = _normalised(run[0].edges) if run[0].edges else None
        if edges is None:
            flush()
            out.extend(run)
            continue
        if union is not None and (_within(edges, union) or _within(union, edges)):
            union = _union(union, edges)
            chain.append(run)
            continue
        flush()
        chain, union = [run], edges
    flush()
    return out
