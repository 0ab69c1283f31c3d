"""Plain-text dumps (``.txt``): decoding and page marks.

Dumps come in UTF-8 (with or without BOM), GB18030/GBK and UTF-16 (with or
without a byte-order mark: without one, the zero bytes of its ASCII tell the
byte order). A form feed
(``\\f``) marks a page break where the exporter kept one; without any, the whole
text is page 1.
"""

from __future__ import annotations

import re

from .errors import ReadError
from .model import Line, Page

ENCODINGS = ("utf-8-sig", "gb18030", "big5")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f\ufffd\ufeff]")


def _is_text(text: str) -> bool:
    """Decoded bytes that are text: next to no control characters."""
    sample = text[:50_000]
    return bool(sample.strip()) and len(_CONTROL.findall(sample)) <= len(sample) // 1000


def utf16_without_bom(data: bytes) -> str | None:
    """The text of UTF-16 bytes that carry no byte-order mark, or None. A report
    in UTF-16 has ASCII in it (digits, spaces, line ends), each with a zero byte
    on one side: on the odd bytes for little-endian, the even for big-endian.
    Where the zeros do not tell, charset-normalizer is asked; either way the
    result must read as text."""
    head = data[:65536]
    if b"\x00" not in head or len(data) % 2:
        return None
    even, odd = head[0::2].count(0), head[1::2].count(0)
    pairs = len(head) // 2
    guesses = []
    if odd >= pairs // 50 and even <= odd // 20:
        guesses.append("utf-16-le")
    elif even >= pairs // 50 and odd <= even // 20:
        guesses.append("utf-16-be")
    else:
        from charset_normalizer import from_bytes
        best = from_bytes(head).best()
        enc = (best.encoding if best else "").replace("_", "-")
        if enc in ("utf-16-le", "utf-16-be"):
            guesses.append(enc)
    for enc in guesses:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if _is_text(text):
            return text
    return None


def decode(data: bytes, name: str) -> str:
    """Bytes to text, trying the encodings Chinese government sites use."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise ReadError(f"broken UTF-16 text ({exc.reason})") from exc
    if b"\x00" in data[:4096]:
        text = utf16_without_bom(data)
        if text is None:
            raise ReadError("binary data, not text")
        return text
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
