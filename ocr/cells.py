"""Reading the cells of the tables found on a page image.

Two facts shape this module. One OCR call per cell costs about 80 ms of start-up,
13 s for a 161-cell table, so crops are read in batches (``read_crops``). And
Tesseract reads lone digits badly: on a table of small counts, a single reading
of the stacked value cells gets 5–40 % of them wrong (a lone ``1`` comes back as
``4``, ``.`` or nothing), and which ones depends on the scale and binarisation.
But a table's values are printed in one font, so every ``1`` on a page looks
like every other ``1``. So:

1. each cell is cropped to its ink; cells whose ink is one short line of
   digit-shaped glyphs are *value cells*, the rest are labels;
2. the value cells are read twice (binarised at two glyph heights, digits-only
   alphabet) — and, where the engine is RapidOCR, by its recogniser;
3. each value cell takes the reading most votes support among itself and the
   cells whose ink looks the same (``glyph_neighbours``); the share of votes is
   its confidence and the losing readings are kept as alternatives;
4. label cells are read once, as text, and matched to the known labels
   downstream; a value cell whose readings hold no digit is read as a label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import cv2
import numpy as np

from .engines import OcrEngine
from .grid import Box, CellBox

SURE = 0.99
LOW = 0.75           # below this share of votes a value is marked unsure
LABEL_HEIGHT = 30    # px: label glyphs are read at this height (CJK needs no more)
_DIGITS = re.compile(r"\d")


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
    keep = [stats[i] for i in range(1, n) if stats[i][4] >= min_area
            and stats[i][3] < (y1 - y0) * 0.95 and stats[i][2] < (x1 - x0) * 0.98]
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
    """One short line of narrow glyphs (digits are about half as wide as high;
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
    return all((b - a) <= 0.8 * line_height for a, b in runs)


def is_dash(binary: np.ndarray, ink: Box, line_height: float) -> bool:
    """A value cell holding one flat stroke: the dash printed for zero (— or -).
    OCR with a digit alphabet returns nothing for it, so it is told by shape."""
    crop = binary[ink[1]:ink[3], ink[0]:ink[2]]
    n, _, stats, _ = cv2.connectedComponentsWithStats(crop, connectivity=8)
    if n < 2:
        return False
    parts = sorted((stats[i] for i in range(1, n)), key=lambda s: -s[4])
    _, _, w, h, area = parts[0]
    specks = sum(s[4] for s in parts[1:])
    return h < 0.3 * line_height and w >= 3 * h and w >= 0.3 * line_height and specks < 0.3 * area


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


def _binary_crop(binary: np.ndarray, ink: Box, glyph_height: int) -> np.ndarray:
    """Dark-on-white binarised crop whose ink is ``glyph_height`` px high."""
    crop = 255 - _crop(binary, ink, 0)
    scaled = _at_height(crop, glyph_height)
    pad = max(4, glyph_height // 4)
    return cv2.copyMakeBorder(scaled, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255)


def _feature(binary: np.ndarray, ink: Box) -> tuple[float, np.ndarray]:
    crop = binary[ink[1]:ink[3], ink[0]:ink[2]]
    aspect = crop.shape[1] / max(1, crop.shape[0])
    img = cv2.resize(crop, (max(8, int(round(24 * aspect))), 24), interpolation=cv2.INTER_AREA)
    return aspect, cv2.GaussianBlur(img.astype(np.float32) / 255.0, (0, 0), 1.0)


def glyph_neighbours(features: list[tuple[float, np.ndarray]], threshold: float = 0.15) -> list[list[int]]:
    """For each value cell, the cells whose ink looks the same (same shape within
    ``threshold`` mean difference after a slight blur; itself included)."""
    out = []
    for a, (asp_a, fa) in enumerate(features):
        near = [a]
        for b, (asp_b, fb) in enumerate(features):
            if b == a or abs(asp_a - asp_b) > 0.15 * max(asp_a, asp_b):
                continue
            if fb.shape != fa.shape:
                fb = cv2.resize(fb, (fa.shape[1], fa.shape[0]))
            if float(np.abs(fa - fb).mean()) < threshold:
                near.append(b)
        out.append(near)
    return out


def vote(readings: list[list[str]], neighbours: list[list[int]]) -> list[tuple[str, float, tuple[str, ...]]]:
    """Per cell: the reading with most support among its look-alikes (its own
    readings count double), the share of votes it got, and all readings ranked."""
    out = []
    for a, near in enumerate(neighbours):
        votes: dict[str, float] = {}
        for b in near:
            weight = 2.0 if b == a else 1.0
            for r in readings:
                if r[b] and _DIGITS.search(r[b]) or r[b] == "-":
                    votes[r[b]] = votes.get(r[b], 0.0) + weight
        if not votes:
            out.append(("", 0.0, ()))
            continue
        ranked = sorted(votes, key=lambda k: -votes[k])
        share = votes[ranked[0]] / sum(votes.values())
        own = {r[a] for r in readings if r[a]}
        if len(near) == 1 and len(own) == 1 and len(readings) >= 2:
            share = min(share, 0.9)  # a unique glyph whose readings agree: good, not sure
        out.append((ranked[0], round(min(SURE, share), 3), tuple(ranked)))
    return out


def read_cells(gray: np.ndarray, binary: np.ndarray, tables: list[list[CellBox]], dpi: int,
               engine: OcrEngine) -> list[list[CellReading]]:
    """Read every cell of a page's tables (see the module docstring)."""
    cells = [c for t in tables for c in t]
    inks = [ink_box(binary, c.box, dpi) for c in cells]
    heights = [b[3] - b[1] for b in inks if b is not None and (b[3] - b[1]) >= 0.05 * dpi]  # glyphs, not dashes
    line_h = float(np.median(heights)) if heights else dpi * 0.12
    small = [b[3] - b[1] for b in inks if b is not None and (b[3] - b[1]) <= 1.5 * line_h]
    line_h = float(np.median(small)) if small else line_h
    values = [i for i, b in enumerate(inks) if b is not None and looks_numeric(binary, b, line_h)]
    readings: dict[int, CellReading] = {}
    for i in values:
        if is_dash(binary, inks[i], line_h):
            readings[i] = CellReading("—", SURE, (), True)
    values = [i for i in values if i not in readings]
    if values:
        sets = [[normalise_value(t) for t, _ in engine.read_crops(
            [_binary_crop(binary, inks[i], h) for i in values], True)] for h in (48, 34)]
        if engine.name != "tesseract":
            sets.append([normalise_value(t) for t, _ in engine.read_crops(
                [_crop(gray, inks[i], 4) for i in values], True)])
        near = glyph_neighbours([_feature(binary, inks[i]) for i in values])
        for i, (text, share, alts) in zip(values, vote(sets, near)):
            if text:
                readings[i] = CellReading(text, share, alts[1:], True)
    labels = [i for i, b in enumerate(inks) if b is not None and i not in readings]
    label_crops = [_at_height(_crop(gray, inks[i], 3), _label_height(inks[i], line_h)) for i in labels]
    for i, (text, conf) in zip(labels, engine.read_crops(label_crops, False)):
        readings[i] = CellReading(text, round(conf, 3))
    flat = [readings.get(i, CellReading("", SURE)) for i in range(len(cells))]
    out, k = [], 0
    for t in tables:
        out.append(flat[k:k + len(t)])
        k += len(t)
    return out


def _label_height(ink: Box, line_h: float) -> int:
    """Labels are read with glyphs about ``LABEL_HEIGHT`` px high (never enlarged):
    CJK needs no more, and a smaller strip is a faster call."""
    return max(8, int(round(min(1.0, LABEL_HEIGHT / max(1.0, line_h)) * (ink[3] - ink[1]))))
