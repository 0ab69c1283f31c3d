"""Reading the cells of the tables found on a page image.

Two facts shape this module. Through the ``tesseract`` command one OCR call per
cell cost about 80 ms of start-up, 13 s for a 161-cell table, so crops are read
in batches (``read_crops``); with the library held in the worker a call costs
about 1 ms, but the readings and votes below were measured on the stacked strips,
and reading every crop on its own has not been measured against them. And
Tesseract reads lone digits badly: on a table of small counts, a single reading
of the stacked value cells gets 5–40 % of them wrong (a lone ``1`` comes back as
``4``, ``.`` or nothing), and which ones depends on the scale and binarisation.
But a table's values are printed in one font, so every ``1`` on a page looks
like every other ``1``. So:

1. each cell is cropped to its ink; cells whose ink is one short line of
   digit-shaped glyphs are *value cells*, the rest are labels;
2. the value cells are read twice (binarised at two glyph heights, one softened, digits-only
   alphabet); those the page's look-alike glyphs do not settle are read twice more, each
   crop on its own: from the greyscale page (a thin serif stroke can break in the binary
   copy) and binarised (a strip's neighbours can sway a lone digit) — and, where the
   engine is RapidOCR, by its recogniser;
3. each value cell takes the reading most votes support among itself and the
   cells whose ink looks the same (``glyph_neighbours``); the share of votes is
   its confidence and the losing readings are kept as alternatives;
4. label cells are read once, as text (short unsure ones again, larger), and
   matched to the known labels downstream; a value cell whose readings hold no
   digit is read as a label, and a label read as a number (digits that touch)
   is read as a value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import cv2
import numpy as np

from .engines import OcrEngine
from .grid import Box, CellBox

SURE = 0.99
UNANIMOUS = 0.9      # a value all its readings agree on, with no look-alike to vote too
LOW = 0.75           # below this share of votes a value is marked unsure
READINGS = ((48, 1.2), (34, 0.0))  # (glyph height px, blur px) of the two digit readings
GLYPH_THRESHOLD = 0.12  # mean difference under which two glyph images are the same glyph
LABEL_HEIGHT = 30    # px: label glyphs are read at this height (CJK needs no more)
LABEL_HEIGHT_AGAIN = 44  # px: unsure labels are read again with glyphs this high
LABEL_UNSURE = 0.45  # a label read below this (its least sure word) is read again
LABEL_SHORT = 10     # … when it has fewer CJK characters than this (column headers, short row labels)
_DIGITS = re.compile(r"\d")
_NUMBER = re.compile(r"-?\d[\d,]*(\.\d+)?")
_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class CellReading:
    text: str
    confidence: float
    alternatives: tuple[str, ...] = ()
    numeric: bool = False


def ink_box(binary: np.ndarray, box: Box, dpi: int) -> Box | None:
    """The ink inside a cell (rulings and specks left out), or None for a blank."""
    m = max(3, int(0.012 * dpi))
    x0, y0, x1, y1 = box[0] + m, box[1] + m, box[2] - m, box[3] - m
    if x1 - x0 < 4 or y1 - y0 < 4:
        return None
    crop = binary[y0:y1, x0:x1]
    n, _, stats, _ = cv2.connectedComponentsWithStats(crop, connectivity=8)
    min_area = max(6, int((dpi / 100) ** 2 * 2))
    flat = max(4, int(0.02 * dpi))  # a minus sign or a piece of a thin dash: small, wide, flat
    thin = max(3, int(0.015 * dpi))
    # a ruling's remnant runs (nearly) the cell's whole height or width and is thin; a
    # glyph may be as high as the cell (office suites set table text with no padding
    # above or below it: 第, 项, 本 fill the row) and stays
    keep = [stats[i] for i in range(1, n) if (stats[i][4] >= min_area
                                               or (stats[i][2] >= flat and stats[i][2] >= 2 * stats[i][3]))
            and not (stats[i][3] >= (y1 - y0) * 0.95 and stats[i][2] <= thin)
            and not (stats[i][2] >= (x1 - x0) * 0.98 and stats[i][3] <= thin)]
    if not keep:
        return None
    xa = min(s[0] for s in keep)
    ya = min(s[1] for s in keep)
    xb = max(s[0] + s[2] for s in keep)
    yb = max(s[1] + s[3] for s in keep)
    return (x0 + xa, y0 + ya, x0 + xb, y0 + yb)


def glyph_boxes(binary: np.ndarray, ink: Box) -> list[tuple[int, int]]:
    """The x-extents of the glyphs of a one-line cell: runs of inked columns."""
    cols = binary[ink[1]:ink[3], ink[0]:ink[2]].max(axis=0) > 0
    runs, start = [], None
    for x, on in enumerate(cols):
        if on and start is None:
            start = x
        elif not on and start is not None:
            runs.append((start, x))
            start = None
    if start is not None:
        runs.append((start, len(cols)))
    return runs


def looks_numeric(binary: np.ndarray, ink: Box, line_height: float) -> bool:
    """One short line of narrow glyphs (digits are at most nine tenths as wide as high;
    CJK glyphs are square), or a lone dash. Wrongly taken CJK labels are caught
    later: their digit readings hold no digit."""
    h = ink[3] - ink[1]
    w = ink[2] - ink[0]
    if h > 1.5 * line_height:
        return False
    if h < 0.35 * line_height or is_dash(binary, ink, line_height):
        return w < 3 * line_height  # a dash (— or -) for zero
    runs = glyph_boxes(binary, ink)
    if not runs or len(runs) > 8:
        return False
    return all((b - a) <= 0.9 * line_height for a, b in runs)


def is_dash(binary: np.ndarray, ink: Box, line_height: float) -> bool:
    """A value cell holding one flat stroke: the dash printed for zero (— or -).
    OCR with a digit alphabet returns nothing for it, so it is told by shape: a
    flat, wide band of ink that covers most of its width (a thin dash scanned at
    200 dpi often breaks into pieces)."""
    h = ink[3] - ink[1]
    w = ink[2] - ink[0]
    if not (h < 0.3 * line_height and w >= 3 * h and w >= 0.3 * line_height):
        return False
    cols = binary[ink[1]:ink[3], ink[0]:ink[2]].max(axis=0) > 0
    return float(cols.mean()) >= 0.7


def faint_ink(gray: np.ndarray, box: Box, dpi: int) -> np.ndarray | None:
    """The ink of a cell that the page's threshold left blank, found against the
    cell's own background: thin strokes (a dash, a light ``1``) that denoising
    blurred to grey. Returns the cell's inner area as a binary mask (ink 255),
    or None when nothing in it stands out."""
    m = max(3, int(0.012 * dpi))
    crop = gray[box[1] + m:box[3] - m, box[0] + m:box[2] - m]
    if crop.size == 0:
        return None
    dark = (crop < float(np.median(crop)) - 35).astype(np.uint8) * 255
    dark = cv2.morphologyEx(dark, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 1)))
    return dark if cv2.countNonZero(dark) else None


def normalise_value(text: str) -> str:
    """A value reading in one spelling, so readings can be compared: look-alike
    letters to digits, dashes to one dash."""
    t = re.sub(r"\s+", "", text)
    t = t.translate(str.maketrans("oO〇lI|０１２３４５６７８９，—–一_~／", "0001110123456789,-----/"))
    return re.sub(r"-{2,}", "-", t)


def _crop(img: np.ndarray, b: Box, pad: int) -> np.ndarray:
    h, w = img.shape[:2]
    return img[max(0, b[1] - pad):min(h, b[3] + pad), max(0, b[0] - pad):min(w, b[2] + pad)]


def _at_height(crop: np.ndarray, height: int) -> np.ndarray:
    f = height / max(1, crop.shape[0])
    size = (max(1, int(round(crop.shape[1] * f))), max(1, int(round(crop.shape[0] * f))))
    return cv2.resize(crop, size, interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_CUBIC)


def _binary_crop(binary: np.ndarray, ink: Box, glyph_height: int, smooth: float = 0.0) -> np.ndarray:
    """Dark-on-white binarised crop whose ink is ``glyph_height`` px high, its
    edges softened by a blur of ``smooth`` px where asked: Tesseract reads a
    bilevel ``1`` as ``4`` at some sizes, and the softened glyph right."""
    crop = 255 - _crop(binary, ink, 0)
    scaled = _at_height(crop, glyph_height)
    if smooth:
        scaled = cv2.GaussianBlur(scaled, (0, 0), smooth)
    pad = max(4, glyph_height // 4)
    return cv2.copyMakeBorder(scaled, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255)


GREY_HEIGHT = 40  # px: the glyph height of the greyscale reading of unsettled value cells


def _grey_crop(gray: np.ndarray, ink: Box, glyph_height: int) -> np.ndarray:
    """The cell's digits from the cleaned greyscale page, ``glyph_height`` px high, on
    a white margin."""
    pad = max(2, (ink[3] - ink[1]) // 6)
    scaled = _at_height(_crop(gray, ink, pad), int(round(glyph_height * (1 + 2 * pad / max(1, ink[3] - ink[1])))))
    margin = max(4, glyph_height // 4)
    return cv2.copyMakeBorder(scaled, margin, margin, margin, margin, cv2.BORDER_CONSTANT, value=255)


def _feature(binary: np.ndarray, ink: Box) -> tuple[float, np.ndarray]:
    """A glyph or cell image at 24 px height, slightly blurred, with its aspect."""
    crop = binary[ink[1]:ink[3], ink[0]:ink[2]]
    aspect = crop.shape[1] / max(1, crop.shape[0])
    img = cv2.resize(crop, (max(8, int(round(24 * aspect))), 24), interpolation=cv2.INTER_AREA)
    return aspect, cv2.GaussianBlur(img.astype(np.float32) / 255.0, (0, 0), 1.0)


def glyph_neighbours(features: list[tuple[float, np.ndarray]], threshold: float = 0.15) -> list[list[int]]:
    """For each image, the images that look the same: aspect within 15 % and mean
    difference under ``threshold`` once both are scaled to one size (itself
    included). All pairs at once, so a page's few hundred glyphs cost milliseconds."""
    if not features:
        return []
    aspects = np.array([a for a, _ in features])
    width = max(8, int(round(24 * float(np.median(aspects)))))
    flat = np.stack([cv2.resize(f, (width, 24), interpolation=cv2.INTER_AREA).ravel() for _, f in features])
    out = []
    for a in range(len(features)):
        diff = np.abs(flat - flat[a]).mean(axis=1)
        close = (diff < threshold) & (np.abs(aspects - aspects[a]) <= 0.15 * np.maximum(aspects, aspects[a]))
        close[a] = False
        out.append([a, *np.flatnonzero(close).tolist()])
    return out


def _tally(items: list[list[str]], near: list[int], own: int) -> dict[str, float]:
    votes: dict[str, float] = {}
    for b in near:
        for r in items:
            if r[b]:
                votes[r[b]] = votes.get(r[b], 0.0) + (2.0 if b == own else 1.0)
    return votes


def vote(readings: list[list[str]], neighbours: list[list[int]]) -> list[tuple[str, float, tuple[str, ...]]]:
    """Per item: the reading with most support among its look-alikes (its own
    readings count double), the share of votes it got, and all readings ranked.
    An item whose look-alikes are only itself and whose readings agree is
    capped at 0.9: agreed, but nothing else vouches for it."""
    out = []
    for a, near in enumerate(neighbours):
        votes = _tally(readings, near, a)
        if not votes:
            out.append(("", 0.0, ()))
            continue
        ranked = sorted(votes, key=lambda k: -votes[k])
        share = votes[ranked[0]] / sum(votes.values())
        if len(near) == 1 and len(readings) >= 2:
            share = min(share, UNANIMOUS)
        out.append((ranked[0], round(min(SURE, share), 3), tuple(ranked)))
    return out


def glyph_vote(readings: list[list[str]], glyphs: list[list[int]],
               neighbours: list[list[int]]) -> list[tuple[str, float] | None]:
    """Per value cell, the reading spelled glyph by glyph. A reading with as many
    characters as the cell has glyphs names each glyph; every glyph then takes
    the character most readings of its look-alike glyphs (anywhere in the table)
    gave. A lone ``1`` that Tesseract reads as ``4`` looks like the ``1`` of
    every ``12`` and ``31`` on the page, which it reads right. The cell's
    confidence is its least sure glyph's share. None where some glyph got no
    vote (no reading aligned with the cell's glyphs)."""
    n = sum(len(g) for g in glyphs)
    names: list[list[str]] = [[""] * n for _ in readings]
    for r, reading in enumerate(readings):
        for cell, idx in enumerate(glyphs):
            text = reading[cell]
            if len(text) == len(idx):
                for ch, g in zip(text, idx):
                    names[r][g] = ch
    per_glyph = vote(names, neighbours)
    out: list[tuple[str, float] | None] = []
    for idx in glyphs:
        picked = [per_glyph[g] for g in idx]
        if not idx or any(not ch for ch, _, _ in picked):
            out.append(None)
            continue
        out.append(("".join(ch for ch, _, _ in picked), min(share for _, share, _ in picked)))
    return out


UNITS = ("元", "万元", "亿元", "万", "件", "条", "个", "项")


def _unit_split(binary: np.ndarray, ink: Box, digit_h: float) -> tuple[Box, Box] | None:
    """(digits, unit) boxes of a cell printed as a number and a unit (``83000元``):
    one to ten leading glyphs no wider than digits, then one or two wide ones."""
    if ink[3] - ink[1] > 1.5 * digit_h:
        return None
    runs = glyph_boxes(binary, ink)
    k = 0
    while k < len(runs) and runs[k][1] - runs[k][0] <= 0.9 * digit_h:
        k += 1
    rest = runs[k:]
    if not 1 <= k <= 10 or not 1 <= len(rest) <= 2 or any(b - a <= 0.9 * digit_h for a, b in rest):
        return None
    return ((ink[0], ink[1], ink[0] + runs[k - 1][1], ink[3]),
            (ink[0] + rest[0][0], ink[1], ink[0] + rest[-1][1], ink[3]))


def _read_values(engine: OcrEngine, binary: np.ndarray, inks: list[Box], how: tuple[int, float]) -> list[str]:
    """One digits-only reading of value cells, at glyph height and blur ``how``."""
    if not inks:
        return []
    height, smooth = how
    return [normalise_value(t) for t, _ in engine.read_crops(
        [_binary_crop(binary, ink, height, smooth) for ink in inks], True)]


def _minus_lost(binary: np.ndarray, glyphs: list[Box], text: str) -> bool:
    """The reading has one character fewer than the cell has glyphs and the first
    glyph is a flat stroke at mid height: a minus sign (本年增/减 can be
    negative) that the digit reading dropped, as Tesseract does with a short ``-``."""
    if text.startswith("-") or len(glyphs) != len(text) + 1 or len(glyphs) < 2:
        return False
    x0, y0, x1, y1 = glyphs[0]
    rows = np.flatnonzero(binary[y0:y1, x0:x1].max(axis=1))
    if rows.size == 0:
        return False
    height = rows[-1] - rows[0] + 1
    middle = (rows[0] + rows[-1]) / 2 / max(1, y1 - y0)
    return height <= 0.3 * (y1 - y0) and (x1 - x0) >= 1.2 * height and 0.25 <= middle <= 0.75


def _glyphs_unread(binary: np.ndarray, glyphs: list[Box], text: str) -> bool:
    """The cell prints more digit-sized glyphs (separate runs of ink as high as a digit
    and at least a third as wide) than the reading has characters: a digit the
    readings skipped (34 read 3). Touching digits make fewer runs than characters,
    which is no doubt; the two arcs of a 0 that noise broke are too narrow to count."""
    chars = len(text.replace("元", "").replace("万", ""))
    if len(glyphs) <= chars:
        return False
    whole = 0  # runs as tall and as wide as a digit: a 0 broken into its two arcs, or a 1, is not
    for x0, y0, x1, y1 in glyphs:
        rows = np.flatnonzero(binary[y0:y1, x0:x1].max(axis=1))
        if rows.size and rows[-1] - rows[0] + 1 >= 0.6 * (y1 - y0) and (x1 - x0) >= 0.35 * (y1 - y0):
            whole += 1
    return whole > chars


def _faint_minus(gray: np.ndarray, ink: Box) -> bool:
    """A short flat stroke just left of a number's digits, at mid height, that the
    page's threshold left out: a minus sign printed thin (a 9 pt hyphen on a phone
    photo came back as a grey smudge, and −6 was read 6). Looked for on the grey
    page against the paper around it; a dash shape only (wide, flat, dark enough)."""
    h = ink[3] - ink[1]
    if h < 8:
        return False
    x1 = ink[0] - max(1, h // 12)
    x0 = max(0, x1 - int(0.9 * h))
    y0, y1 = ink[1] + int(0.3 * h), ink[1] + int(0.75 * h)
    region = gray[y0:y1, x0:x1].astype(np.float32)
    if region.size == 0 or region.shape[1] < 3:
        return False
    paper = float(np.median(gray[max(0, ink[1] - h // 2):ink[3] + h // 2, x0:x1]))
    dark = region < paper - 40
    rows = np.flatnonzero(dark.sum(axis=1) >= max(3, int(0.25 * h)))
    if rows.size == 0 or rows[-1] - rows[0] + 1 > max(2, int(0.25 * h)):
        return False
    cols = np.flatnonzero(dark[rows[0]:rows[-1] + 1].any(axis=0))
    width = cols[-1] - cols[0] + 1 if cols.size else 0
    return width >= max(3, int(0.25 * h)) and width >= 2 * (rows[-1] - rows[0] + 1)


def _glyph_inks(binary: np.ndarray, ink: Box) -> list[Box]:
    """The boxes of a value cell's glyphs, each as high as the cell's ink (so a
    decimal point keeps its place at the foot of the line)."""
    return [(ink[0] + a, ink[1], ink[0] + b, ink[3]) for a, b in glyph_boxes(binary, ink)]


def read_cells(gray: np.ndarray, binary: np.ndarray, tables: list[list[CellBox]], dpi: int,
               engine: OcrEngine) -> list[list[CellReading]]:
    """Read every cell of a page's tables (see the module docstring)."""
    cells = [c for t in tables for c in t]
    inks = [ink_box(binary, c.box, dpi) for c in cells]
    faint: set[int] = set()
    page_binary = binary  # the page's own image stays as it was: faint ink goes into a copy

    def add_faint(i: int) -> None:
        nonlocal binary
        mask = faint_ink(gray, cells[i].box, dpi)
        if mask is None:
            return
        if binary is page_binary:
            binary = binary.copy()
        m = max(3, int(0.012 * dpi))
        c = cells[i]
        region = binary[c.box[1] + m:c.box[3] - m, c.box[0] + m:c.box[2] - m]
        np.maximum(region, mask, out=region)
        found = ink_box(binary, c.box, dpi)
        if found is not None:
            inks[i] = found
            faint.add(i)

    for i in range(len(cells)):
        if inks[i] is None:
            add_faint(i)
    heights = [b[3] - b[1] for b in inks if b is not None and (b[3] - b[1]) >= 0.05 * dpi]  # glyphs, not dashes
    line_h = float(np.median(heights)) if heights else dpi * 0.12
    small = [h for h in heights if h <= 1.5 * line_h]  # one-line cells; dashes stay out of it
    line_h = float(np.median(small)) if small else line_h
    # flat ink that is not a whole dash: the pieces of a light dash the threshold
    # broke up (read as digits they come back as 2 or 7); no digit is that flat
    for i, b in enumerate(inks):
        if (b is not None and i not in faint and b[3] - b[1] < 0.35 * line_h
                and not is_dash(binary, b, line_h)):
            add_faint(i)
    values = [i for i, b in enumerate(inks) if b is not None and looks_numeric(binary, b, line_h)]
    # measured again against the digits themselves: a unit glyph (元, 万) printed
    # after the number is wider than any digit and sends the cell to the labels
    digit_h = [inks[i][3] - inks[i][1] for i in values if not is_dash(binary, inks[i], line_h)]
    if digit_h:
        values = [i for i in values if looks_numeric(binary, inks[i], float(np.median(digit_h)))]
    # a number followed by its unit (83000元, 16.18万元): the digits go the digit way,
    # the unit is read as text and put back after them
    whole_ink: dict[int, Box] = {}
    unit_ink: dict[int, Box] = {}
    if digit_h:
        dh = float(np.median(digit_h))
        for i, b in enumerate(inks):
            split = None if b is None or i in values else _unit_split(binary, b, dh)
            if split is not None:
                whole_ink[i], (inks[i], unit_ink[i]) = b, split
                values.append(i)

    def read_values(values: list[int]) -> dict[int, CellReading]:
        """The value cells ``values`` read (steps 2 and 3 of the module docstring)."""
        readings: dict[int, CellReading] = {}
        for i in values:
            if is_dash(binary, inks[i], line_h):
                readings[i] = CellReading("—", SURE, (), True)
        values = [i for i in values if i not in readings]
        if values:
            boxes = [_glyph_inks(binary, inks[i]) for i in values]
            glyphs, k = [], 0
            for b in boxes:
                glyphs.append(list(range(k, k + len(b))))
                k += len(b)
            glyph_near = glyph_neighbours([_feature(binary, g) for b in boxes for g in b], GLYPH_THRESHOLD)
            near = glyph_neighbours([_feature(binary, inks[i]) for i in values])
            sets = [_read_values(engine, binary, [inks[i] for i in values], READINGS[0])]
            # the second reading only where the first is not settled by the page's other
            # glyphs (each glyph agreed with by at least two look-alikes)
            first = glyph_vote(sets, glyphs, glyph_near)
            again = [n for n, (g, got) in enumerate(zip(glyphs, first))
                     if got is None or got[0] != sets[0][n] or got[1] < SURE
                     or any(len(glyph_near[x]) < 3 for x in g)]
            again_set = set(again)
            second = [""] * len(values)
            for n, t in zip(again, _read_values(engine, binary, [inks[values[n]] for n in again], READINGS[1])):
                second[n] = t
            sets.append(second)
            # and once from the greyscale page, each crop on its own (about 1 ms a crop):
            # at 200 dpi the thin top bar of a serif 5 breaks in the binary copy, and both
            # binary readings agreed on 32 for a 52 that the grey crop reads right; where
            # they disagree now, the cell is unsure (read in a strip, the grey crops were
            # swayed by their neighbours: 51 came back 91)
            grey = [""] * len(values)
            for n, (t, _) in zip(again, engine.read_crops(  # each on its own: in a strip its neighbours
                    [_grey_crop(gray, inks[values[n]], GREY_HEIGHT) for n in again], True, alone=True)):
                grey[n] = normalise_value(t)
            sets.append(grey)
            # and the first binary crop on its own too: a lone 5 in a wide cell came back 3 from
            # both strips (and nothing from the grey crop), but 5 on its own
            single = [""] * len(values)
            for n, (t, _) in zip(again, engine.read_crops(
                    [_binary_crop(binary, inks[values[n]], *READINGS[0]) for n in again], True, alone=True)):
                single[n] = normalise_value(t)
            sets.append(single)
            # a cell in which neither binary strip saw a digit was read on its own just above: in
            # the strip, layout analysis can drop a lone thin glyph (a plain 7 came back as
            # nothing, then the label strip read it 了7). Missed by both strips, such a value
            # is never sure (unless the identities vouch for it).
            lost = [n for n in range(len(values)) if not any(_DIGITS.search(r[n]) for r in sets[:2])]
            if engine.name != "tesseract":
                sets.append([normalise_value(t) for t, _ in engine.read_crops(
                    [_crop(gray, inks[i], 4) for i in values], True)])
            by_glyph = glyph_vote(sets, glyphs, glyph_near)
            whole = [[t if _DIGITS.search(t) or t == "-" else "" for t in r] for r in sets]
            for n, (i, (text, share, alts), spelled) in enumerate(zip(values, vote(whole, near), by_glyph)):
                # readings with more characters than the cell has glyphs: its digits touch,
                # and a glyph-by-glyph spelling cannot be trusted over the whole cell's
                touching = any(len(r[n]) > len(boxes[n]) for r in sets if r[n])
                if spelled is not None and _DIGITS.search(spelled[0]):
                    g_text, g_share = spelled
                    if g_text == text:
                        share = max(share, g_share)
                    elif touching:
                        alts = (*alts, g_text)
                        share = min(share, LOW - 0.01)
                    else:
                        alts = (text, *alts) if text else alts
                        text, share = g_text, g_share
                mine = [r[n] for r in sets[:4]]
                if (n in again_set and text and grey[n] == text and sum(t == text for t in mine) >= 3
                        and not touching):
                    # three of the four readings, the grey one among them (it does not share the
                    # binary copy's faults), spell the same number: as sure as two readings that
                    # agree on a cell nothing else looks like
                    share = max(share, UNANIMOUS)
                if n in lost:
                    share = min(share, LOW - 0.01)
                if text and (_minus_lost(binary, boxes[n], text)
                             or (not text.startswith("-") and _faint_minus(gray, inks[i]))):
                    # the flat first glyph is a minus sign the digit readings dropped (or one
                    # too faint for the binary copy, next to the digits on the grey page): told
                    # by shape alone, so never sure (unless the identities vouch, it is reviewed)
                    text, alts, share = "-" + text, (text, *alts), min(share, LOW - 0.01)
                if text and _glyphs_unread(binary, boxes[n], text):
                    # more glyphs printed than the reading has characters: a digit was lost
                    # (a phone photo's 25 came back 3); the reading cannot be sure
                    share = min(share, LOW - 0.01)
                if text:
                    readings[i] = CellReading(text, round(min(SURE, share), 3),
                                              tuple(dict.fromkeys(a for a in alts if a != text)), True)
        for i in faint & set(readings):  # seen only against the cell's own background: never sure
            r = readings[i]
            readings[i] = CellReading(r.text, min(r.confidence, LOW - 0.01), r.alternatives, r.numeric)
        return readings

    readings = read_values(values)
    for i in [i for i in whole_ink if i not in readings]:  # its digits did not read: a label
        inks[i] = whole_ink.pop(i)
    labels = [i for i, b in enumerate(inks) if b is not None and i not in readings]
    units = list(whole_ink)
    label_crops = [_at_height(_crop(gray, b, 3), _label_height(b, line_h))
                   for b in [inks[i] for i in labels] + [unit_ink[i] for i in units]]
    read = engine.read_crops(label_crops, False)
    # short labels the strip read unsurely (``(一FUAF`` for （一）予以公开, an empty
    # reading, 本征文目件数 for the header 本年废止件数) are read once more together,
    # larger: a garbled label loses its whole row or column downstream. Long ones (the
    # table's printed note) hold enough to be matched.
    unsure = [n for n, (text, conf) in enumerate(read[:len(labels)])
              if conf < LABEL_UNSURE and len(_CJK.findall(text)) < LABEL_SHORT]
    if unsure:
        again = engine.read_crops([_at_height(_crop(gray, inks[labels[n]], 4),
                                              _label_height(inks[labels[n]], line_h, LABEL_HEIGHT_AGAIN))
                                   for n in unsure], False)
        for n, (text, conf) in zip(unsure, again):
            if text and conf >= read[n][1]:  # a tie goes to the larger reading, made for this
                read[n] = (text, conf)
    # a number whose glyphs touch (blur, ink spread) is one wide run of ink and was
    # taken for a label; read as text it is all digits: it is read again the value
    # way (``34`` read by the label strip at 0.71 flagged a correct value for review)
    spelled = [i for i, (text, _) in zip(labels, read) if _NUMBER.fullmatch(normalise_value(text))]
    as_values = read_values(spelled) if spelled else {}
    for i, (text, conf) in zip(labels, read):
        readings[i] = as_values.get(i) or CellReading(text, round(conf, 3))
    for i, (text, conf) in zip(units, read[len(labels):]):
        r = readings[i]
        unit = re.sub(r"\s+", "", text)
        if unit in UNITS:
            readings[i] = CellReading(r.text + unit, min(r.confidence, round(conf, 3)),
                                      tuple(a + unit for a in r.alternatives), True)
        else:  # not a unit after all: the whole cell as text
            inks[i] = whole_ink[i]
            text, conf = engine.read_crops([_at_height(_crop(gray, inks[i], 3),
                                                       _label_height(inks[i], line_h))], False)[0]
            readings[i] = CellReading(text, round(conf, 3))
    flat = [readings.get(i, CellReading("", SURE)) for i in range(len(cells))]
    out, k = [], 0
    for t in tables:
        out.append(flat[k:k + len(t)])
        k += len(t)
    return out


def _label_height(ink: Box, line_h: float, glyph: int = 0) -> int:
    """Labels are read with glyphs about ``LABEL_HEIGHT`` px high (never enlarged):
    CJK needs no more, and a smaller strip is a faster call. The second reading of
    an unsure label asks for ``glyph`` px and may enlarge."""
    if glyph:
        return max(8, int(round(glyph / max(1.0, line_h) * (ink[3] - ink[1]))))
    return max(8, int(round(min(1.0, LABEL_HEIGHT / max(1.0, line_h)) * (ink[3] - ink[1]))))
