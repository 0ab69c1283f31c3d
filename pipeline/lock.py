"""One batch per database: an advisory lock on ``<db>.lock``.

``fcntl.flock`` is held by the open file description, so the kernel releases it
when the holder exits for any reason, kill -9 included: a stale lock file never
blocks the next run. The file keeps the holder's pid and start time so that a
second batch can say who is running instead of just failing.
"""

from __future__ import annotations

import fcntl
import os
import time
from datetime import datetime, timezone
from typing import Callable

from warehouse.query import DatabaseBusy


class LockHeld(DatabaseBusy):
    """Another batch (or ingest, or correction) holds the database past the wait: exit 3."""


class BatchLock:
    def __init__(self, db: str):
        self.path = f"{db}.lock"
        self._fd: int | None = None

    def acquire(self, wait: float = 0.0, on_wait: Callable[[str], None] | None = None) -> "BatchLock":
        """Take the lock, waiting up to ``wait`` seconds for its holder (telling
        ``on_wait`` once who holds it); ``LockHeld`` after that."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + wait
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                holder = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
                if time.monotonic() >= deadline:
                    os.close(fd)
                    waited = f" (waited {wait:g} s)" if wait else ""
                    raise LockHeld(f"{self.path} is held by {holder}: another batch is running on this "
                                   f"database{waited}; this one exits") from None
                if not told and on_wait is not None:
                    on_wait(f"{self.path} is held by {holder}: another batch is running on this "
                            f"database; waiting up to {wait:g} s")
                    told = True
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        started = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        os.pwrite(fd, f"pid {os.getpid()} since {started}\n".encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> "BatchLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()
