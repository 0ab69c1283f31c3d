"""The readers' copy of the database: ``archive.snapshot.duckdb`` beside ``archive.duckdb``.

DuckDB lets one process open a database file for writing, and while it is open
no other process may open it, not even read-only; and while any process holds
it read-only, nobody may open it for writing. A notebook or a BI tool that keeps
a connection to the writer's file therefore either fails (when it lands in a
commit window) or stops the writer (while it stays open). So programs that hold
connections open the snapshot instead: a copy the writer publishes after each
run (and now and then during a long one), written beside the database under a
temporary name, flushed to disk, and renamed over the previous snapshot. A
reader that has the old snapshot open keeps reading the old file (the rename
does not touch an open file), the next connection sees the new one, and the
writer never waits for any of them.

Only a process holding the batch lock (``pipeline.lock``) publishes, with its
own connection closed: nothing writes the database while it is copied.
"""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

FICLONE = 0x40049409  # Linux: share the blocks (btrfs, XFS): a copy in milliseconds


@dataclass(frozen=True)
class Published:
    path: str
    seconds: float
    size: int


def snapshot_path(db: str | os.PathLike) -> Path:
    """``archive.duckdb`` → ``archive.snapshot.duckdb`` (``x.db`` → ``x.snapshot.db``)."""
    p = Path(db)
    if p.suffix:
        return p.with_name(f"{p.stem}.snapshot{p.suffix}")
    return p.with_name(f"{p.name}.snapshot")


def is_stale(db: str | os.PathLike) -> bool:
    """No snapshot yet, or the database was written after it was taken."""
    snap = snapshot_path(db)
    try:
        return not snap.exists() or Path(db).stat().st_mtime > snap.stat().st_mtime
    except OSError:
        return True


_NO_CLONE = (errno.EOPNOTSUPP, errno.EXDEV, errno.EINVAL, errno.ENOTTY, errno.EBADF, errno.ENOSYS, errno.EPERM)


def _copy(src: Path, dst: Path) -> None:
    """``src`` to a new file ``dst``, on disk when this returns: shared blocks where
    the file system can (FICLONE), else a copy in the kernel (sendfile)."""
    with open(src, "rb") as fin, open(dst, "xb") as fout:
        try:
            fcntl.ioctl(fout.fileno(), FICLONE, fin.fileno())
        except OSError as exc:
            if exc.errno not in _NO_CLONE:
                raise
            try:
                _sendfile(fin.fileno(), fout.fileno())
            except OSError:  # no sendfile between these files: through Python's buffers
                fin.seek(0)
                fout.seek(0)
                fout.truncate()
                shutil.copyfileobj(fin, fout, 8 << 20)
        fout.flush()
        os.fsync(fout.fileno())


def _sendfile(fin: int, fout: int) -> None:
    size = os.fstat(fin).st_size
    offset = 0
    while offset < size:
        sent = os.sendfile(fout, fin, offset, min(size - offset, 1 << 30))
        if sent == 0:
            break
        offset += sent


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def publish(db: str | os.PathLike) -> Published:
    """Copy ``db`` to its snapshot and swap it in whole. The caller holds the
    batch lock and has its own connection closed; a WAL left beside the
    database (a writer killed before it checkpointed) is checkpointed first, so
    the copy holds every committed document."""
    t0 = time.monotonic()
    src, dst = Path(db), snapshot_path(db)
    wal = Path(f"{db}.wal")
    if wal.exists() and wal.stat().st_size:
        con = duckdb.connect(str(src))
        try:
            con.execute("CHECKPOINT")
        finally:
            con.close()
    for stale in dst.parent.glob(f".{dst.name}.tmp-*"):  # left by a publisher that was killed
        stale.unlink(missing_ok=True)
    tmp = dst.with_name(f".{dst.name}.tmp-{os.getpid()}")
    try:
        _copy(src, tmp)
        Path(f"{dst}.wal").unlink(missing_ok=True)  # a WAL of the old copy must not meet the new one
        os.replace(tmp, dst)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(dst.parent)
    return Published(str(dst), time.monotonic() - t0, dst.stat().st_size)
