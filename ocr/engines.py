"""OCR engines behind one seam.

Contract of an engine (``OcrEngine``):

* ``read_page(gray)`` → the words of a page image (greyscale, straightened,
  table areas already painted white; or a strip of unsure lines stacked for a
  second reading) as ``Word`` records with pixel boxes, a confidence in 0…1
  and the engine's own line number, in reading order;
* ``read_crops(crops, digits)`` → one (text, confidence) per cell crop (ink-
  tight, greyscale, dark on white), each engine batching them its own way
  (``digits`` restricts the alphabet to what a table value can hold);
* ``orientation(gray)`` → clockwise quarter turn (0, 90, 180, 270) that makes
  the page upright, and a confidence; engines that cannot tell return (0, 0).

Engines are created by name (``engine("tesseract")``) inside the worker that uses
them, so a page job only carries the name. Tesseract is the default; RapidOCR
(PP-OCR models shipped inside the ``rapidocr_onnxruntime`` wheel, no network)
is an optional extra.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Protocol

import numpy as np

# Tesseract's OpenMP threading makes chi_sim 4–8× slower on a 2-core machine;
# one thread per process, and pages run in parallel processes instead.
os.environ.setdefault("OMP_THREAD_LIMIT", "1")

LANGS = "chi_sim+eng"  # both must be installed: eng reads the digit strips
# Text and labels are read with chi_sim alone: measured on 8 scanned pages (clean,
# scan, noise, blur) it was 38 % faster than chi_sim+eng and misread fewer
# characters (7.8 % against 10.0 % lenient CER): with eng loaded, smudged CJK
# glyphs come back as Latin words. chi_sim reads digits and ASCII as well.
TEXT_LANG = "chi_sim"
# Reports print dark on light; the strips are built dark on white. Tesseract's
# per-line test for inverted text costs about a tenth of a page's time for nothing.
NO_INVERT = "-c tessedit_do_invert=0"
DIGITS = "0123456789.-"


@dataclass(frozen=True)
class Word:
    text: str
    box: tuple[int, int, int, int]  # x0, y0, x1, y1 pixels
    confidence: float               # 0…1
    line: int                       # the engine's line number, in reading order


class EngineUnavailable(RuntimeError):
    """The named engine is not installed (a clear one-line reason)."""


class OcrEngine(Protocol):
    name: str

    def read_page(self, gray: np.ndarray) -> list[Word]: ...

    def read_crops(self, crops: list[np.ndarray], digits: bool) -> list[tuple[str, float]]: ...

    def orientation(self, gray: np.ndarray) -> tuple[int, float]: ...


class Tesseract:
    """Tesseract through pytesseract: psm 6 (one uniform block) on the cleaned
    greyscale page — psm 3's layout analysis splits justified CJK paragraphs into
    columns at 200 dpi — and one psm 6 call per strip of stacked cells."""

    name = "tesseract"

    def __init__(self, langs: str = LANGS):
        import pytesseract

        self._t = pytesseract
        try:
            have = set(pytesseract.get_languages(config=""))
        except (pytesseract.TesseractNotFoundError, OSError) as exc:
            raise EngineUnavailable("tesseract is not installed (apt-get install tesseract-ocr)") from exc
        missing = [lang for lang in langs.split("+") if lang not in have]
        if missing:
            raise EngineUnavailable(f"tesseract language data missing: {', '.join(missing)} "
                                    f"(apt-get install tesseract-ocr-chi-sim)")
        self.langs = langs

    @staticmethod
    def _image(img: np.ndarray):
        """The image as pytesseract hands it over: as an uncompressed PGM/PPM file,
        not the PNG it writes by default (encoding and decoding a page's PNG cost
        20–35 ms a call, measured; a page makes four to six calls)."""
        from PIL import Image

        im = Image.fromarray(img)
        im.format = "PPM"
        return im

    def _words(self, img: np.ndarray, config: str, lang: str) -> list[Word]:
        d = self._t.image_to_data(self._image(img), lang=lang, config=config,
                                  output_type=self._t.Output.DICT)
        out = []
        line_ids: dict[tuple[int, int, int], int] = {}
        for i, text in enumerate(d["text"]):
            text = (text or "").strip()
            conf = float(d["conf"][i])
            if not text or conf < 0:
                continue
            key = (d["block_num"][i], d["par_num"][i], d["line_num"][i])
            line = line_ids.setdefault(key, len(line_ids))
            x, y, w, h = d["left"][i], d["top"][i], d["width"][i], d["height"][i]
            out.append(Word(text, (x, y, x + w, y + h), conf / 100.0, line))
        return out

    def read_page(self, gray: np.ndarray) -> list[Word]:
        return self._words(gray, f"--psm 6 -c preserve_interword_spaces=1 {NO_INVERT}", TEXT_LANG)

    def read_crops(self, crops: list[np.ndarray], digits: bool) -> list[tuple[str, float]]:
        """All crops stacked into one strip, read by one psm 6 call (one call per
        cell would cost about 80 ms of start-up each)."""
        from .strips import read_stacked

        if digits:
            cfg, lang = f"--psm 6 -c tessedit_char_whitelist={DIGITS} {NO_INVERT}", "eng"
        else:
            cfg, lang = f"--psm 6 {NO_INVERT}", TEXT_LANG
        return read_stacked(crops, lambda strip: self._words(strip, cfg, lang))

    def orientation(self, gray: np.ndarray) -> tuple[int, float]:
        small = gray[::2, ::2]
        try:
            osd = self._t.image_to_osd(self._image(np.ascontiguousarray(small)),
                                       output_type=self._t.Output.DICT, config="--psm 0")
        except self._t.TesseractError:
            return 0, 0.0  # too little text to tell
        return int(osd.get("rotate", 0)) % 360, float(osd.get("orientation_conf", 0.0))


class RapidOCR:
    """RapidOCR (PP-OCRv4 through onnxruntime) — the optional engine. Its angle
    classifier stays off: it turns upright CJK lines over and loses them."""

    name = "rapidocr"

    def __init__(self):
        try:
            from rapidocr_onnxruntime import RapidOCR as _R
        except ImportError as exc:
            raise EngineUnavailable("rapidocr_onnxruntime is not installed "
                                    "(make setup-rapidocr)") from exc
        self._r = _R()

    def _run(self, img: np.ndarray, **kw) -> list[Word]:
        res, _ = self._r(img, use_cls=False, **kw)
        out = []
        for i, (pts, text, score) in enumerate(res or []):
            xs = [p[0] for p in pts]
            ys = [p[1] for p in pts]
            out.append(Word(str(text), (int(min(xs)), int(min(ys)), int(max(xs)), int(max(ys))),
                            float(score), i))
        return out

    def read_page(self, gray: np.ndarray) -> list[Word]:
        return self._run(gray)

    def read_crops(self, crops: list[np.ndarray], digits: bool) -> list[tuple[str, float]]:
        """The recogniser alone on each crop, in one batch (no detection: the
        crops are already tight to the ink)."""
        import cv2

        if not crops:
            return []
        images = [cv2.cvtColor(c, cv2.COLOR_GRAY2BGR) if c.ndim == 2 else c for c in crops]
        # batched by width; one pipeline call per crop took 5.2–5.5 s of cell reading on
        # a 300 dpi table page against 4.3–4.6 s batched (1 of 172 readings differed)
        res, _ = self._r.text_rec(images)
        return [(str(text), float(score)) for text, score in res]

    def orientation(self, gray: np.ndarray) -> tuple[int, float]:
        return 0, 0.0


ENGINES = ("tesseract", "rapidocr")
_CACHE: dict[str, OcrEngine] = {}


def engine(name: str = "tesseract") -> OcrEngine:
    """The engine called ``name``, created once per process."""
    if name not in _CACHE:
        if name == "tesseract":
            _CACHE[name] = Tesseract()
        elif name == "rapidocr":
            _CACHE[name] = RapidOCR()
        else:
            raise EngineUnavailable(f"unknown OCR engine {name!r} (choose from {', '.join(ENGINES)})")
    return _CACHE[name]
