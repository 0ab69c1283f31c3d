"""Entry point of the reading stage: sniff what a file really is, then read it.

The type comes from the file's first bytes, not its extension, so a ``.pdf`` that
is really HTML (or a renamed image) is read as what it is or refused clearly.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from .errors import ReadError
from .model import Source
from .text import read_text_pages

TEXT_SUFFIXES = {".txt", ".text"}
PDF_SUFFIXES = {".pdf"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | PDF_SUFFIXES


def sniff(data: bytes, suffix: str) -> str:
    """The media type of ``data`` from its magic bytes (suffix only for text)."""
    if data.startswith(b"%PDF") or b"%PDF-" in data[:1024]:
        return "application/pdf"
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return "image/tiff"
    if data.startswith(b"PK\x03\x04"):
        return "application/zip"
    head = data[:2048].lower()
    if b"<html" in head or b"<!doctype html" in head:
        return "text/html"
    if suffix in TEXT_SUFFIXES or suffix == "":
        return "text/plain"
    return "application/octet-stream"


def read_source(path: str | Path) -> Source:
    """Read one file into pages. Raises ``ReadError`` with a one-line reason."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except IsADirectoryError as exc:
        raise ReadError("is a directory") from exc
    except PermissionError as exc:
        raise ReadError("permission denied") from exc
    except OSError as exc:
        raise ReadError(f"cannot read file ({exc.strerror or exc})") from exc
    if not data:
        raise ReadError("empty file (0 bytes)")
    sha = hashlib.sha256(data).hexdigest()
    media = sniff(data, p.suffix.lower())
    if media == "text/plain":
        pages = read_text_pages(data, p.name)
    elif media == "application/pdf":
        from .pdf import read_pdf_pages  # pdfplumber is imported only when a PDF comes
        pages = read_pdf_pages(data)
    else:
        raise ReadError(f"unsupported file type ({media}, extension {p.suffix or 'none'})")
    return Source(path=str(p), sha256=sha, media_type=media, pages=pages)
