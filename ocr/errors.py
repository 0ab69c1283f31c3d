"""Failures of the reading stage. Each carries a one-line reason for the user and
the failures table; the pipeline turns them into a recorded status, never a crash."""

from __future__ import annotations

import stat


class ReadError(Exception):
    """The file could not be read as a report source (empty, unreadable, wrong type…)."""

    stage = "read"

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


_KINDS = ((stat.S_ISFIFO, "a pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def not_regular(mode: int) -> str:
    """Why a file of this mode is not read ('' for a regular file): a pipe would
    block the reader until someone writes to it, a device never ends."""
    if stat.S_ISREG(mode):
        return ""
    kind = next((name for test, name in _KINDS if test(mode)), "a special file")
    return f"not a regular file but {kind}: only regular files are read"
