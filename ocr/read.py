"""Entry point of the reading stage: sniff what a file really is, then read it.

The type comes from the file's first bytes, not its extension, so a ``.pdf`` that
is really HTML (or a renamed image) is read as what it is or refused clearly —
and a ``.doc`` that a site saved as HTML is read as a web page. A zip is a Word
document when it holds ``word/document.xml``; an OLE file (``.doc``, Kingsoft
``.wps``) and RTF are converted to ``.docx`` by LibreOffice (``ocr.office``).
Text dumps and text layers are read directly; image pages (scans, photos, the
image-only pages of a PDF) go through OCR, one ``PageJob`` per page, mapped
with whatever ``OcrOptions.map`` is given (the built-in ``map``, or a process
pool's so both cores read pages at once).
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from .errors import ReadError, not_regular
from .html import HTML_SUFFIXES  # standard library only at import: bs4 comes with the first page
from .images import IMAGE_SUFFIXES, PageRef, count_frames
from .limits import Limits
from .model import Page, Source
from .text import read_text_pages

TEXT_SUFFIXES = {".txt", ".text"}
PDF_SUFFIXES = {".pdf"}
WORD_SUFFIXES = {".docx", ".doc", ".wps"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | PDF_SUFFIXES | IMAGE_SUFFIXES | HTML_SUFFIXES | WORD_SUFFIXES

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
CONVERTED = {"application/msword": ".doc", "application/wps-office.wps": ".wps",  # via LibreOffice
             "application/rtf": ".rtf"}


@dataclass(frozen=True)
class OcrOptions:
    """How image pages are read. ``map`` runs the page jobs (``map(fn, jobs)``)."""

    engine: str = "tesseract"
    enabled: bool = True
    keep_images: bool = False
    image_width: int | None = None  # kept images at most this wide (None: as cleaned)
    map: Callable[[Callable, Iterable], Iterable] = map
    limits: Limits = Limits()  # pages, pixels, sizes, depth (ocr.limits)


def sniff(data: bytes, suffix: str) -> str:
    """The media type of ``data`` from its magic bytes; the suffix only tells text
    from unknown bytes, a Kingsoft ``.wps`` from a Word ``.doc`` (both OLE), and
    lets an HTML fragment without ``<html>`` be read as a page."""
    if data.startswith(b"%PDF") or b"%PDF-" in data[:1024]:
        return "application/pdf"
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return "image/tiff"
    if data.startswith(b"PK\x03\x04"):
        from .docx import is_docx
        return DOCX if is_docx(data) else "application/zip"
    if data.startswith(OLE_MAGIC):  # Word 97–2003 and Kingsoft WPS are both OLE compound files
        if suffix == ".wps":
            return "application/wps-office.wps"
        return "application/msword" if suffix in (".doc", ".dot", "") else "application/x-ole-storage"
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{\\rtf"):
        return "application/rtf"
    head = data[:2048].lower()
    if b"<html" in head or b"<!doctype html" in head:
        return "text/html"
    if suffix in HTML_SUFFIXES and (b"<body" in data[:65536].lower() or b"<table" in head or b"<p" in head):
        return "text/html"  # a fragment saved without <html>
    if suffix in TEXT_SUFFIXES or suffix == "":
        return "text/plain"
    return "application/octet-stream"


def _bytes(p: Path) -> bytes:
    try:
        data = read_regular(p)
    except IsADirectoryError as exc:
        raise ReadError("is a directory") from exc
    except PermissionError as exc:
        raise ReadError("permission denied") from exc
    except OSError as exc:
        raise ReadError(f"cannot read file ({exc.strerror or exc})") from exc
    if not data:
        raise ReadError("empty file (0 bytes)")
    return data


def read_regular(p: Path) -> bytes:
    """The bytes of a regular file; a pipe, a device or a socket is refused
    (``ReadError``) instead of read: opened without waiting, then checked."""
    fd = os.open(p, os.O_RDONLY | os.O_NONBLOCK)
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(21, "Is a directory", str(p))
        if not stat.S_ISREG(mode):
            raise ReadError(not_regular(mode))
        with os.fdopen(fd, "rb", closefd=False) as fh:
            return fh.read()
    finally:
        os.close(fd)


def ocr_pages(refs: list[tuple[int, PageRef]], options: OcrOptions) -> tuple[list[Page], dict, dict, dict]:
    """Run the OCR page jobs; pages, kept images, summed timings, seconds per page."""
    from .scan import PageJob, ocr_page

    jobs = [PageJob(ref, number, options.engine, options.keep_images, options.image_width,
                    options.limits.max_page_pixels) for number, ref in refs]
    pages, images, timings, per_page = [], {}, {}, {}
    for res in options.map(ocr_page, jobs):
        pages.append(res.page)
        if res.image is not None:
            images[res.page.number] = (res.image, res.dpi)
        for k, v in res.timings.items():
            timings[k] = round(timings.get(k, 0.0) + v, 4)
        per_page[res.page.number] = round(sum(res.timings.values()), 4)
    return pages, images, timings, per_page


def read_source(path: str | Path, parts: list[Path] | None = None,
                ocr: OcrOptions | None = None) -> Source:
    """Read one document into pages. ``parts``: the page images of a page set
    (``path`` then names the set). Raises ``ReadError`` with a one-line reason."""
    ocr = ocr or OcrOptions()
    limits = ocr.limits
    p = Path(path)
    files = [Path(x) for x in parts] if parts else [p]
    if len(files) > limits.max_pages:
        raise ReadError(too_many_pages(len(files), limits, "page images in the set"))
    blobs = []
    for f in files:
        try:
            blobs.append(_bytes(f))
        except ReadError as exc:
            if parts:
                raise ReadError(f"{f.name}: {exc.reason}") from exc
            raise
    if not parts and p.suffix.lower() in HTML_SUFFIXES:
        from .html import page_sha256
        sha = page_sha256(p, blobs[0])  # the page and the images saved beside it
    else:
        sha = hashlib.sha256(blobs[0]).hexdigest() if len(blobs) == 1 else hashlib.sha256(
            b"".join(hashlib.sha256(b).digest() for b in blobs)).hexdigest()
    media = sniff(blobs[0], files[0].suffix.lower())
    images, timings, per_page = {}, {}, {}
    if parts:
        kinds = {sniff(b, f.suffix.lower()) for b, f in zip(blobs, files)}
        if not all(k.startswith("image/") for k in kinds):
            raise ReadError("page set holds a file that is not an image")
        refs = [(i, PageRef(str(f), 0, "image")) for i, f in enumerate(files, start=1)]
        pages, images, timings, per_page = _ocr_or_fail(refs, ocr)
    elif media == "text/plain":
        _text_size(blobs[0], limits, "text file")
        pages = read_text_pages(blobs[0], p.name)
        if len(pages) > limits.max_pages:
            raise ReadError(too_many_pages(len(pages), limits, "pages (form feeds)"))
    elif media == "application/pdf":
        from .pdf import read_pdf_pages  # pdfplumber is imported only when a PDF comes
        pages = read_pdf_pages(blobs[0], limits)
        need = [(pg.number, PageRef(str(p), pg.number - 1, "pdf")) for pg in pages if pg.source == "needs_ocr"]
        if need and ocr.enabled:
            done, images, timings, per_page = ocr_pages(need, ocr)
            by_number = {pg.number: pg for pg in done}
            pages = [by_number.get(pg.number, pg) for pg in pages]
    elif media == "text/html":
        from .html import read_html_pages
        _text_size(blobs[0], limits, "web page")
        pages, timings = read_html_pages(blobs[0], p, ocr)
    elif media == DOCX:
        from .docx import read_docx_pages
        pages = read_docx_pages(blobs[0])
    elif media in CONVERTED:
        from .docx import read_docx_pages
        from .office import convert_to_docx
        pages = read_docx_pages(convert_to_docx(blobs[0], CONVERTED[media]))
    elif p.suffix.lower() == ".docx":
        from .docx import docx_problem
        raise ReadError(f"broken Word document (.docx): {docx_problem(blobs[0])}")
    elif media.startswith("image/"):
        n = count_frames(str(p), limits.max_pages + 1) if media == "image/tiff" else 1
        if n > limits.max_pages:
            raise ReadError(too_many_pages(n, limits, "frames", at_least=True))
        refs = [(i + 1, PageRef(str(p), i, "image")) for i in range(n)]
        pages, images, timings, per_page = _ocr_or_fail(refs, ocr)
    else:
        raise ReadError(f"unsupported file type ({media}, extension {p.suffix or 'none'})")
    return Source(path=str(p), sha256=sha, media_type=media, pages=pages, images=images, timings=timings,
                  page_seconds=per_page)


def too_many_pages(n: int, limits: Limits, what: str = "pages", at_least: bool = False) -> str:
    count = f"more than {limits.max_pages}" if at_least else str(n)
    return (f"too many pages ({count} {what}; the limit is {limits.max_pages} a document, "
            "REPORTDB_MAX_PAGES or --max-pages)")


def _text_size(data: bytes, limits: Limits, what: str) -> None:
    if len(data) > limits.max_text_bytes:
        raise ReadError(f"{what} too large ({len(data) / (1 << 20):.0f} MB; the limit is "
                        f"{limits.max_text_mb:g} MB, REPORTDB_MAX_TEXT_MB)")


def _ocr_or_fail(refs, ocr: OcrOptions):
    if not ocr.enabled:
        raise ReadError("an image needs OCR, which is switched off")
    return ocr_pages(refs, ocr)
