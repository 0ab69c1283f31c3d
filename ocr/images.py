"""Page images out of their containers: single images (PNG, JPEG), multi-page
TIFF (greyscale or bilevel Group 4), image-only PDFs (and the image pages of
mixed ones), and sets of page images that together make one document
(``name_p1.png, name_p2.png …`` or ``name-001.jpg …``).

Everything goes through Pillow, whose decompression-bomb guard stays on; PDF
pages are rendered with pypdfium2 (0.02 s a page at 300 dpi, in memory).
A page's resolution is taken from its size where the page is A4-shaped (scanner
metadata is often a default 72 dpi) and from the file's metadata otherwise.
"""

from __future__ import annotations

import io
import itertools
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageSequence, UnidentifiedImageError

from .errors import ReadError
from .limits import MAX_PAGE_MEGAPIXELS, MIN_IMAGE_SIDE

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}
RENDER_DPI = 300        # PDF pages: measured best for Tesseract on clean scans
MIN_DPI, MAX_DPI = 170, 400
A4_LONG_IN = 11.69
_PAGE_SET = re.compile(r"^(?P<stem>.+?)(?:_p|-)(?P<n>\d{1,4})$", re.IGNORECASE)


def page_set_key(path: Path) -> tuple[str, int] | None:
    """(set name, page number) when ``path`` is one page of a page-image set."""
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        return None
    m = _PAGE_SET.match(path.stem)
    if not m:
        return None
    return str(path.with_name(m["stem"])) + "|" + path.suffix.lower().replace("jpeg", "jpg"), int(m["n"])


def group_page_sets(paths: list[Path]) -> list[list[Path]]:
    """Files in order, with the pages of each image set gathered into one entry
    (sorted by page number; a set of one stays a single file)."""
    sets: dict[str, list[tuple[int, Path]]] = {}
    order: list[str | Path] = []
    for p in paths:
        key = page_set_key(p)
        if key is None:
            order.append(p)
            continue
        if key[0] not in sets:
            sets[key[0]] = []
            order.append(key[0])
        sets[key[0]].append((key[1], p))
    out: list[list[Path]] = []
    for item in order:
        if isinstance(item, Path):
            out.append([item])
        else:
            out.append([p for _, p in sorted(sets[item])])
    return out


def estimate_dpi(width: int, height: int, meta_dpi: float | None) -> int:
    """The scan resolution: from the page size when it is A4 (either way round),
    else from the metadata, else 300."""
    long_side, short_side = max(width, height), min(width, height)
    by_size = long_side / A4_LONG_IN
    if short_side and abs(long_side / short_side - 1.414) < 0.08:
        return int(round(by_size))
    if meta_dpi and 100 <= meta_dpi <= 1200:
        return int(round(meta_dpi))
    return 300


WIDE_MODES = ("I;16", "I;16L", "I;16B", "I;16N", "I", "F")  # more than 8 bits a pixel


def to_array(im: Image.Image) -> np.ndarray:
    """Greyscale stays one channel; colour becomes BGR (OpenCV's order). A 16-bit
    (or 32-bit, or float) greyscale page is scaled to 8 bits, not clipped."""
    if im.mode in WIDE_MODES:
        return scale_to_8bit(np.asarray(im))
    if im.mode in ("1", "L", "LA", "P") and not _colourful(im):
        return np.array(im.convert("L"))
    rgb = np.array(im.convert("RGB"))
    return rgb[..., ::-1].copy()


def scale_to_8bit(a: np.ndarray) -> np.ndarray:
    """Grey levels of more than 8 bits → 0..255, by the range the image uses.

    Pillow's own conversion clips: every level above 255 becomes white, so a
    16-bit page (0..65535) loses all but its darkest ink. Here the full scale is
    the smallest ``2**k - 1`` (at least 255) that holds the image's brightest
    pixel, so a 16-bit page maps as ``v / 257`` (exactly its 8-bit original when
    it was made from one), a 12-bit scan (0..4095) as ``v / 16.06``, and a float
    page with levels 0..1 as ``v * 255``. Negative levels shift the scale up."""
    a = np.asarray(a)
    if a.size == 0:
        return np.zeros(a.shape, np.uint8)
    f = a.astype(np.float32, copy=False)
    finite = np.isfinite(f)
    if not finite.all():
        f = np.where(finite, f, 0.0).astype(np.float32)
    lo, hi = min(0.0, float(f.min())), float(f.max())
    if a.dtype.kind == "f" and hi <= 1.0:
        full = 1.0
    else:
        top = max(hi - lo, 1.0)
        full = float(max(255, 2 ** int(np.ceil(np.log2(top + 1))) - 1))
    out = (f - lo) * np.float32(255.0 / full)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def _colourful(im: Image.Image) -> bool:
    if im.mode != "P":
        return False
    pal = im.convert("RGB").resize((64, 64))
    a = np.array(pal, dtype=np.int16)
    return bool(np.abs(a[..., 0] - a[..., 2]).max() > 40)


@dataclass(frozen=True)
class PageRef:
    """Where one page image is: a file (and the frame of a TIFF, the page of a PDF)."""

    path: str
    index: int = 0
    kind: str = "image"   # image | pdf


MAX_PIXELS = int(MAX_PAGE_MEGAPIXELS * 1_000_000)


def _bomb_limit(max_pixels: int) -> None:
    """Pillow's guard at the page pixel cap: it warns above ``MAX_IMAGE_PIXELS``
    (made an error here) and refuses above twice that."""
    Image.MAX_IMAGE_PIXELS = max_pixels


def too_small(w: int, h: int, index: int = 0) -> None:
    """A page image narrower or lower than ``MIN_IMAGE_SIDE`` holds nothing to read
    (and OpenCV cannot scale it): refused with its size."""
    if min(w, h) < MIN_IMAGE_SIDE:
        where = f", page {index + 1}" if index else ""
        raise ReadError(f"image too small ({w}×{h} px{where})")


def open_image(path: str, index: int = 0, max_pixels: int = MAX_PIXELS) -> tuple[np.ndarray, int]:
    """Frame ``index`` of an image file as an array, with its resolution. Refused
    above ``max_pixels`` (before it is decoded) and below ``MIN_IMAGE_SIDE``."""
    _bomb_limit(max_pixels)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as im:
                if index:
                    im.seek(index)
                w, h = im.size
                if w * h > max_pixels:  # a frame after the first is not checked by Image.open
                    raise Image.DecompressionBombError(f"{w}×{h} px")
                too_small(w, h, index)
                im.load()
                meta = im.info.get("dpi")
                arr = to_array(im)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ReadError(f"image too large ({exc.__class__.__name__}: refused as a possible "
                        f"decompression bomb; the limit is {max_pixels / 1e6:g} megapixels a page, "
                        "REPORTDB_MAX_PAGE_MEGAPIXELS)") from exc
    except UnidentifiedImageError as exc:
        raise ReadError("not a readable image") from exc
    except (OSError, EOFError, ValueError, SyntaxError) as exc:
        raise ReadError(f"broken image ({str(exc)[:80]})") from exc
    dpi = estimate_dpi(arr.shape[1], arr.shape[0], float(meta[0]) if meta else None)
    return arr, dpi


def count_frames(path: str, stop: int | None = None) -> int:
    """The frames of a multi-page image, counted up to ``stop`` at most (a TIFF
    of a million frames is not walked to its end to be refused)."""
    try:
        with Image.open(path) as im:
            n = 0
            for _ in ImageSequence.Iterator(im):
                n += 1
                if stop is not None and n >= stop:
                    break
            return n
    except Image.DecompressionBombError as exc:
        raise ReadError("image too large (refused as a possible decompression bomb)") from exc
    except UnidentifiedImageError as exc:
        raise ReadError("not a readable image") from exc
    except (OSError, EOFError, ValueError, SyntaxError) as exc:
        raise ReadError(f"broken image ({str(exc)[:80]})") from exc


def pdf_page_dpi(page) -> int:
    """The resolution of the scan inside a PDF page: its largest image's pixels
    over the page's size, held between ``MIN_DPI`` and ``RENDER_DPI``."""
    import pypdfium2.raw as raw

    best = 0
    width_in = page.get_width() / 72
    for obj in page.get_objects(filter=[raw.FPDF_PAGEOBJ_IMAGE]):
        try:
            w, _ = obj.get_px_size()
        except Exception:  # an image pdfium cannot size: render at the default
            continue
        l, _, r, _ = obj.get_bounds()
        span_in = max((r - l) / 72, 0.1)
        best = max(best, int(w / span_in))
    if not best:
        return RENDER_DPI
    return max(MIN_DPI, min(RENDER_DPI, best))


def render_pdf_page(path: str, index: int, max_pixels: int = MAX_PIXELS) -> tuple[np.ndarray, int]:
    """PDF page ``index`` as an image. A page that would render above ``max_pixels``
    (a 200-inch page, a huge /UserUnit) is refused before a pixel is drawn."""
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(path)
    except pdfium.PdfiumError as exc:
        raise ReadError(f"broken PDF ({exc})") from exc
    try:
        page = pdf[index]
        dpi = pdf_page_dpi(page)
        w_pt, h_pt = page.get_size()
        w, h = int(round(w_pt * dpi / 72)), int(round(h_pt * dpi / 72))
        if w * h > max_pixels:
            raise ReadError(f"page {index + 1} too large to read ({w_pt / 72:.0f}×{h_pt / 72:.0f} in: "
                            f"{w * h / 1e6:,.0f} megapixels at {dpi} dpi; the limit is "
                            f"{max_pixels / 1e6:g} megapixels a page, REPORTDB_MAX_PAGE_MEGAPIXELS)")
        if min(w, h) < MIN_IMAGE_SIDE:
            raise ReadError(f"page {index + 1} too small to read ({w}×{h} px at {dpi} dpi)")
        scanned = page_scan(page, max_pixels)
        if scanned is not None:
            return scanned
        arr = page.render(scale=dpi / 72, grayscale=False).to_numpy()
        return (one_channel_if_grey(arr[..., :3]) if arr.ndim == 3 and arr.shape[2] >= 3 else arr), dpi
    finally:
        pdf.close()


def one_channel_if_grey(bgr: np.ndarray) -> np.ndarray:
    """A colour image whose blue and red never differ by 30 or more as one grey
    channel (its green), else a contiguous BGR copy (a red seal needs its colour)."""
    if int(cv2.absdiff(np.ascontiguousarray(bgr[..., 0]), np.ascontiguousarray(bgr[..., 2])).max()) < 30:
        return np.ascontiguousarray(bgr[..., 1])
    return np.ascontiguousarray(bgr)


def page_scan(page, max_pixels: int = MAX_PIXELS) -> tuple[np.ndarray, int] | None:
    """The scan itself of a PDF page that is nothing but one upright image laid over the
    whole page (what scanners and scanning apps write), decoded at its own resolution
    instead of rendered: a 300 dpi A4 page decodes in about 15 ms against 70 ms to
    render it and 60 ms to tell a grey page from a colour one, and rendering at the
    nearest whole dpi resampled the scan (2481 px wide at 300 dpi came back 2473 px
    at 299). None for any other page (text or drawings on it, several images, a turned
    or cropped image, a mask or transparency, a 1-bit, CMYK or palette image, a page
    /Rotate): those are rendered."""
    import pypdfium2.raw as raw

    objects = list(itertools.islice(page.get_objects(), 2))  # one is all it may have
    if len(objects) != 1 or objects[0].type != raw.FPDF_PAGEOBJ_IMAGE or page.get_rotation():
        return None
    image = objects[0]
    a, b, c, d, e, f = image.get_matrix().get()
    width, height = page.get_size()
    if b or c or a <= 0 or d <= 0 or abs(e) > 1 or abs(f) > 1 or abs(a - width) > 1 or abs(d - height) > 1:
        return None
    try:
        px_w, px_h = image.get_px_size()
        meta = image.get_metadata()
    except Exception:  # an image pdfium cannot size: rendered instead
        return None
    # 8 bits a component, grey or RGB; a 1-bit fax image or stencil mask (painted in a colour
    # of the page's choosing), CMYK, a palette or a spot colour is left to the renderer
    if meta.bits_per_pixel not in (8, 24) or meta.colorspace not in (
            raw.FPDF_COLORSPACE_DEVICEGRAY, raw.FPDF_COLORSPACE_CALGRAY, raw.FPDF_COLORSPACE_DEVICERGB,
            raw.FPDF_COLORSPACE_CALRGB, raw.FPDF_COLORSPACE_ICCBASED):
        return None
    dpi = int(round(px_w / (width / 72)))
    if px_w * px_h > max_pixels or min(px_w, px_h) < MIN_IMAGE_SIDE or abs(px_h / (height / 72) - dpi) > 2:
        return None  # refused or scaled as rendering would, or not square pixels
    bitmap = image.get_bitmap(render=False)
    arr = bitmap.to_numpy()
    if arr.shape[:2] != (px_h, px_w):
        return None
    if bitmap.format == raw.FPDFBitmap_Gray:
        arr = np.ascontiguousarray(arr.reshape(px_h, px_w))
    elif bitmap.format in (raw.FPDFBitmap_BGR, raw.FPDFBitmap_BGRx):
        arr = one_channel_if_grey(arr[..., :3])
    else:
        return None  # an image with alpha: rendered onto the page's white
    if dpi > RENDER_DPI:  # as a rendered page: no finer than RENDER_DPI
        f = RENDER_DPI / dpi
        arr = cv2.resize(arr, (int(round(px_w * f)), int(round(px_h * f))), interpolation=cv2.INTER_AREA)
        dpi = RENDER_DPI
    return arr, dpi


def load(ref: PageRef, max_pixels: int = MAX_PIXELS) -> tuple[np.ndarray, int]:
    """The page image and its resolution; low-resolution pages are scaled up to
    what Tesseract reads best (never past ``max_pixels``), huge ones down to 300 dpi."""
    import cv2

    if ref.kind == "pdf":
        img, dpi = render_pdf_page(ref.path, ref.index, max_pixels)
    else:
        img, dpi = open_image(ref.path, ref.index, max_pixels)
    if dpi < MIN_DPI or dpi > MAX_DPI:
        f = RENDER_DPI / dpi
        f = min(f, (max_pixels / max(1, img.shape[0] * img.shape[1])) ** 0.5)
        img = cv2.resize(img, None, fx=f, fy=f, interpolation=cv2.INTER_CUBIC if f > 1 else cv2.INTER_AREA)
        dpi = int(round(dpi * f))
    return img, dpi


REVIEW_WIDTH = 1400  # px: enough to read a cell beside its box on a screen


def review_image(jpeg: bytes, page_width: float, max_width: int = REVIEW_WIDTH) -> tuple[bytes, int, int, float]:
    """A page image for review, at most ``max_width`` wide: (JPEG, width, height,
    scale), where a box in the page's own pixels times ``scale`` lands on this
    image. One already small enough (the OCR worker scales it when no full-size
    image is wanted) is passed on as it is, without decoding."""
    with Image.open(io.BytesIO(jpeg)) as im:
        width, height = im.size
    if width <= max_width:
        return jpeg, width, height, width / max(1.0, page_width)
    img = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_GRAYSCALE)
    f = min(1.0, max_width / img.shape[1])
    if f < 1.0:
        img = cv2.resize(img, (int(round(img.shape[1] * f)), int(round(img.shape[0] * f))),
                         interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 75])
    return buf.tobytes(), img.shape[1], img.shape[0], img.shape[1] / max(1.0, page_width)
