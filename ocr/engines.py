"""OCR engines behind one seam.

Contract of an engine (``OcrEngine``):

* ``read_page(gray)`` → the words of a page image (greyscale, straightened,
  table areas already painted white; or a strip of unsure lines stacked for a
  second reading) as ``Word`` records with pixel boxes, a confidence in 0…1
  and the engine's own line number, in reading order;
* ``read_crops(crops, digits, alone=False)`` → one (text, confidence) per cell
  crop (ink-tight, greyscale, dark on white), each engine batching them its own
  way (``digits`` restricts the alphabet to what a table value can hold;
  ``alone`` asks for each crop to be read on its own, as one line, for the few
  cells a batched reading lost);
* ``orientation(gray)`` → clockwise quarter turn (0, 90, 180, 270) that makes
  the page upright, and a confidence; engines that cannot tell return (0, 0).

Engines are created by name (``engine("tesseract")``) inside the worker that uses
them, so a page job only carries the name. Tesseract is the default; RapidOCR
(PP-OCR models shipped inside the ``rapidocr_onnxruntime`` wheel, no network)
is an optional extra.
"""

from __future__ import annotations

import os
import re
import subprocess
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
NO_INVERT = {"tessedit_do_invert": "0"}
DIGITS = "0123456789.-"
SINGLE_BLOCK = 6  # page segmentation mode: one uniform block of text
SINGLE_LINE = 7   # … one line


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

    def read_crops(self, crops: list[np.ndarray], digits: bool,
                   alone: bool = False) -> list[tuple[str, float]]: ...

    def read_line(self, gray: np.ndarray) -> list[Word]:
        """The words of an image that holds one line of text, boxes in its pixels
        (a line the page reading passed over)."""
        ...

    def orientation(self, gray: np.ndarray) -> tuple[int, float]: ...


def tsv_words(tsv: str) -> list[Word]:
    """Tesseract's TSV (the same from its library and its command) as words: its
    line numbers (block, paragraph, line) become one running line number."""
    out = []
    line_ids: dict[tuple[str, str, str], int] = {}
    for row in tsv.splitlines():
        f = row.split("\t")
        if len(f) < 12 or f[0] != "5":  # level 5: a word (the header and layout rows skipped)
            continue
        text, conf = f[11].strip(), float(f[10])
        if not text or conf < 0:
            continue
        line = line_ids.setdefault((f[2], f[3], f[4]), len(line_ids))
        x, y, w, h = (int(v) for v in f[6:10])
        out.append(Word(text, (x, y, x + w, y + h), conf / 100.0, line))
    return out


def tessdata_dir() -> str | None:
    """The folder of the installed Tesseract's language data: ``TESSDATA_PREFIX``
    when set, else what the ``tesseract`` command lists, else Debian's folder."""
    if os.environ.get("TESSDATA_PREFIX"):
        return os.environ["TESSDATA_PREFIX"]
    try:
        out = subprocess.run(["tesseract", "--list-langs"], capture_output=True, text=True, timeout=30)
        m = re.search(r'"([^"]+)"', out.stdout + out.stderr)
        if m:
            return m.group(1)
    except (OSError, subprocess.SubprocessError):
        pass
    for d in ("/usr/share/tesseract-ocr/5/tessdata", "/usr/share/tesseract-ocr/4.00/tessdata"):
        if os.path.isdir(d):
            return d
    return None


class InProcess:
    """Tesseract's library held in this process (tesserocr): each language and
    setting is loaded once per worker and kept. The ``tesseract`` command loads
    its model anew on every call — 0.09 s for eng, 0.12 s for chi_sim, measured —
    and a table page makes five to seven calls (text, labels, digits twice,
    re-reads), most of them on small strips that take less than that to read."""

    def __init__(self, datapath: str, langs: list[str]):
        import tesserocr

        missing = [lang for lang in langs if not os.path.exists(os.path.join(datapath, f"{lang}.traineddata"))]
        if missing:
            raise EngineUnavailable(f"tesseract language data missing in {datapath}: {', '.join(missing)} "
                                    f"(apt-get install tesseract-ocr-chi-sim tesseract-ocr-eng)")
        self._tr = tesserocr
        self._path = datapath
        self._apis: dict = {}
        self.version = tesserocr.tesseract_version().split()[1]

    def _api(self, lang: str, psm: int, variables: dict[str, str]):
        key = (lang, psm, tuple(sorted(variables.items())))
        api = self._apis.get(key)
        if api is None:
            api = self._tr.PyTessBaseAPI(path=self._path, lang=lang, psm=psm)
            for name, value in variables.items():
                if not api.SetVariable(name, value):
                    raise EngineUnavailable(f"tesseract does not know the setting {name}")
            self._apis[key] = api
        return api

    @staticmethod
    def _set(api, img: np.ndarray) -> bytes:
        data = np.ascontiguousarray(img, dtype=np.uint8).tobytes()
        api.SetImageBytes(data, img.shape[1], img.shape[0], 1, img.shape[1])
        return data  # the library reads the buffer without copying it: keep it alive

    def tsv(self, img: np.ndarray, lang: str, psm: int, variables: dict[str, str]) -> str:
        api = self._api(lang, psm, variables)
        data = self._set(api, img)  # noqa: F841 — held until the reading is done
        try:
            if not api.Recognize():
                raise RuntimeError("tesseract could not read the image")
            return api.GetTSVText(0)
        finally:
            api.Clear()

    def osd(self, img: np.ndarray) -> tuple[int, float]:
        api = self._api("osd", self._tr.PSM.OSD_ONLY, {})
        data = self._set(api, img)  # noqa: F841 — held until the reading is done
        try:
            res = api.DetectOrientationScript()
        finally:
            api.Clear()
        if not res:
            return 0, 0.0  # too little text to tell
        # orient_deg is how far the page was turned clockwise; undoing it is the rest of a circle
        return (360 - int(res["orient_deg"])) % 360, float(res["orient_conf"])


class Command:
    """The ``tesseract`` command through pytesseract, one process a call: used
    where tesserocr is not installed (same settings, same TSV)."""

    def __init__(self, langs: list[str]):
        import pytesseract

        self._t = pytesseract
        try:
            have = set(pytesseract.get_languages(config=""))
        except (pytesseract.TesseractNotFoundError, OSError) as exc:
            raise EngineUnavailable("tesseract is not installed (apt-get install tesseract-ocr)") from exc
        missing = [lang for lang in langs if lang not in have]
        if missing:
            raise EngineUnavailable(f"tesseract language data missing: {', '.join(missing)} "
                                    f"(apt-get install tesseract-ocr-chi-sim)")
        self.version = str(pytesseract.get_tesseract_version())

    @staticmethod
    def _image(img: np.ndarray):
        """Handed over as an uncompressed PGM file, not the PNG pytesseract writes
        by default (encoding and decoding a page's PNG cost 20–35 ms a call)."""
        from PIL import Image

        im = Image.fromarray(img)
        im.format = "PPM"
        return im

    def tsv(self, img: np.ndarray, lang: str, psm: int, variables: dict[str, str]) -> str:
        config = " ".join([f"--psm {psm}"] + [f"-c {k}={v}" for k, v in variables.items()])
        return self._t.image_to_data(self._image(img), lang=lang, config=config)

    def osd(self, img: np.ndarray) -> tuple[int, float]:
        try:
            osd = self._t.image_to_osd(self._image(img), output_type=self._t.Output.DICT, config="--psm 0")
        except self._t.TesseractError:
            return 0, 0.0  # too little text to tell
        return int(osd.get("rotate", 0)) % 360, float(osd.get("orientation_conf", 0.0))


def _backend(langs: list[str], how: str | None):
    """The library in this process when tesserocr is installed, else the command."""
    if how in (None, "library"):
        try:
            import tesserocr  # noqa: F401
        except ImportError:
            if how == "library":
                raise EngineUnavailable("tesserocr is not installed (pip install tesserocr)") from None
        else:
            path = tessdata_dir()
            if path is None:
                raise EngineUnavailable("tesseract language data not found "
                                        "(apt-get install tesseract-ocr tesseract-ocr-chi-sim)")
            return InProcess(path, langs + ["osd"])
    return Command(langs)


class Tesseract:
    """Tesseract: psm 6 (one uniform block) on the cleaned greyscale page — psm 3's
    layout analysis splits justified CJK paragraphs into columns at 200 dpi — and
    one psm 6 call per strip of stacked cells. Read through the library held in
    the worker (``InProcess``), or the command (``Command``) where tesserocr is
    missing; ``backend`` forces one ("library" or "command")."""

    name = "tesseract"

    def __init__(self, langs: str = LANGS, backend: str | None = None):
        self._b = _backend(langs.split("+"), backend)
        self.backend = type(self._b).__name__

    def _words(self, img: np.ndarray, variables: dict[str, str], lang: str) -> list[Word]:
        return tsv_words(self._b.tsv(img, lang, SINGLE_BLOCK, {**variables, **NO_INVERT}))

    def read_page(self, gray: np.ndarray) -> list[Word]:
        return self._words(gray, {"preserve_interword_spaces": "1"}, TEXT_LANG)

    def read_line(self, gray: np.ndarray) -> list[Word]:
        """psm 7: the block layout of psm 6 can find no line at all in a lone line of
        wide-set bold glyphs (a section heading under a table, at 200 dpi), which
        psm 7 reads plainly."""
        return tsv_words(self._b.tsv(gray, TEXT_LANG, SINGLE_LINE, NO_INVERT))

    def read_crops(self, crops: list[np.ndarray], digits: bool,
                   alone: bool = False) -> list[tuple[str, float]]:
        """All crops stacked into one strip, read by one psm 6 call (one call per
        cell cost about 80 ms of start-up each through the command). ``alone``:
        each crop read as one line (psm 7), about 1 ms a small crop in the
        library: the strip's layout analysis can drop a lone thin glyph (a ``7``
        that reads plainly on its own came back as nothing)."""
        from .strips import join_words, read_stacked

        if digits:
            variables, lang = {"tessedit_char_whitelist": DIGITS}, "eng"
        else:
            variables, lang = {}, TEXT_LANG
        if alone:
            out = []
            for crop in crops:
                words = tsv_words(self._b.tsv(crop, lang, SINGLE_LINE, {**variables, **NO_INVERT}))
                out.append((join_words(words), min((w.confidence for w in words), default=0.0)))
            return out
        return read_stacked(crops, lambda strip: self._words(strip, variables, lang))

    def orientation(self, gray: np.ndarray) -> tuple[int, float]:
        return self._b.osd(np.ascontiguousarray(gray[::2, ::2]))


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
        # one thread per session, as for Tesseract: pages run in parallel worker
        # processes, and onnxruntime's default (a thread per core in every worker)
        # oversubscribes the cores
        self._r = _R(intra_op_num_threads=1, inter_op_num_threads=1)  # copied to det, cls and rec

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

    def read_line(self, gray: np.ndarray) -> list[Word]:
        return self._run(gray)

    def read_crops(self, crops: list[np.ndarray], digits: bool,
                   alone: bool = False) -> list[tuple[str, float]]:
        """The recogniser alone on each crop, in one batch (no detection: the
        crops are already tight to the ink; ``alone`` changes nothing). The recogniser reads one line: a
        label wrapped over several lines of its cell is cut into its lines first
        (read whole, 申请人无正当理由逾期不补正… came back as garbage and lost its
        row in every benchmark document)."""
        import cv2

        from .strips import text_lines

        if not crops:
            return []
        pieces: list[np.ndarray] = []
        owner: list[int] = []
        for n, c in enumerate(crops):
            lines = [c] if digits else text_lines(c)
            pieces += lines
            owner += [n] * len(lines)
        images = [cv2.cvtColor(c, cv2.COLOR_GRAY2BGR) if c.ndim == 2 else c for c in pieces]
        # batched by width; one pipeline call per crop took 5.2–5.5 s of cell reading on
        # a 300 dpi table page against 4.3–4.6 s batched (1 of 172 readings differed)
        res, _ = self._r.text_rec(images)
        texts: list[list[str]] = [[] for _ in crops]
        scores: list[list[float]] = [[] for _ in crops]
        for n, (text, score) in zip(owner, res):
            texts[n].append(str(text))
            scores[n].append(float(score))
        return [("".join(t), min(sc) if sc else 0.0) for t, sc in zip(texts, scores)]

    def orientation(self, gray: np.ndarray) -> tuple[int, float]:
        """RapidOCR's own classifier only tells upright from upside-down lines (and
        is kept off, see above); Tesseract's OSD, which is always installed beside
        it, tells the page's quarter turn."""
        try:
            return engine("tesseract").orientation(gray)
        except EngineUnavailable:
            return 0, 0.0


def _sha256(path: str) -> str | None:
    import hashlib
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    except OSError:
        return None
    return h.hexdigest()


def _dist(name: str) -> str | None:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version(name)
    except PackageNotFoundError:
        return None


_VERSIONS: dict[str, dict[str, str]] = {}


def engine_versions(name: str = "tesseract") -> dict[str, str]:
    """What identifies the engine ``name`` as it would read here, without loading a
    model: for Tesseract its version (the library's when tesserocr is installed,
    else the command's), how it is called, and the SHA-256 of each language file
    it reads (a changed ``chi_sim.traineddata`` reads differently though the
    version is the same); for RapidOCR the wheel's and onnxruntime's versions.
    Absent parts are left out; computed once per process."""
    if name in _VERSIONS:
        return _VERSIONS[name]
    out: dict[str, str] = {}
    if name == "tesseract":
        try:
            import tesserocr
            out["tesseract"] = tesserocr.tesseract_version().split()[1]
            out["tesseract_via"] = f"tesserocr {_dist('tesserocr')}"
        except ImportError:
            try:
                import pytesseract
                out["tesseract"] = str(pytesseract.get_tesseract_version())
                out["tesseract_via"] = f"command (pytesseract {_dist('pytesseract')})"
            except Exception:  # noqa: BLE001 — not installed: nothing to name
                pass
        path = tessdata_dir()
        for lang in LANGS.split("+") + ["osd"]:
            digest = _sha256(os.path.join(path, f"{lang}.traineddata")) if path else None
            if digest:
                out[f"{lang}.traineddata"] = "sha256:" + digest
    elif name == "rapidocr":
        for dist in ("rapidocr_onnxruntime", "onnxruntime"):
            if _dist(dist):
                out[dist] = _dist(dist)
    _VERSIONS[name] = out
    return out


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
