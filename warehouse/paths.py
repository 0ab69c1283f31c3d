"""File names as the database keeps them.

A file name on Linux is bytes. Python hands a name that is not valid UTF-8 (a
GBK-encoded Chinese name copied from Windows, say) as a ``str`` holding lone
surrogates (``os.fsdecode``'s ``surrogateescape``), which no UTF-8 column can
hold: DuckDB refuses the whole statement. So ``documents.source_path`` and
``failures.source_path`` keep a printable form: a valid UTF-8 name as it is,
and each byte that is not part of valid UTF-8 as ``\\xNN``
(``报告.txt`` in GBK is stored as ``\\xb1\\xa8\\xb8\\xe6.txt``). ``os_path`` turns
the stored form back into the name the file system knows.
"""

from __future__ import annotations

import os
import re


def stored_path(path: str | os.PathLike | bytes) -> str:
    """``path`` as valid text: bytes that are not UTF-8 written ``\\xNN``."""
    if isinstance(path, bytes):
        raw = path
    else:
        text = os.fspath(path)
        if isinstance(text, bytes):
            raw = text
        else:
            try:
                text.encode("utf-8")
                return text  # the common case: nothing to escape
            except UnicodeEncodeError:
                raw = text.encode("utf-8", "surrogateescape") if _escaped_only(text) \
                    else text.encode("utf-8", "surrogatepass")
    return raw.decode("utf-8", "backslashreplace")


def stored_text(text: str | None) -> str | None:
    """Any text bound for the database (an error message naming a file, say)
    with the same escaping."""
    return None if text is None else stored_path(text)


def _escaped_only(text: str) -> bool:
    return all(not 0xD800 <= ord(c) <= 0xDFFF or 0xDC80 <= ord(c) <= 0xDCFF for c in text)


_BYTE = re.compile(rb"\\x([89a-f][0-9a-f])")


def os_path(stored: str) -> str:
    """The file system's name for a stored path (``\\xNN`` back to its byte)."""
    if "\\x" not in stored:
        return stored
    raw = _BYTE.sub(lambda m: bytes([int(m[1], 16)]), stored.encode("utf-8"))
    return os.fsdecode(raw)
