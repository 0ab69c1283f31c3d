"""Page-image clean-up before OCR: pure functions over numpy arrays.

The order is the one the measurements behind this project favoured for
Tesseract: red seals lifted out of colour scans, illumination flattened, noise
removed only where it is measured, the page straightened; the result stays
greyscale (adaptive binarisation erodes 2-px strokes at 200 dpi). A binary copy
is made only for finding table rulings. Each step is its own function and
``prepare`` keeps every intermediate, so a debug run can show what each did.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np


@dataclass
class Prepared:
    """One page image through the clean-up, every step kept for inspection."""

    gray: np.ndarray                   # flattened, denoised, straightened greyscale
    binary: np.ndarray                 # ink = 255: rulings, tables, skew, orientation
    ink: np.ndarray                    # ink = 255 for reading cells (smoothed first on a noisy page)
    dpi: int
    skew: float = 0.0                  # degrees the page was turned back
    noise: float = 0.0                 # estimated noise sigma before denoising
    seal_pixels: int = 0               # red-ink pixels lifted out
    steps: dict[str, np.ndarray] = field(default_factory=dict)


A4_RATIO = 297 / 210
A4_SHORT_IN = 210 / 25.4


def find_page(img: np.ndarray) -> np.ndarray | None:
    """The four corners of a sheet of paper photographed on a darker ground
    (top-left, top-right, bottom-right, bottom-left, in pixels), or None when the
    image is the page itself (a scan: the paper reaches the image's edges).

    The paper is the largest light region (Otsu on a small blurred copy); it counts as
    a photographed sheet only when it stays clear of every edge of the image, covers a
    fair share of it, and its outline simplifies to four corners of a convex shape."""
    gray = img if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    h, w = gray.shape
    f = 800 / max(h, w)
    small = cv2.resize(gray, None, fx=f, fy=f, interpolation=cv2.INTER_AREA) if f < 1 else gray.copy()
    f = min(f, 1.0)
    small = cv2.GaussianBlur(small, (5, 5), 0)
    _, light = cv2.threshold(small, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    light = cv2.morphologyEx(light, cv2.MORPH_CLOSE, np.ones((9, 9), np.uint8))  # text is not a hole
    contours, _ = cv2.findContours(light, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return None
    c = max(contours, key=cv2.contourArea)
    sh, sw = small.shape
    x, y, cw, ch = cv2.boundingRect(c)
    margin = 0.01 * max(sh, sw)
    if x <= margin or y <= margin or x + cw >= sw - margin or y + ch >= sh - margin:
        return None  # the paper runs off the image: a scan, or a photo cropped to the page
    if cv2.contourArea(c) < 0.25 * sh * sw:
        return None
    hull = cv2.convexHull(c)
    quad = cv2.approxPolyDP(hull, 0.02 * cv2.arcLength(hull, True), True)
    if len(quad) != 4:
        return None
    pts = quad.reshape(4, 2).astype(np.float32) / f
    s_, d_ = pts.sum(axis=1), np.diff(pts, axis=1).ravel()
    ordered = np.array([pts[np.argmin(s_)], pts[np.argmin(d_)], pts[np.argmax(s_)], pts[np.argmax(d_)]],
                       np.float32)
    return ordered if len({tuple(p) for p in ordered.tolist()}) == 4 else None


def unwarp(img: np.ndarray, corners: np.ndarray, dpi: int) -> np.ndarray:
    """The sheet inside ``corners`` warped flat to an A4 page at ``dpi`` (portrait or
    landscape as the sheet lies)."""
    top = np.linalg.norm(corners[1] - corners[0])
    left = np.linalg.norm(corners[3] - corners[0])
    portrait = left >= top
    short = int(round(A4_SHORT_IN * dpi))
    long_ = int(round(short * A4_RATIO))
    w, h = (short, long_) if portrait else (long_, short)
    dst = np.float32([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]])
    m = cv2.getPerspectiveTransform(corners.astype(np.float32), dst)
    fill = 255 if img.ndim == 2 else (255, 255, 255)
    return cv2.warpPerspective(img, m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_CONSTANT,
                               borderValue=fill)


def sheet_dpi(corners: np.ndarray) -> float:
    """The resolution the photo gives the sheet, taken as A4 (its shorter side)."""
    sides = [np.linalg.norm(corners[(i + 1) % 4] - corners[i]) for i in range(4)]
    short = min((sides[0] + sides[2]) / 2, (sides[1] + sides[3]) / 2)
    return float(short / A4_SHORT_IN)


def suppress_red(img: np.ndarray) -> tuple[np.ndarray, int]:
    """Greyscale of a colour page with red ink (seals, red headers) made paper-
    coloured: in the red channel red ink is as light as the paper, while black
    text printed under the seal stays dark. Returns the image and how many
    pixels were red."""
    if img.ndim == 2:
        return img, 0
    hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV)
    # red: hue within 12 of 0 (OpenCV's hues run 0–179), saturated and not dark
    red = cv2.bitwise_or(cv2.inRange(hsv, (0, 70, 60), (12, 255, 255)),
                         cv2.inRange(hsv, (165, 70, 60), (255, 255, 255)))
    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    n = cv2.countNonZero(red)
    if n:
        cv2.copyTo(np.ascontiguousarray(img[..., 2]), red, gray)
    return gray, n


def flatten(gray: np.ndarray) -> np.ndarray:
    """Divide out the paper's background (shading, yellowing): the background is
    the page closed with a kernel wider than any stroke, computed at a quarter
    of the size so it costs a few milliseconds."""
    small = cv2.resize(gray, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    k = cv2.getStructuringElement(cv2.MORPH_RECT, (9, 9))
    bg = cv2.morphologyEx(small, cv2.MORPH_CLOSE, k)
    bg = cv2.GaussianBlur(bg, (0, 0), 3)
    bg = cv2.resize(bg, (gray.shape[1], gray.shape[0]), interpolation=cv2.INTER_LINEAR)
    out = cv2.divide(gray, np.maximum(bg, 1), scale=255)
    return out


NOISY = 4.0        # noise estimate from which a page is denoised
INK_SMOOTH = 0.8   # px σ of the blur before the cells' binary copy on a noisy page


def noise_sigma(gray: np.ndarray) -> float:
    """Noise estimate from the paper: the median absolute Laplacian where the page
    is light (Immerkaer-style; 0 on a clean render, about 10 with σ=12 noise). The
    median is taken over every other pixel of every other row: a quarter of a 300 dpi
    page is two million samples, and the full median cost 70 ms a page."""
    lap = cv2.Laplacian(gray, cv2.CV_16S, ksize=1)[::2, ::2]  # exact in 16 bits: 4 × 255 at most
    paper = gray[::2, ::2] > 180
    if paper.sum() < 250:
        return 0.0
    return float(_median_small(np.abs(lap[paper])) * 1.4826 / 2.45)


def _median_small(values: np.ndarray) -> float:
    """``np.median`` of small non-negative integers, by counting (no sort)."""
    counts = np.cumsum(np.bincount(values.ravel()))
    n = int(counts[-1])
    lo = int(np.searchsorted(counts, (n - 1) // 2, side="right"))
    hi = int(np.searchsorted(counts, n // 2, side="right"))
    return (lo + hi) / 2


def denoise(gray: np.ndarray, sigma: float) -> np.ndarray:
    """An edge-keeping (bilateral) smoothing where noise is measured; untouched
    otherwise. A 3×3 median, tried first, erased the 2-px minus signs and thin
    ``1`` strokes of 200 dpi tables; the bilateral filter averages the paper
    grain away but not across a stroke's edge."""
    if sigma < NOISY:
        return gray
    return cv2.bilateralFilter(gray, 5, 40, 3)


def binarise(gray: np.ndarray) -> np.ndarray:
    """Ink = 255 by Otsu's threshold on the flattened page (fine for rulings and
    ink boxes; OCR is given the greyscale)."""
    _, b = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY_INV | cv2.THRESH_OTSU)
    return b


def skew_angle(binary: np.ndarray, max_angle: float = 4.0) -> float:
    """The angle (degrees, counter-clockwise) that makes text lines and rulings
    horizontal: the rotation whose row profile is sharpest, searched coarse to
    fine on a reduced copy."""
    small = cv2.resize(binary, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    h, w = small.shape
    centre = (w / 2, h / 2)

    def score(a: float) -> float:
        m = cv2.getRotationMatrix2D(centre, a, 1.0)
        r = cv2.warpAffine(small, m, (w, h), flags=cv2.INTER_NEAREST)
        prof = r.sum(axis=1, dtype=np.float64)
        return float(np.sum(np.diff(prof) ** 2))

    best = 0.0
    for step, span in ((0.5, max_angle), (0.1, 0.5), (0.02, 0.1)):
        cands = np.arange(best - span, best + span + 1e-9, step)
        best = float(max(cands, key=score))
    return round(best, 2)


def straighten(img: np.ndarray, angle: float) -> np.ndarray:
    if abs(angle) < 0.05:
        return img
    h, w = img.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    fill = 255 if img.ndim == 2 else (255, 255, 255)
    return cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_CONSTANT,
                          borderValue=fill)


def rotate_quarter(img: np.ndarray, degrees: int) -> np.ndarray:
    """Turn a page clockwise by 90, 180 or 270 degrees."""
    codes = {90: cv2.ROTATE_90_CLOCKWISE, 180: cv2.ROTATE_180, 270: cv2.ROTATE_90_COUNTERCLOCKWISE}
    return cv2.rotate(img, codes[degrees]) if degrees in codes else img


def prepare(img: np.ndarray, dpi: int, keep_steps: bool = False) -> Prepared:
    """The clean-up chain: seal → flatten → denoise → deskew → binary copy."""
    steps: dict[str, np.ndarray] = {}
    gray, red = suppress_red(img)
    if keep_steps:
        steps["0_gray"] = gray
    flat = flatten(gray)
    sigma = noise_sigma(flat)
    clean = denoise(flat, sigma)
    if keep_steps:
        steps["1_flat"], steps["2_denoised"] = flat, clean
    angle = skew_angle(binarise(clean))
    clean = straighten(clean, angle)
    binary = binarise(clean)
    ink = binarise(cv2.GaussianBlur(clean, (0, 0), INK_SMOOTH)) if sigma >= NOISY else binary
    if keep_steps:
        steps["3_straight"], steps["4_binary"], steps["5_ink"] = clean, binary, ink
    return Prepared(clean, binary, ink, dpi, angle, round(sigma, 2), red, steps)


SIDEWAYS = 0.5  # under this a page lies on its side (measured: upright pages 0.95–3.4; turned table pages ≤ 0.33)


def sideways_ratio(binary: np.ndarray) -> float:
    """How much more the ink changes from row to row than from column to column.
    Rulings and lines of text make the row profile jump: upright pages give about
    1 (text) to 3 (tables), table pages turned a quarter about 0.3. A one-sided
    hint: under ``SIDEWAYS`` OSD is asked before any reading (sparing a full OCR
    pass); CJK text pages, whose glyph grid looks alike both ways, are not told
    by it and are turned after a first reading as before."""
    small = cv2.resize(binary, (max(1, binary.shape[1] // 4), max(1, binary.shape[0] // 4)),
                       interpolation=cv2.INTER_AREA).astype(np.float32)
    rows = np.abs(np.diff(small.mean(axis=1))).mean()
    cols = np.abs(np.diff(small.mean(axis=0))).mean()
    return float(rows / max(1e-6, cols))
