"""The unattended batch: take in what is new in an inbox, in parallel, safely.

The recipe:

1. take the batch lock (``pipeline.lock``): one batch per database;
2. find the documents under the inbox and hash them; a document whose content
   hash the database already holds at this pipeline version is unchanged
   (a recorded failure too, unless ``retry_failed``);
3. run ``run_job`` on the rest through an executor (worker processes here, or
   Ray tasks), largest files first;
4. write each result from this process alone, one transaction per document
   (``ingest.write_processed``: the same step ``reportdb ingest`` uses, with a
   person's corrections re-applied).

Commit windows. DuckDB lets one process open a database file for writing, and
while it is open no other process can open it at all, read-only included. So
the writer does not keep the file open: it gathers results and opens the file
for a short window (at most once per ``commit_interval`` seconds) to commit
them, then closes it. A researcher's ``reportdb query`` runs between windows,
or waits the few milliseconds a window lasts. If a reader holds the file when
a window is due, the writer keeps the results in memory and tries again on the
next tick: a reader never breaks the batch, it only delays its commits (and
when too many results wait, the writer waits for the reader, and says so).

Crash safety. A document is committed whole or not at all (DuckDB replays only
committed transactions from its WAL), and a document counts as done only once
it is committed; so a batch killed at any moment and run again processes what
was not committed yet and nothing twice. A killed run keeps its ``runs`` row
with ``finished_at`` NULL.
"""

from __future__ import annotations

import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import duckdb

from warehouse import load as wl
from warehouse.paths import stored_path
from warehouse.schema import connect

from .executors import make_executor
from .ingest import (DEFAULT_DB, FileJob, FileResult, IngestSummary, Processed, document_sha, find_inputs,
                     input_sha, record_skipped, write_processed)
from .lock import BatchLock
from .version import PIPELINE_VERSION

MAX_WAITING = 32  # results held in memory before the writer waits for readers
MAX_WINDOW = 0.3  # seconds a commit window goes on taking documents (one at least)


class BatchError(Exception):
    """The batch itself cannot run (no inbox, database unusable, lock held)."""


@dataclass(frozen=True)
class Plan:
    total: int          # documents found
    todo: int           # to process
    unchanged: int
    skipped: int = 0    # paths not read: pipes, devices, broken links, unreadable folders


def _locked(exc: Exception) -> bool:
    msg = str(exc).lower()
    return "lock" in msg and ("conflicting" in msg or "could not set" in msg)


class Writer:
    """The batch's one writer: opens the database only for commit windows."""

    def __init__(self, db: str, on_wait: Callable[[str], None] | None = None):
        self.db = db
        self.on_wait = on_wait
        self.windows = 0
        self.window_seconds = 0.0
        self.longest_window = 0.0
        self._told = False

    def _tell(self) -> None:
        if not self._told and self.on_wait:
            self.on_wait(f"{self.db} is open in another process (a reader?); the batch goes on "
                         "and commits when it is free")
        self._told = True

    def try_open(self, schema: bool = False) -> duckdb.DuckDBPyConnection | None:
        try:
            return connect(self.db) if schema else duckdb.connect(self.db)
        except duckdb.IOException as exc:
            if _locked(exc):
                return None
            raise

    @contextmanager
    def window(self, schema: bool = False, block: bool = True) -> Iterator[duckdb.DuckDBPyConnection | None]:
        """The database, open for one commit window. ``block``: wait until no
        reader holds it (else yield None at once when it is held)."""
        con = self.try_open(schema)
        while con is None and block:
            self._tell()
            time.sleep(0.1)
            con = self.try_open(schema)
        if con is None:
            self._tell()
            yield None
            return
        self._told = False
        t0 = time.monotonic()
        try:
            yield con
        finally:
            con.close()
            dt = time.monotonic() - t0
            self.windows += 1
            self.window_seconds += dt
            self.longest_window = max(self.longest_window, dt)


def _hash(parts: tuple[str, ...], path: str) -> str | None:
    return input_sha(list(parts)) if parts else document_sha(path)


def _size(parts: tuple[str, ...], path: str) -> int:
    total = 0
    for p in parts or (path,):
        try:
            total += os.stat(p).st_size
        except OSError:
            pass
    return total


def batch(inbox: str | os.PathLike, db: str = DEFAULT_DB, *, workers: int | None = None,
          timeout: float | None = None, executor: str = "local", address: str | None = None,
          retry_failed: bool = False, engine: str = "tesseract", memory_limit: int | None = None,
          commit_interval: float = 1.0,
          on_plan: Callable[[Plan], None] | None = None,
          on_result: Callable[[FileResult], None] | None = None,
          on_wait: Callable[[str], None] | None = None) -> IngestSummary:
    """Take in the new and changed documents under ``inbox``. Raises
    ``BatchError`` (or ``LockHeld``) when the batch itself cannot run."""
    inbox = Path(inbox)
    if not inbox.is_dir():
        raise BatchError(f"{inbox}: no such folder")
    lock = BatchLock(db).acquire()
    try:
        return _run(inbox, db, lock, workers=workers, timeout=timeout, executor=executor,
                    address=address, retry_failed=retry_failed, engine=engine,
                    memory_limit=memory_limit, commit_interval=commit_interval,
                    on_plan=on_plan, on_result=on_result, on_wait=on_wait)
    finally:
        lock.release()


def _run(inbox: Path, db: str, lock: BatchLock, *, workers, timeout, executor, address,
         retry_failed, engine, memory_limit, commit_interval, on_plan, on_result,
         on_wait) -> IngestSummary:
    writer = Writer(db, on_wait)
    try:
        with writer.window(schema=True) as con:
            known = {sha: (path, status, version) for sha, path, status, version in con.execute(
                "SELECT sha256, source_path, status, pipeline_version FROM documents "
                "WHERE sha256 IS NOT NULL").fetchall()}
            run_id = wl.start_run(con)
    except duckdb.Error as exc:
        raise BatchError(f"cannot open {db}: {str(exc).splitlines()[0]}") from exc
    summary = IngestSummary(run_id, db)

    def emit(res: FileResult) -> None:
        summary.results.append(res)
        if on_result:
            on_result(res)

    inputs, _, skipped = find_inputs([inbox])
    jobs: list[FileJob] = []
    unchanged: list[FileResult] = []
    first_path: dict[str, str] = {}
    for item in inputs:
        sha = _hash(item.parts, item.path)
        k = known.get(sha) if sha else None
        if sha and sha in first_path:
            unchanged.append(FileResult(item.path, "unchanged", sha[:16],
                                        note=f"same content as {first_path[sha]}"))
            continue
        if sha:
            first_path[sha] = item.path
        if k and k[2] == PIPELINE_VERSION and (k[1] != "failed" or not retry_failed):
            note = None if k[0] == stored_path(item.path) else f"same content as {k[0]}"
            if k[1] == "failed":
                note = "failed before; --retry-failed to try again"
            unchanged.append(FileResult(item.path, "unchanged", sha[:16], k[1], note=note))
            continue
        jobs.append(FileJob(item.path, sha, item.parts, engine))
    jobs.sort(key=lambda j: -_size(j.parts, j.path))  # the long ones first: a short tail
    if on_plan:
        on_plan(Plan(len(inputs), len(jobs), len(unchanged), len(skipped)))
    if skipped:  # pipes, devices, broken links, unreadable folders: named, recorded, never read
        with writer.window() as con:
            for s in skipped:
                emit(record_skipped(con, run_id, s))
    for res in unchanged:
        emit(res)

    pending: list[Processed] = []
    last = time.monotonic()

    def flush(block: bool) -> None:
        nonlocal last
        with writer.window(block=block) as con:
            if con is None:
                return
            t0 = time.monotonic()
            while pending and (block or time.monotonic() - t0 < MAX_WINDOW):
                emit(write_processed(con, run_id, pending[0], timeout))
                pending.pop(0)
        last = time.monotonic()

    try:
        for item in make_executor(executor, workers, timeout, address, memory_limit).run(jobs):
            if item is not None:
                pending.append(item[1])
            # a window at most once per commit_interval: readers get the file in between
            if pending and (time.monotonic() - last >= commit_interval or len(pending) >= MAX_WAITING):
                flush(block=len(pending) >= MAX_WAITING)
        flush(block=True)
    except duckdb.Error as exc:
        raise BatchError(f"cannot write {db}: {str(exc).splitlines()[0]}") from exc
    with writer.window() as con:
        good = sum(1 for r in summary.results if r.outcome != "failed" and r.status != "failed")
        wl.finish_run(con, run_id, len(inputs) + len(skipped), good, summary.count("failed"))
    summary.windows = (writer.windows, writer.window_seconds, writer.longest_window)  # type: ignore[attr-defined]
    return summary
