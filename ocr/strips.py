"""Many small crops read by one OCR call: stack them into a strip, read the
strip, give each word back to the crop whose slot it sits in."""

from __future__ import annotations

import re
from typing import Callable

import numpy as np

from .engines import Word


def stack(crops: list[np.ndarray], pad: int, gap: int) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Crops one under the other on white, with their vertical slots."""
    width = max(c.shape[1] for c in crops) + 2 * pad
    height = sum(c.shape[0] for c in crops) + gap * (len(crops) + 1)
    strip = np.full((height, width), 255, np.uint8)
    slots = []
    y = gap
    for c in crops:
        strip[y:y + c.shape[0], pad:pad + c.shape[1]] = c
        slots.append((y, y + c.shape[0]))
        y += c.shape[0] + gap
    return strip, slots


def text_lines(crop: np.ndarray, min_gap: int = 2) -> list[np.ndarray]:
    """A crop of dark text on light cut into its lines: bands of inked rows
    parted by at least ``min_gap`` blank rows (a label wrapped in its cell).
    One band, or none, gives the crop back whole."""
    inked = (crop < 128).any(axis=1)
    bands, start, blank = [], None, 0
    for y, on in enumerate(inked):
        if on:
            if start is None:
                start = y
            blank = 0
        elif start is not None:
            blank += 1
            if blank >= min_gap:
                bands.append((start, y - blank + 1))
                start, blank = None, 0
    if start is not None:
        bands.append((start, len(inked) - blank))
    if len(bands) <= 1:
        return [crop]
    pad = max(2, min(b - a for a, b in bands) // 4)
    return [crop[max(0, a - pad):min(crop.shape[0], b + pad)] for a, b in bands]


def assign(words: list[Word], slots: list[tuple[int, int]], gap: int) -> list[list[Word]]:
    """Each word to the slot its vertical centre falls in."""
    out: list[list[Word]] = [[] for _ in slots]
    starts = [s[0] for s in slots]
    for w in words:
        cy = (w.box[1] + w.box[3]) / 2
        i = int(np.searchsorted(starts, cy + gap / 2, side="right")) - 1
        if 0 <= i < len(slots) and slots[i][0] - gap / 2 <= cy <= slots[i][1] + gap / 2:
            out[i].append(w)
    return out


def join_words(words: list[Word]) -> str:
    """Words of one crop in reading order: lines by the engine's line number, CJK
    joined without spaces (a wrapped label is one label)."""
    out = ""
    for w in sorted(words, key=lambda w: (w.line, w.box[0])):
        t = w.text
        if out and out[-1].isascii() and out[-1].isalnum() and t[:1].isascii() and t[:1].isalnum():
            out += " "
        out += t
    return out


_FULL_WIDTH = str.maketrans(",:;()!?", "，：；（）！？")
_CJK_PUNCT = re.compile(r"(?<=[\u4e00-\u9fff）)])[,:;!?]|[,:;!?)](?=[\u4e00-\u9fff（(])"
                        r"|(?<=[\u4e00-\u9fff])\)|\((?=[\u4e00-\u9fff])|(?<=[\u4e00-\u9fff])\(")


def cjk_punctuation(text: str) -> str:
    """Chinese text prints its punctuation full-width; Tesseract's chi_sim gives
    back the ASCII forms (``,`` ``:`` ``(``). Next to a CJK character they are put
    back as printed; between digits (``1,234``, ``10:30``) they stay."""
    return _CJK_PUNCT.sub(lambda m: m.group().translate(_FULL_WIDTH), text)


def read_stacked(crops: list[np.ndarray], read: Callable[[np.ndarray], list[Word]]) -> list[tuple[str, float]]:
    """(text, lowest word confidence) per crop, from one call of ``read``."""
    if not crops:
        return []
    height = int(np.median([c.shape[0] for c in crops]))
    gap = max(12, height // 2 + 4)
    strip, slots = stack(crops, pad=2 * gap, gap=gap)
    per = assign(read(strip), slots, gap)
    return [(join_words(ws), min((w.confidence for w in ws), default=0.0)) for ws in per]
