"""Scanned pages: one page image in, one ``Page`` out — the OCR recipe.

    load (a photographed sheet flattened) → clean up (seal, flatten, denoise,
    straighten) → find ruled tables → on its side? (ask OSD first) → paint tables
    and rulings out → read the text (psm 6; not at all where no ink is left) →
    upright? (else turn the page and start again) → lines the reading passed over,
    each alone (psm 7) → unsure lines again → text lines → read the table cells → Page

``ocr_page`` is a pure function of a picklable ``PageJob`` (it loads its own
image and creates its engine by name), so pages run in this process, in a pool
on both cores, or on a cluster. Coordinates in the result are pixels of the
cleaned page (turned upright and straightened), which ``PageResult.image`` holds
when asked for (searchable PDF, review pages).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import cv2
import numpy as np

from . import preprocess
from .cells import read_cells
from .strips import assign, cjk_punctuation, join_words, stack
from .engines import Word, engine
from .grid import GridTrace, find_grids, ruling_mask
from .images import MAX_PIXELS, PageRef, load
from .model import Grid, GridCell, Line, Page

Box = tuple[int, int, int, int]
LOW_TEXT_CONFIDENCE = 0.55   # below this mean word confidence a page may be turned
PHOTO_DPI = 300              # a photographed sheet is flattened to an A4 page at this resolution
OSD_MIN_CONFIDENCE = 1.5


@dataclass(frozen=True)
class PageJob:
    ref: PageRef
    number: int
    engine: str = "tesseract"
    keep_image: bool = False
    image_width: int | None = None  # the kept image at most this wide (None: as cleaned)
    max_pixels: int = MAX_PIXELS     # the page image is refused above this (ocr.limits)


@dataclass
class PageResult:
    page: Page
    timings: dict[str, float] = field(default_factory=dict)
    image: bytes | None = None   # the cleaned page as JPEG, when asked for
    dpi: int = 300


def _timed(timings: dict[str, float], key: str, t0: float) -> float:
    now = time.perf_counter()
    timings[key] = timings.get(key, 0.0) + round(now - t0, 4)
    return now


def text_image(gray: np.ndarray, rulings: np.ndarray, tables: list[tuple[int, int, int, int]]) -> np.ndarray:
    """The page with rulings and table areas painted white: only the running
    text is left for the page reading (the cells are read on their own)."""
    out = cv2.max(gray, rulings)  # rulings are 255 where they are, 0 elsewhere
    for x0, y0, x1, y1 in tables:
        out[max(0, y0 - 4):y1 + 4, max(0, x0 - 4):x1 + 4] = 255
    return out


def text_ink(binary: np.ndarray, rulings: np.ndarray, tables: list[tuple[int, int, int, int]],
             dpi: int) -> int:
    """Pixels of ink left on the binary page once rulings and tables are taken out
    (as ``text_image`` paints them), leaving out a tenth of an inch along the edges
    (the dark rim of a scanned or photographed sheet; no text is printed there). A
    page that is all table has none, and is not read for running text: Tesseract
    read the grain of a photographed sheet's paper as hundreds of 'words' at
    confidence 0.05, and their re-reading took 17 s of a page."""
    ink = cv2.subtract(binary, rulings)  # both 0 or 255: no ink where a ruling is
    for x0, y0, x1, y1 in tables:
        ink[max(0, y0 - 4):y1 + 4, max(0, x0 - 4):x1 + 4] = 0
    rim = max(1, dpi // 10)
    return int(cv2.countNonZero(ink[rim:-rim, rim:-rim]))


TEXT_DPI = 200       # the finest resolution running text is read at
TEXT_MIN_DPI = 150   # … and the coarsest a page is brought down to for it
TEXT_LINE_PX = 28    # px: lines of running text are read about this high, not smaller


def ink_bands(image: np.ndarray, dpi: int) -> list[tuple[int, int]]:
    """The bands of inked rows (two dark pixels or more) of a text image that are
    a line of text high (6 to 36 pt), top to bottom: its lines."""
    dark = cv2.threshold(image, 127, 1, cv2.THRESH_BINARY_INV)[1]  # 1 where darker than 128
    rows = cv2.reduce(dark, 1, cv2.REDUCE_SUM, dtype=cv2.CV_32S).ravel() >= 2
    edges = np.flatnonzero(np.diff(np.concatenate(([0], rows.astype(np.int8), [0]))))
    lo, hi = int(0.06 * dpi), int(0.5 * dpi)
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2]) if lo <= b - a <= hi]


def text_scale(image: np.ndarray, dpi: int) -> float:
    """The factor the page's running text is read at: its lines brought down to about
    ``TEXT_LINE_PX`` high (their median height), but the page to no less than
    ``TEXT_MIN_DPI`` and no more than ``TEXT_DPI``; never enlarged. Tesseract's
    passes over a page cost by the pixel, and its recogniser scales every line to
    its own height anyway. Measured on 32 documents of the benchmark (both paths;
    clean, scan, yellow200, phone; 27,360 characters of narrative): at 200 dpi 405
    characters misread and 454 of 456 narrative figures found; every page at a flat
    150 dpi 406 and 454 (the 11 pt bodies of the reportlab path, lines 21 px high,
    a little worse, the 14–16 pt bodies of the office path better); lines at 28 px
    392 and 455, the text read in 6 % less time. (300 dpi pages were read at 200
    dpi before: 13 % less time than at 300, and 85 misreadings against 95 in 2381
    characters.)"""
    f = min(1.0, TEXT_DPI / dpi)
    bands = ink_bands(image, dpi)
    if bands:
        height = float(np.median([b - a for a, b in bands]))
        f = min(f, max(TEXT_MIN_DPI / dpi, TEXT_LINE_PX / height))
    return 1.0 if f >= 0.9 else f  # a resize by a tenth saves less than it costs


def read_text(eng, image: np.ndarray, f: float, read=None) -> list[Word]:
    """The words of a text image read at scale ``f`` (``text_scale``), their boxes
    in the image's pixels. ``read``: the engine's reading to use (its page reading
    by default)."""
    read = read or eng.read_page
    x0, y0, x1, y1 = ink_extent(image)
    if x1 <= x0:
        return []
    part = image[y0:y1, x0:x1]
    if f < 1.0:
        part = cv2.resize(part, None, fx=f, fy=f, interpolation=cv2.INTER_AREA)
    return [Word(w.text, (x0 + int(round(w.box[0] / f)), y0 + int(round(w.box[1] / f)),
                          x0 + int(round(w.box[2] / f)), y0 + int(round(w.box[3] / f))), w.confidence, w.line)
            for w in read(part)]


def ink_extent(image: np.ndarray, margin: int = 24) -> Box:
    """The part of a text image that holds ink (darker than mid-grey), with a margin
    of white around it: what the page reading is given. A table page with its tables
    painted out is mostly paper, and Tesseract's passes over the page cost by the
    pixel. Empty (x1 <= x0) for an image without ink."""
    x, y, bw, bh = cv2.boundingRect(cv2.compare(image, 128, cv2.CMP_LT))
    if not bw:
        return (0, 0, 0, 0)
    h, w = image.shape[:2]
    return (max(0, x - margin), max(0, y - margin), min(w, x + bw + margin), min(h, y + bh + margin))


LOST_LINE_CONFIDENCE = 0.6  # a passed-over line read on its own is kept from this mean confidence


def lost_lines(words: list[Word], image: np.ndarray, dpi: int) -> list[Box]:
    """Lines of ink in the text image that no word of the page reading covers.

    Tesseract's block layout (psm 6) sometimes finds no line at all in a lone line
    of wide-set bold glyphs: a section heading alone under a table, at one scale and
    not another (四、政府信息公开行政复议… at the foot of a page; the table below it
    then went to the section before). The bands of ink rows are the page's lines;
    a band of text height whose ink lies mostly outside every word box was passed
    over. Pure geometry: boxes in page pixels, padded."""
    ink = cv2.threshold(image, 127, 1, cv2.THRESH_BINARY_INV)[1]  # 1 where darker than 128
    covered = np.zeros_like(ink)
    pad = max(2, dpi // 100)
    for w in words:
        x0, y0, x1, y1 = w.box
        covered[max(0, y0 - pad):y1 + pad, max(0, x0 - pad):x1 + pad] = 1
    glyph = (0.05 * dpi) ** 2 / 4              # about the ink of one small glyph
    out: list[Box] = []
    n = len(ink)
    for top, y in ink_bands(image, dpi):
        band = ink[top:y]
        total = int(band.sum())
        loose = band & (1 - covered[top:y])
        left = int(loose.sum())
        if left < glyph or left < 0.6 * total:
            continue
        xs = np.nonzero(loose.any(axis=0))[0]
        m = max(pad, (y - top) // 3)
        out.append((max(0, int(xs[0]) - m), max(0, top - m), min(image.shape[1], int(xs[-1]) + 1 + m),
                    min(n, y + m)))
    return out


def read_lost_lines(words: list[Word], image: np.ndarray, dpi: int, eng, f: float = 1.0) -> tuple[list[Word], int]:
    """The page's words with the lines it passed over (``lost_lines``) read one by
    one as single lines (psm 7), and how many were found; each keeps a line
    number of its own."""
    found = 0
    line = max((w.line for w in words), default=-1) + 1
    out = list(words)
    for x0, y0, x1, y1 in lost_lines(words, image, dpi):
        got = read_text(eng, image[y0:y1, x0:x1], f, eng.read_line)
        if not got or float(np.mean([w.confidence for w in got])) < LOST_LINE_CONFIDENCE:
            continue  # a seal's or a signature's ink, a logo: not a line of text
        found += 1
        out.extend(Word(w.text, (w.box[0] + x0, w.box[1] + y0, w.box[2] + x0, w.box[3] + y0),
                        w.confidence, line) for w in got)
        line += 1
    return out, found


LINE_HEIGHT = 48  # px: unsure lines are read again at this height


def reread_unsure(words: list[Word], gray: np.ndarray, eng) -> list[Word]:
    """Read again, at a standard height, each line the page reading was unsure of
    (a title in a larger font, a line under a stain); keep the second reading
    where it is more confident. The unsure lines are stacked into one strip and
    read by one call (through the ``tesseract`` command a call cost about 0.1 s
    before it read anything)."""
    by_line: dict[int, list[Word]] = {}
    for w in words:
        by_line.setdefault(w.line, []).append(w)
    unsure, crops, origins = [], [], []
    for line, ws in sorted(by_line.items()):
        conf = float(np.mean([w.confidence for w in ws]))
        if conf >= 0.75:
            continue
        x0, y0 = min(w.box[0] for w in ws), min(w.box[1] for w in ws)
        x1, y1 = max(w.box[2] for w in ws), max(w.box[3] for w in ws)
        pad = max(4, (y1 - y0) // 4)
        crop = gray[max(0, y0 - pad):y1 + pad, max(0, x0 - pad):x1 + pad]
        f = LINE_HEIGHT / max(1, crop.shape[0])
        crops.append(cv2.resize(crop, None, fx=f, fy=f,
                                interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_CUBIC))
        unsure.append((line, conf))
        origins.append((max(0, x0 - pad), max(0, y0 - pad), f))
    if not crops:
        return words
    gap = LINE_HEIGHT // 2
    strip, slots = stack(crops, pad=gap, gap=gap)
    per = assign(eng.read_page(strip), slots, gap)
    replaced: dict[int, list[Word]] = {}
    for (line, conf), (ox, oy, f), (top, _), again in zip(unsure, origins, slots, per):
        if again and float(np.mean([w.confidence for w in again])) > conf + 0.1:
            replaced[line] = [Word(w.text, (int(ox + (w.box[0] - gap) / f), int(oy + (w.box[1] - top) / f),
                                            int(ox + (w.box[2] - gap) / f), int(oy + (w.box[3] - top) / f)),
                                   w.confidence, line) for w in again]
    out: list[Word] = []
    for line, ws in sorted(by_line.items()):
        out.extend(replaced.get(line, ws))
    return out


def words_to_lines(words: list[Word]) -> list[Line]:
    """The engine's lines, with their boxes and mean confidence; lines that are
    noise read as text (low confidence, almost no CJK) are left out."""
    by_line: dict[int, list[Word]] = {}
    for w in words:
        by_line.setdefault(w.line, []).append(w)
    lines = []
    for ws in by_line.values():
        text = cjk_punctuation(join_words(ws))
        conf = float(np.mean([w.confidence for w in ws]))
        cjk = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff")
        if conf < 0.5 and cjk < 0.3 * len(text):
            continue
        if conf < 0.3:
            continue
        box = (min(w.box[0] for w in ws), min(w.box[1] for w in ws),
               max(w.box[2] for w in ws), max(w.box[3] for w in ws))
        lines.append(Line(text, tuple(float(v) for v in box), round(conf, 3)))
    lines.sort(key=lambda ln: (ln.bbox[1], ln.bbox[0]))
    return lines


def _grid(number: int, cells, readings) -> Grid:
    gcs = tuple(GridCell(c.row, c.col, r.text, c.rowspan, c.colspan, tuple(float(v) for v in c.box),
                         r.confidence, r.alternatives)
                for c, r in zip(cells, readings))
    xs = [c.box[0] for c in cells] + [c.box[2] for c in cells]
    ys = [c.box[1] for c in cells] + [c.box[3] for c in cells]
    return Grid(number, gcs, (float(min(xs)), float(min(ys)), float(max(xs)), float(max(ys))))


def _mean_conf(words: list[Word]) -> float:
    ws = [w for w in words if len(w.text) >= 1]
    return float(np.mean([w.confidence for w in ws])) if ws else 0.0


def is_blank(img: np.ndarray) -> bool:
    """No ink on the page: fewer pixels clearly darker than the paper than a page
    number prints (faint grey text counts as ink). A blank page of a 5,000-page
    PDF costs a render, not an OCR."""
    gray = img if img.ndim == 2 else cv2.min(cv2.min(img[..., 0], img[..., 1]), img[..., 2])
    paper = int(np.median(gray[::4, ::4]))
    if paper < 128:  # a dark page (a negative, a photo): not for this shortcut
        return False
    return int(np.count_nonzero(gray < paper - 48)) < max(32, gray.size // 50_000)


def ocr_page(job: PageJob) -> PageResult:
    """One page image through the recipe above."""
    timings: dict[str, float] = {}
    t = time.perf_counter()
    img, dpi = load(job.ref, job.max_pixels)
    if is_blank(img):
        h, w = img.shape[:2]
        return PageResult(Page(job.number, [], "ocr", float(w), float(h), [], dpi, ("blank page: not OCR'd",)),
                          timings, None, dpi)
    eng = engine(job.engine)
    notes: list[str] = []
    corners = preprocess.find_page(img)
    if corners is not None:  # a photographed sheet: flattened to an A4 page first
        at = preprocess.sheet_dpi(corners)
        dpi = PHOTO_DPI
        img = preprocess.unwarp(img, corners, dpi)
        notes.append("perspective: page corners " + " ".join(f"({x:.0f},{y:.0f})" for x, y in corners)
                     + f" flattened to A4 at {dpi} dpi (the photo gave the sheet about {at:.0f} dpi)")
    t = _timed(timings, "load", t)
    turned = 0
    while True:
        prep = preprocess.prepare(img, dpi)
        t = _timed(timings, "preprocess", t)
        trace = GridTrace()
        grids = find_grids(prep.binary, dpi, trace)
        rulings = ruling_mask(trace.horizontal, trace.vertical)
        tables = [(min(c.box[0] for c in g), min(c.box[1] for c in g),
                   max(c.box[2] for c in g), max(c.box[3] for c in g)) for g in grids]
        t = _timed(timings, "grid", t)
        on_side = not turned and preprocess.sideways_ratio(prep.binary) < preprocess.SIDEWAYS
        if not on_side:
            timage = text_image(prep.gray, rulings, tables)
            scale = text_scale(timage, dpi)
            # a page that is all table (no ink a glyph's size left) has no running text to read
            words = read_text(eng, timage, scale) if text_ink(prep.binary, rulings, tables, dpi) >= \
                (0.05 * dpi) ** 2 / 4 else []
            t = _timed(timings, "text", t)
            if turned or (_mean_conf(words) >= LOW_TEXT_CONFIDENCE and len(words) >= 3) or (not words and grids):
                break
        rotate, conf = eng.orientation(prep.gray)
        t = _timed(timings, "orientation", t)
        if rotate == 0 or conf < OSD_MIN_CONFIDENCE:
            if on_side:  # looked turned, but OSD cannot say how: read it as it lies
                timage = text_image(prep.gray, rulings, tables)
                scale = text_scale(timage, dpi)
                words = read_text(eng, timage, scale)
                t = _timed(timings, "text", t)
            break
        turned = rotate
        img = preprocess.rotate_quarter(img, rotate)
        notes.append(f"turned {rotate}° (orientation confidence {conf:.1f})")
    if abs(prep.skew) >= 0.05:
        notes.append(f"straightened {prep.skew:+.2f}°")
    if prep.seal_pixels:
        notes.append(f"red ink lifted out ({prep.seal_pixels} px)")
    if prep.noise >= 4:
        notes.append(f"denoised (σ≈{prep.noise:.0f})")
    words, lost = read_lost_lines(words, timage, dpi, eng, scale)
    if lost:
        notes.append(f"{lost} line(s) the page reading passed over read on their own")
    t = _timed(timings, "text", t)
    words = reread_unsure(words, timage, eng)  # tables painted out: an unsure line is never re-read into a cell
    t = _timed(timings, "reread", t)
    lines = words_to_lines(words)
    readings = read_cells(prep.gray, prep.ink, grids, dpi, eng)
    out_grids = [_grid(job.number, cells, rs) for cells, rs in zip(grids, readings)]
    t = _timed(timings, "cells", t)
    h, w = prep.gray.shape
    page = Page(job.number, lines, "ocr", float(w), float(h), out_grids, dpi, tuple(notes))
    image = None
    if job.keep_image:
        kept = prep.gray
        if job.image_width and w > job.image_width:  # scaled here, once, not re-encoded later
            kept = cv2.resize(kept, (job.image_width, int(round(h * job.image_width / w))),
                              interpolation=cv2.INTER_AREA)
        ok, buf = cv2.imencode(".jpg", kept, [cv2.IMWRITE_JPEG_QUALITY, 85 if kept is prep.gray else 75])
        image = buf.tobytes()
    return PageResult(page, timings, image, dpi)
