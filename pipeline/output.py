"""Query results as text: JSON that holds every DuckDB type, and plain columns for
a pipe.

DuckDB hands Python values of many types (INTERVAL as ``timedelta``, BLOB as
``bytes``, DECIMAL, UUID, TIME, lists, structs and maps, NaN and infinities), and
``json.dump`` fails on most of them halfway through its output. ``jsonable`` turns
each into what JSON can hold, losing nothing a reader needs: intervals as ISO 8601
durations, BLOBs as base64, DECIMALs as exact strings when a float would round them.
"""

from __future__ import annotations

import base64
import math
import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from rich.cells import cell_len


def iso_duration(td: timedelta) -> str:
    """``timedelta(days=1, seconds=3723.5)`` → ``P1DT1H2M3.5S`` (negative: ``-P…``)."""
    sign = "-" if td < timedelta(0) else ""
    td = abs(td)
    days, rest = td.days, td.seconds + td.microseconds / 1e6
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    out = f"{sign}P{days}D" if days else f"{sign}P"
    clock = ""
    if hours:
        clock += f"{int(hours)}H"
    if minutes:
        clock += f"{int(minutes)}M"
    if seconds or not (days or clock):
        clock += f"{seconds:g}S"
    return out + ("T" + clock if clock else "")


def jsonable(v):
    """One value as JSON can hold it (recursively for lists, structs and maps)."""
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        return v if math.isfinite(v) else str(v)  # NaN / inf are not JSON: "nan", "inf"
    if isinstance(v, Decimal):
        f = float(v)
        return f if Decimal(repr(f)) == v else str(v)
    if isinstance(v, (datetime, date, time)):
        return v.isoformat()
    if isinstance(v, timedelta):
        return iso_duration(v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(v)).decode("ascii")
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, dict):
        return {str(k): jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, set)):
        return [jsonable(x) for x in v]
    return str(v)


def shown(v) -> str:
    """One value in a table for reading: 41 for 41.0, blank for NULL, BLOBs by size."""
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (bytes, bytearray, memoryview)):
        return f"<{len(bytes(v))} bytes>"
    if isinstance(v, timedelta):
        return iso_duration(v)
    return str(v)


def plain_columns(columns: list[str], rows: list[list[str]]) -> str:
    """Aligned columns without borders or wrapping, for a pipe or a file: each line
    one row, however wide (CJK glyphs counted two cells wide)."""
    cells = [[sanitize(c) for c in columns]] + [[sanitize(x) for x in r] for r in rows]
    widths = [max(cell_len(r[i]) for r in cells) for i in range(len(columns))]
    lines = []
    for r in cells:
        parts = [x + " " * (w - cell_len(x)) for x, w in zip(r, widths)]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


_INVISIBLE = {0x2028, 0x2029} | set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A)) | {0x200E, 0x200F, 0x061C}


def sanitize(text: str) -> str:
    """Text from a report or a file name made safe for a terminal: control
    characters (escape sequences among them) shown as ``\\xNN``, the characters
    that reorder or break lines unseen (bidi overrides, U+2028) as ``\\uNNNN``,
    tabs and newlines as spaces; a byte of a file name that is not UTF-8 (a lone
    surrogate from ``os.fsdecode``) as U+FFFD."""
    out = []
    for ch in text:
        o = ord(ch)
        if ch in "\t\n\r":
            out.append(" ")
        elif o < 0x20 or o == 0x7F or 0x80 <= o < 0xA0:
            out.append(f"\\x{o:02x}")
        elif o in _INVISIBLE:
            out.append(f"\\u{o:04x}")
        elif 0xD800 <= o <= 0xDFFF:
            out.append("\ufffd")
        else:
            out.append(ch)
    return "".join(out)


def shown_name(path) -> str:
    """A file name (or a line holding one) for the terminal: bytes that are not
    UTF-8 as U+FFFD, control characters escaped (``sanitize``)."""
    return sanitize(str(path) if not isinstance(path, bytes) else path.decode("utf-8", "replace"))
