"""Ruled tables on page images: lines → tables → cells → grid, pure geometry.

Each step is a function over plain arrays and tuples, and ``find_grids`` keeps
every intermediate (``GridTrace``) so a debug run can draw them:

1. ``line_masks``: horizontal and vertical rulings, by opening the binary page
   with long thin kernels (text strokes are shorter than the kernels);
2. ``table_boxes``: a table is a large connected component of the rulings;
3. ``cell_boxes``: the cells are the connected regions of the table's inside that
   the rulings enclose, so a merged cell is one region, whatever it spans;
4. ``assemble``: the distinct cell edges give row and column lines; each cell's
   row, column and spans follow (the same rule as for PDF cell boxes).

Coordinates are pixels of the straightened page, origin top left.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

Box = tuple[int, int, int, int]  # x0, y0, x1, y1


@dataclass(frozen=True)
class CellBox:
    row: int
    col: int
    rowspan: int
    colspan: int
    box: Box


@dataclass
class GridTrace:
    """What each step found, for inspection and the debug drawing."""

    horizontal: np.ndarray | None = None
    vertical: np.ndarray | None = None
    tables: list[Box] = field(default_factory=list)
    cells: list[list[CellBox]] = field(default_factory=list)


def line_masks(binary: np.ndarray, dpi: int) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal and vertical rulings. A short closing first bridges the gaps
    that noise and JPEG leave in a ruling; the opening keeps runs longer than
    about 0.3 inch horizontally and 0.15 inch vertically (a CJK glyph at 9–12 pt
    is under 0.17 inch, and its strokes are shorter still)."""
    hk = max(20, int(0.30 * dpi))
    vk = max(12, int(0.15 * dpi))
    bridged_h = cv2.morphologyEx(binary, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (5, 1)))
    bridged_v = cv2.morphologyEx(binary, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (1, 5)))
    h = cv2.morphologyEx(bridged_h, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (hk, 1)))
    v = cv2.morphologyEx(bridged_v, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, vk)))
    return h, v


def table_boxes(h: np.ndarray, v: np.ndarray, dpi: int) -> list[Box]:
    """Tables: connected components of the rulings at least an inch wide and a
    third of an inch high, with both horizontal and vertical rulings in them."""
    grid = cv2.dilate(cv2.bitwise_or(h, v), np.ones((3, 3), np.uint8))
    n, _, stats, _ = cv2.connectedComponentsWithStats(grid, connectivity=8)
    out = []
    for i in range(1, n):
        x, y, w, hh, _ = stats[i]
        if w < dpi or hh < dpi / 3:
            continue
        if v[y:y + hh, x:x + w].any() and h[y:y + hh, x:x + w].any():
            out.append((int(x), int(y), int(x + w), int(y + hh)))
    return sorted(out, key=lambda b: (b[1], b[0]))


def cell_regions(h: np.ndarray, v: np.ndarray, table: Box, dpi: int) -> list[Box]:
    """The regions the rulings enclose inside ``table``: 4-connected components of
    the non-ruling area, ignoring the outside and slivers."""
    x0, y0, x1, y1 = table
    lines = cv2.bitwise_or(h[y0:y1, x0:x1], v[y0:y1, x0:x1])
    lines = cv2.dilate(lines, np.ones((3, 3), np.uint8))
    inside = cv2.bitwise_not(lines)
    n, _, stats, _ = cv2.connectedComponentsWithStats(inside, connectivity=4)
    min_side = max(6, int(0.04 * dpi))
    out = []
    for i in range(1, n):
        x, y, w, hh, area = stats[i]
        if w < min_side or hh < min_side or area < 0.5 * w * hh:
            continue
        if x <= 1 or y <= 1 or x + w >= (x1 - x0) - 1 or y + hh >= (y1 - y0) - 1:
            continue  # touches the table's edge: outside the outer ruling
        out.append((int(x0 + x), int(y0 + y), int(x0 + x + w), int(y0 + y + hh)))
    return out


def _edges(values: list[int], tol: int) -> list[float]:
    groups: list[list[int]] = []
    for v in sorted(values):
        if groups and v - groups[-1][-1] <= tol:
            groups[-1].append(v)
        else:
            groups.append([v])
    return [float(np.mean(g)) for g in groups]


def _nearest(edges: list[float], v: float) -> int:
    return min(range(len(edges)), key=lambda i: abs(edges[i] - v))


def assemble(regions: list[Box], dpi: int) -> list[CellBox]:
    """Cell regions → rows, columns and spans from the distinct edges."""
    if not regions:
        return []
    tol = max(4, int(0.03 * dpi))
    # a region's left edge and its left neighbour's right edge differ by the
    # ruling's width, so columns are counted from left edges only (rows: tops)
    lefts = _edges([b[0] for b in regions], tol)
    tops = _edges([b[1] for b in regions], tol)
    cells = []
    for b in regions:
        c0 = _nearest(lefts, b[0])
        r0 = _nearest(tops, b[1])
        c1 = sum(1 for x in lefts if x < b[2] - tol)
        r1 = sum(1 for y in tops if y < b[3] - tol)
        cells.append(CellBox(r0, c0, max(1, r1 - r0), max(1, c1 - c0), b))
    return sorted(cells, key=lambda c: (c.row, c.col))


def find_grids(binary: np.ndarray, dpi: int, trace: GridTrace | None = None) -> list[list[CellBox]]:
    """All ruled tables of a page, each as its cells with row/col spans."""
    h, v = line_masks(binary, dpi)
    tables = table_boxes(h, v, dpi)
    grids = []
    for t in tables:
        cells = assemble(cell_regions(h, v, t, dpi), dpi)
        if len(cells) >= 4:
            grids.append(cells)
    if trace is not None:
        trace.horizontal, trace.vertical, trace.tables, trace.cells = h, v, tables, grids
    return grids


def ruling_mask(binary: np.ndarray, dpi: int) -> np.ndarray:
    """The rulings alone (to paint them out before reading text)."""
    h, v = line_masks(binary, dpi)
    return cv2.dilate(cv2.bitwise_or(h, v), np.ones((3, 3), np.uint8))


def draw(image: np.ndarray, trace: GridTrace) -> np.ndarray:
    """The debug picture: tables in blue, cells in green, merged cells in red."""
    out = image.copy() if image.ndim == 3 else cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    for t in trace.tables:
        cv2.rectangle(out, t[:2], t[2:], (255, 0, 0), 3)
    for cells in trace.cells:
        for c in cells:
            colour = (0, 0, 255) if c.rowspan > 1 or c.colspan > 1 else (0, 160, 0)
            cv2.rectangle(out, c.box[:2], c.box[2:], colour, 2)
            cv2.putText(out, f"{c.row},{c.col}", (c.box[0] + 3, c.box[1] + 14),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.4, colour, 1)
    return out
