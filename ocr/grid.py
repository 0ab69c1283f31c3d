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


def components(binary: np.ndarray, connectivity: int) -> tuple[int, np.ndarray, np.ndarray]:
    """OpenCV's connected components with their stats (count, labels, stats). Labels
    in 16 bits while they fit: on a 300 dpi page that labelling took a third of the
    time of 32-bit labels on one thread (20 against 69 ms, measured); a page of more
    than 65,535 pieces of ink (noise) makes OpenCV refuse, and is labelled in 32 bits."""
    try:
        n, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=connectivity,
                                                               ltype=cv2.CV_16U)
    except cv2.error:
        n, labels, stats, _ = cv2.connectedComponentsWithStats(binary, connectivity=connectivity,
                                                               ltype=cv2.CV_32S)
    return n, labels, stats


def line_masks(binary: np.ndarray, dpi: int) -> tuple[np.ndarray, np.ndarray]:
    """Horizontal and vertical rulings. A short closing first bridges the gaps
    that noise and JPEG leave in a ruling; the opening keeps runs longer than
    about 0.3 inch horizontally and 0.15 inch vertically (a CJK glyph at 9–12 pt
    is under 0.17 inch, and its strokes are shorter still)."""
    hk = max(20, int(0.30 * dpi))
    vk = max(12, int(0.15 * dpi))
    lines = without_glyphs(binary, dpi)
    bridged_h = cv2.morphologyEx(lines, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (5, 1)))
    h = cv2.morphologyEx(bridged_h, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (hk, 1)))
    # glyphs that touch a horizontal ruling (text set without padding, the ink spread of a
    # blurred photo) are part of the table's ink; with the horizontal rulings taken out they
    # stand apart, and are taken out of what the vertical rulings are looked for in
    # (looked for only across the horizontal rulings' extent: a table's vertical rulings stand
    # between its horizontal ones, and a page without any is spared the pass)
    bx, by, bw, bh = cv2.boundingRect(h)
    if bw and bh:
        pad = int(0.35 * dpi)
        y0, y1, x0, x1 = max(0, by - pad), by + bh + pad, max(0, bx - pad), bx + bw + pad
        part = lines[y0:y1, x0:x1]
        apart = cv2.bitwise_and(part, cv2.bitwise_not(cv2.dilate(h[y0:y1, x0:x1], np.ones((3, 3), np.uint8))))
        lines = lines.copy()
        lines[y0:y1, x0:x1] = cv2.bitwise_and(part, cv2.bitwise_not(glyph_mask(apart, dpi, thick=0.04)))
    bridged_v = cv2.morphologyEx(lines, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (1, 5)))
    v = cv2.morphologyEx(bridged_v, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, vk)))
    return h, drop_glyph_strokes(v, h, binary, dpi)


def without_glyphs(binary: np.ndarray, dpi: int) -> np.ndarray:
    """The binary page without the pieces of ink that are glyphs: connected pieces
    no taller and no wider than a big glyph (0.35 inch either way, a 24 pt title),
    unless thin and long like a piece of a broken ruling. Office suites set table
    text with no space above or below it, so the vertical stroke of 十 or 申 in a
    10.5 pt line is as long as the row is high, and the horizontal strokes of a bold
    title line up from glyph to glyph: left in, the closings below would join them
    into rulings (a column boundary in the middle of a word; a title painted out
    before it is read)."""
    return cv2.bitwise_and(binary, cv2.bitwise_not(glyph_mask(binary, dpi)))


def glyph_mask(binary: np.ndarray, dpi: int, thick: float = 0.0) -> np.ndarray:
    """The connected pieces of ``binary`` that are glyphs (``without_glyphs``), as a
    mask. ``thick``: only pieces at least this many inches wide and high (the pieces
    of a vertical ruling cut between two horizontal ones are thin, whatever their
    length; a glyph is not)."""
    n, labels, stats = components(binary, 8)
    if n <= 1:
        return np.zeros_like(binary)
    size = 0.35 * dpi
    w, h = stats[:, 2], stats[:, 3]
    line_like = (np.minimum(w, h) <= max(2, 0.025 * dpi)) & (np.maximum(w, h) >= 4 * np.minimum(w, h))
    glyph = (w <= size) & (h <= size) & ~line_like & (np.minimum(w, h) >= thick * dpi)
    glyph[0] = False
    lut = np.where(glyph, 255, 0).astype(np.uint8)  # a byte table: indexing bools and scaling cost 4x
    return lut[labels]


GLYPH_BOTH = 0.3    # share of a run's rows with ink close on both sides: a glyph stroke
GLYPH_ALONE = 0.15  # the same on either side, for a short run no other run lines up with


def drop_glyph_strokes(v: np.ndarray, h: np.ndarray, binary: np.ndarray, dpi: int) -> np.ndarray:
    """The vertical rulings without the glyph strokes that passed for them.

    Office suites set table text with no space above or below it, so the long
    vertical stroke of 十, 申 or 于 in a 10.5 pt line reaches from one horizontal
    ruling to the next and survives the opening: a column boundary in the middle of
    a word. Two things tell them apart, measured over a run's rows that no horizontal
    ruling crosses, within about 0.6 mm of each side:

    * a ruling has paper on at least one side (a cell's text keeps its side padding,
      about 2 mm in Word, 1 mm in tight layouts); a stroke inside a glyph has its
      glyph's strokes, or the next glyph, on both sides: dropped when a third of its
      rows have ink on both sides;
    * a real column boundary lines up with rulings in other rows, or runs long; a
      short run that nothing lines up with, and that has ink beside it on some of
      its rows (the strokes that cross 申's middle stroke), is a glyph's."""
    bx, by, bw, bh = cv2.boundingRect(v)  # the labelling only where rulings are (a few % of a page)
    if not bw:
        return v
    n, labels, stats = components(v[by:by + bh, bx:bx + bw], 8)
    if n <= 1:
        return v
    stats = stats.copy()
    stats[:, 0] += bx
    stats[:, 1] += by
    gap, band = 2, max(3, int(round(0.025 * dpi)))
    tol = max(3, int(round(0.02 * dpi)))
    short = int(0.6 * dpi)
    height, width = binary.shape
    centres = stats[:, 0] + stats[:, 2] / 2
    centres[0] = np.inf  # the background lines up with nothing
    dropped = np.zeros(n, bool)
    for i in range(1, n):
        x, y, w, hh, _ = stats[i]
        lo, hi = max(0, x - gap - band), min(width, x + w + gap + band)
        crossed = h[y:y + hh, lo:hi].any(axis=1)
        crossed = cv2.dilate(crossed.astype(np.uint8)[:, None], np.ones((2 * gap + 3, 1), np.uint8))[:, 0] > 0
        rows = ~crossed
        if rows.sum() < 4:
            continue
        left = (binary[y:y + hh, max(0, x - gap - band):max(0, x - gap)] > 0).sum(axis=1) >= 2
        right = (binary[y:y + hh, min(width, x + w + gap):min(width, x + w + gap + band)] > 0).sum(axis=1) >= 2
        both = (left & right)[rows].mean()
        either = (left | right)[rows].mean()
        alone = hh < short and int(np.count_nonzero(np.abs(centres - centres[i]) <= tol)) <= 1  # itself only
        if both > GLYPH_BOTH or (alone and either > GLYPH_ALONE):
            dropped[i] = True
    if not dropped.any():
        return v
    keep = np.where(dropped, 0, 255).astype(np.uint8)
    keep[0] = 0
    out = v.copy()
    out[by:by + bh, bx:bx + bw] = keep[labels]
    return out


def table_boxes(h: np.ndarray, v: np.ndarray, dpi: int) -> list[Box]:
    """Tables: connected components of the rulings at least an inch wide and an
    eighth of an inch high (one row: a table's last row alone at the top of a page),
    with both horizontal and vertical rulings in them."""
    grid = cv2.dilate(cv2.bitwise_or(h, v), np.ones((3, 3), np.uint8))
    bx, by, bw, bh = cv2.boundingRect(grid)  # labelled only where the rulings are
    n, _, stats = components(grid[by:by + bh, bx:bx + bw], 8) if bw else (0, None, None)
    out = []
    for i in range(1, n):
        x, y, w, hh, _ = stats[i]
        x, y = x + bx, y + by
        if w < dpi or hh < dpi / 8:
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
    n, _, stats = components(inside, 4)
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
        if len(cells) >= 2:  # two cells side by side: what a page break left of a table
            grids.append(cells)
    if trace is not None:
        trace.horizontal, trace.vertical, trace.tables, trace.cells = h, v, tables, grids
    return grids


def ruling_mask(h: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The rulings alone, a little widened (to paint them out before reading text),
    from the masks ``line_masks`` found (kept in the ``GridTrace``: finding them is
    about a fifth of a second on a 300 dpi page, not to be spent twice)."""
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
