"""Plain-text dumps (``.txt``): decoding and page marks.

Dumps come in UTF-8 (with or without BOM), GB18030/GBK and UTF-16. A form feed
(``\\f``) marks a page break where the exporter kept one; without any, the whole
text is page 1.
"""

from __future__ import annotations

from .errors import ReadError
from .model import Line, Page

ENCODINGS = ("utf-8-sig", "gb18030", "big5")


def decode(data: bytes, name: str) -> str:
    """Bytes to text, trying the encodings Chinese government sites use."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ReadError(f"broken UTF-16 text ({exc.reason})") from exc
    if b"\x00" in data[:4096]:
        raise ReadError("binary data, not text")
    for enc in ENCODINGS:
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise ReadError("text in an unknown encoding (not UTF-8, GB18030 or Big5)")


def read_text_pages(data: bytes, name: str) -> list[Page]:
    text = decode(data, name).replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise ReadError("no text in the file")
    chunks = text.split("\f")
    return [Page(number=i + 1, lines=[Line(t) for t in chunk.split("\n")], source="text")
            for i, chunk in enumerate(chunks)]
