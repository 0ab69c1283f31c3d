"""Which program read a document: reportdb's version (stored with every document;
a new version re-processes) and the versions of the engines and libraries under it.

The same bytes read by another Tesseract, another language file or another OpenCV
can give other values, so each document records what read it (``documents.engines``),
and ``reportdb --version`` prints the same for the whole installation.
"""

from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version

try:
    PIPELINE_VERSION = version("reportdb")
except PackageNotFoundError:  # running from a source tree that is not installed
    PIPELINE_VERSION = "0+unknown"

# the libraries behind each way a page is read (ocr.model.Page.source)
_READERS = {
    "ocr": ("opencv-python-headless", "numpy", "Pillow"),
    "text_layer": ("pdfplumber", "pdfminer.six", "pypdfium2"),
    "html": ("beautifulsoup4", "lxml"),
    "docx": ("python-docx", "lxml"),
}


def dist_version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def reading_versions(sources: set[str], engine: str = "tesseract") -> dict[str, str]:
    """The versions of what read one document, given how its pages were read
    (``text``, ``text_layer``, ``ocr``, ``html``, ``docx``): reportdb always, the OCR
    engine with its language files when a page or a pasted table image was OCR'd,
    and each reader's libraries."""
    from ocr.engines import engine_versions

    out = {"reportdb": PIPELINE_VERSION}
    if "ocr" in sources:
        out["ocr_engine"] = engine
        out.update(engine_versions(engine))
    for s in sorted(sources):
        for dist in _READERS.get(s, ()):
            v = dist_version(dist)
            if v:
                out[dist] = v
    return out


def installation_versions(engine: str = "tesseract") -> dict[str, str]:
    """Everything ``reportdb --version`` reports: reportdb, Python, the OCR engine
    with its language files' checksums, and the libraries that read and store."""
    from ocr.engines import engine_versions

    out = {"reportdb": PIPELINE_VERSION, "python": platform.python_version()}
    out.update(engine_versions(engine))
    for dist in ("opencv-python-headless", "duckdb", "numpy", "Pillow", "pdfplumber", "pdfminer.six",
                 "pypdfium2", "python-docx", "lxml", "beautifulsoup4"):
        v = dist_version(dist)
        if v:
            out[dist] = v
    return out
