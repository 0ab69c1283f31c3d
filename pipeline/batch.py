"""The unattended batch: take in what is new in an inbox, in parallel, safely.

The recipe:

1. take the batch lock (``pipeline.lock``): one writer per database;
2. find the documents under the inbox and hash them; a document whose content
   hash the database already holds at this pipeline version is unchanged; one
   that failed before is not tried again (``retry_failed`` to try it), except a
   time-out, tried once more with twice its limit;
3. run ``run_job`` on the rest through an executor (worker processes here, or
   Ray tasks), largest files first;
4. write each result from this process alone, one transaction per document
   (``ingest.write_processed``: the same step ``reportdb ingest`` uses, with a
   person's corrections re-applied);
5. publish the readers' copy (``warehouse.snapshot``) at the end, and now and
   then during a long run.

``take_in`` is steps 2–5 for any list of inputs: ``batch`` gives it an inbox,
``pipeline.ingest.ingest`` the files it was given (every failure tried again,
one file at a time, results in the order given).

Commit windows. DuckDB lets one process open a database file for writing, and
while it is open no other process can open it at all, read-only included. So
the writer does not keep the file open: it gathers results and opens the file
for a short window (at most once per ``commit_interval`` seconds) to commit
them, then closes it. ``reportdb query`` runs between windows, or waits the
fraction of a second a window lasts. Programs that hold a connection (a
notebook, a BI tool) open the snapshot instead, which the writer replaces by a
rename and never waits for. If something holds the database file itself when a
window is due, the writer keeps the results in memory and tries again on the
next tick; after ``wait`` seconds without a window it stops (``DatabaseBusy``,
exit 3): what was committed stays, the rest is taken in by the next run.

Crash safety. A document is committed whole or not at all (DuckDB replays only
committed transactions from its WAL), and a document counts as done only once
it is committed; so a batch killed at any moment and run again processes what
was not committed yet and nothing twice. A killed run keeps its ``runs`` row
with ``finished_at`` NULL.
"""

from __future__ import annotations

import os
import re
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterator

import duckdb

from ocr.limits import WRITE_WAIT, Limits, timeout_per_file
from warehouse import load as wl
from warehouse.paths import stored_path
from warehouse.query import DatabaseBusy, holder, lock_conflict, unusable
from warehouse.schema import connect
from warehouse.snapshot import is_stale, publish, snapshot_path

from .executors import make_executor
from .ingest import (DEFAULT_DB, FileJob, FileResult, Input, IngestSummary, Processed, Skipped, document_sha,
                     find_inputs, input_sha, record_skipped, write_processed)
from .lock import BatchLock
from .version import PIPELINE_VERSION

MAX_WAITING = 32  # results held in memory before the writer waits for readers
MAX_WINDOW = 0.3  # seconds a commit window goes on taking documents (one at least)
SNAPSHOT_EVERY = 1800.0  # s: during a long run, the readers' copy is refreshed this often at most
SNAPSHOT_SHARE = 20  # ... and never more often than 20 times the last copy took (≤ 5 % of the run)


class BatchError(Exception):
    """The batch cannot run as asked (no inbox): exit 2."""


@dataclass(frozen=True)
class Plan:
    total: int          # documents found
    todo: int           # to process (retries included)
    unchanged: int
    failed_before: int = 0  # failed in an earlier run, not tried again
    retries: int = 0        # failed in an earlier run (timed out), tried again
    skipped: int = 0        # paths not read: pipes, devices, broken links, unreadable folders
    pages: dict[str, int] | None = None  # pages of each document to process (when progress is asked for)


_locked = lock_conflict  # compatibility


class Writer:
    """The one writer: opens the database only for commit windows, and waits at
    most ``wait`` seconds in all for a window while another process holds it."""

    def __init__(self, db: str, on_wait: Callable[[str], None] | None = None, wait: float = WRITE_WAIT,
                 who: str = "the batch"):
        self.db = db
        self.on_wait = on_wait
        self.wait = wait
        self.who = who
        self.windows = 0
        self.window_seconds = 0.0
        self.longest_window = 0.0
        self.blocked_since: float | None = None
        self.holder = "another process"
        self._told = False

    def _tell(self) -> None:
        if not self._told and self.on_wait:
            self.on_wait(f"{self.db} is open in another process ({self.holder}: a notebook or BI tool should "
                         f"open {snapshot_path(self.db)} instead); {self.who} goes on and commits when it is "
                         f"free, waiting {self.wait:g} s at most")
        self._told = True

    def _busy(self) -> DatabaseBusy:
        return DatabaseBusy(f"{self.db}: held open by {self.holder} for {self.wait:g} s; {self.who} "
                            f"cannot commit and stops (a notebook or BI tool should open "
                            f"{snapshot_path(self.db)} instead)")

    def try_open(self, schema: bool = False) -> duckdb.DuckDBPyConnection | None:
        try:
            return connect(self.db) if schema else duckdb.connect(self.db)
        except duckdb.Error as exc:
            if lock_conflict(exc):
                self.holder = holder(exc)
                return None
            raise unusable(self.db, exc) from exc

    @contextmanager
    def window(self, schema: bool = False, block: bool = True) -> Iterator[duckdb.DuckDBPyConnection | None]:
        """The database, open for one commit window. ``block``: wait until no other
        process holds it (else yield None at once when it is held); either way
        ``DatabaseBusy`` once it has been held ``wait`` seconds."""
        con = self.try_open(schema)
        if con is None:
            self.blocked_since = self.blocked_since or time.monotonic()
            self._tell()
            while con is None and block and time.monotonic() - self.blocked_since < self.wait:
                time.sleep(0.1)
                con = self.try_open(schema)
            if con is None:
                if time.monotonic() - self.blocked_since >= self.wait:
                    raise self._busy()
                yield None
                return
        self.blocked_since = None
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
          commit_interval: float = 1.0, wait: float = WRITE_WAIT, snapshot: bool = True,
          snapshot_every: float = SNAPSHOT_EVERY, limits: Limits | None = None,
          on_plan: Callable[[Plan], None] | None = None,
          on_result: Callable[[FileResult], None] | None = None,
          on_wait: Callable[[str], None] | None = None,
          on_progress: Callable[[str, int, int | None], None] | None = None) -> IngestSummary:
    """Take in the new and changed documents under ``inbox``. Raises ``BatchError``
    (no inbox), ``DatabaseBusy`` (``LockHeld`` included: another writer, or a
    process holding the file, past ``wait`` seconds) or ``DatabaseUnusable``."""
    inbox = Path(inbox)
    if not inbox.is_dir():
        raise BatchError(f"{inbox}: no such folder")
    timeout = timeout or timeout_per_file()
    limits = limits or Limits.from_env()
    lock = BatchLock(db).acquire(wait, on_wait)
    try:
        inputs, _, skipped = find_inputs([inbox])
        ex = make_executor(executor, workers, timeout, address, memory_limit)
        return take_in(db, inputs, (), skipped, command="batch", executor=ex, timeout=timeout,
                       retry_failed=retry_failed, wait=wait, snapshot=snapshot,
                       snapshot_every=snapshot_every, commit_interval=commit_interval,
                       largest_first=True, on_plan=on_plan, on_result=on_result, on_wait=on_wait,
                       on_progress=on_progress,
                       job=lambda item, sha: FileJob(item.path, sha, item.parts, engine, limits=limits))
    finally:
        lock.release()


@dataclass(frozen=True)
class Failed:
    """How a document failed before: its last failure, and how often it timed out."""

    stage: str
    error: str
    run: int
    timeouts: int
    last_limit: float | None


_TIMED_OUT = re.compile(r"^timed out after ([0-9.]+) s")


def failed_before(con: duckdb.DuckDBPyConnection) -> dict[str, Failed]:
    """Every failed document's content hash → its last failure (rows of databases
    from before ``failures.sha256`` are matched by path)."""
    rows = con.execute("""
        SELECT d.sha256, f.stage, f.error, coalesce(f.tried_run_id, f.run_id) AS tried,
               sum(CASE WHEN coalesce(f.tried_run_id, f.run_id) = f.run_id AND f.stage = 'worker'
                         AND f.error LIKE 'timed out after %' THEN 1 ELSE 0 END)
                   OVER (PARTITION BY d.sha256) AS timeouts
        FROM documents d
        JOIN failures f ON f.sha256 = d.sha256 OR (f.sha256 IS NULL AND f.source_path = d.source_path)
        WHERE d.status = 'failed' AND d.sha256 IS NOT NULL
        QUALIFY row_number() OVER (PARTITION BY d.sha256 ORDER BY f.run_id DESC, tried DESC) = 1
    """).fetchall()
    out = {}
    for sha, stage, error, tried, timeouts in rows:
        m = _TIMED_OUT.match(error or "")
        out[sha] = Failed(stage or "read", error or "unknown error", tried, int(timeouts or 0),
                          float(m.group(1)) if m else None)
    return out


def take_in(db: str, inputs: list[Input], missing=(), skipped: list[Skipped] = (), *, command: str, executor,
            job: Callable[[Input, str | None], FileJob], timeout: float | None = None,
            retry_failed: bool = False, ordered: bool = False, largest_first: bool = False,
            wait: float = WRITE_WAIT, snapshot: bool = True, snapshot_every: float = 0.0,
            commit_interval: float = 1.0,
            on_plan: Callable[[Plan], None] | None = None,
            on_result: Callable[[FileResult], None] | None = None,
            on_wait: Callable[[str], None] | None = None,
            on_progress: Callable[[str, int, int | None], None] | None = None) -> IngestSummary:
    """Decide what to process, process it with ``executor``, commit the results in
    windows and publish the snapshot. The caller holds the batch lock.
    ``on_progress``: the plan counts each document's pages (``Plan.pages``), and
    the executor tells (path, pages read, OCR pages in all) as a file starts and
    after each OCR page (``pipeline.progress``)."""
    who = "the batch" if command == "batch" else command
    timeout = timeout or getattr(executor, "timeout", None)
    writer = Writer(db, on_wait, wait, who)
    stale = snapshot and command == "batch" and is_stale(db)  # a batch refreshes a stale copy first
    with writer.window(schema=True) as con:
        known = {sha: (path, status, version) for sha, path, status, version in con.execute(
            "SELECT sha256, source_path, status, pipeline_version FROM documents "
            "WHERE sha256 IS NOT NULL").fetchall()}
        failures = failed_before(con)
        run_id = wl.start_run(con, command)
    summary = IngestSummary(run_id, db)
    if stale:  # the readers' copy is missing or older than the database: they get one now
        _publish(db, summary)

    # ---------------------------------------------------------------- the plan
    slots: list[FileResult | None] = []  # results in input order (missing files first)
    index: dict[str, int] = {}
    carried: list[tuple[FileResult, Failed, str]] = []
    for path in missing:
        slots.append(FileResult(path, "failed", status="failed", stage="read", error="no such file or directory"))
    for sk in skipped:  # pipes, devices, broken links, unreadable folders: named, recorded, never read
        slots.append(FileResult(sk.path, "failed", status="failed", stage="read", error=sk.reason))
    jobs: list[FileJob] = []
    first_path: dict[str, str] = {}
    retries = 0
    for item in inputs:
        sha = _hash(item.parts, item.path)
        k = known.get(sha) if sha else None
        slot = len(slots)
        slots.append(None)
        if sha and sha in first_path:
            slots[slot] = FileResult(item.path, "unchanged", sha[:16], note=f"same content as {first_path[sha]}")
            continue
        if sha:
            first_path[sha] = item.path
        limit = None
        if k and k[2] == PIPELINE_VERSION:
            if k[1] != "failed":
                note = None if k[0] == stored_path(item.path) else f"same content as {k[0]}"
                slots[slot] = FileResult(item.path, "unchanged", sha[:16], k[1], note=note)
                continue
            f = failures.get(sha) or Failed("read", "failed before", 0, 0, None)
            again = f.last_limit is not None and f.timeouts <= 1
            if f.last_limit is not None and timeout:
                limit = max(timeout, 2 * f.last_limit)  # a time-out is tried with twice its limit
            if not (retry_failed or again):
                res = FileResult(item.path, "failed_before", sha[:16], "failed", stage=f.stage,
                                 error=f.error, note=_why_not(f))
                slots[slot] = res
                carried.append((res, f, sha))
                continue
            if not retry_failed:
                retries += 1
        fj = job(item, sha)
        if limit:
            fj = replace(fj, timeout=limit)
        index[item.path] = slot
        jobs.append(fj)
    if largest_first:
        jobs.sort(key=lambda j: -_size(j.parts, j.path))  # the long ones first: a short tail
    notes = {j.path: (f"timed out before; tried again with {j.timeout:g} s" if j.timeout else None)
             for j in jobs}
    n_unchanged = sum(1 for r in slots if r is not None and r.outcome == "unchanged")
    pages = None
    if on_progress is not None:
        from .progress import pages_of
        pages = dict(zip([j.path for j in jobs],
                         pages_of([(j.path, j.parts, j.limits.max_pages) for j in jobs])))
        if hasattr(executor, "on_progress"):
            executor.on_progress = lambda j, read, of: on_progress(j.path, read, of)
    if on_plan:
        on_plan(Plan(len(inputs), len(jobs), n_unchanged, len(carried), retries, len(skipped), pages))

    shown = 0

    def emit(res: FileResult) -> None:
        summary.results.append(res)
        if on_result:
            on_result(res)

    def show_ready() -> None:
        nonlocal shown
        while shown < len(slots) and slots[shown] is not None:
            emit(slots[shown])
            shown += 1

    if not ordered:  # what needed no reading is reported first
        for r in slots:
            if r is not None:
                emit(r)
        shown = len(slots)

    # -------------------------------------------------- failures known at once
    if missing or carried or skipped:
        with writer.window() as con:
            for path in missing:
                wl.add_failure(con, run_id, path, "read", "no such file or directory")
            for sk in skipped:
                record_skipped(con, run_id, sk)
            for res, f, sha in carried:  # the run lists every file still without a document
                wl.add_failure(con, run_id, res.path, f.stage, f.error, sha, f.run)
    show_ready()

    # ------------------------------------------------------ work and windows
    pending: list[Processed] = []
    last = time.monotonic()
    published_at = time.monotonic()
    dirty = False
    committed = 0

    def written(res: FileResult) -> None:
        if notes.get(res.path):
            res.note = "; ".join(x for x in (notes[res.path], res.note) if x)
        if ordered:
            slots[index[res.path]] = res
            show_ready()
        else:
            emit(res)

    def flush(block: bool) -> None:
        nonlocal last, dirty, committed
        with writer.window(block=block) as con:
            if con is None:  # held by another process: tried again at the next tick
                return
            t0 = time.monotonic()
            while pending and (block or time.monotonic() - t0 < MAX_WINDOW):
                written(write_processed(con, run_id, pending[0], timeout))
                pending.pop(0)
                committed += 1
                dirty = True
        last = time.monotonic()

    gen = executor.run(jobs)
    try:
        for item in gen:
            if item is not None:
                pending.append(item[1])
            # a window at most once per commit_interval: readers get the file in between
            # (while another process holds the file, every tick tries again, and gives up
            # once it has been held ``wait`` seconds)
            if pending and (time.monotonic() - last >= commit_interval or len(pending) >= MAX_WAITING):
                flush(block=len(pending) >= MAX_WAITING)
            if (snapshot and snapshot_every and dirty and not pending
                    and time.monotonic() - published_at >= max(snapshot_every,
                                                               SNAPSHOT_SHARE * summary.snapshot_seconds)):
                _publish(db, summary)
                published_at, dirty = time.monotonic(), False
        flush(block=True)
        with writer.window() as con:
            wl.finish_run(con, run_id, len(inputs) + len(missing) + len(skipped), summary.count("loaded"),
                          summary.count("failed"), summary.count("unchanged"), summary.count("failed_before"))
    except DatabaseBusy as exc:
        left = len(jobs) - committed
        raise DatabaseBusy(f"{exc}; {committed} documents of this run were committed, "
                           f"{left} are taken in by the next run") from None
    except duckdb.Error as exc:
        raise unusable(db, exc) from exc
    finally:
        gen.close()  # stops the workers, whatever happened
    summary.windows = (writer.windows, writer.window_seconds, writer.longest_window)
    if snapshot:
        _publish(db, summary)
    return summary


def _why_not(f: Failed) -> str:
    """Why a file that failed before is not tried again, and how to make it."""
    run = f"run {f.run}; " if f.run else ""
    if f.last_limit is not None:
        return f"{run}timed out twice: --retry-failed with a larger --timeout-per-file tries it again"
    return f"{run}the same bytes fail the same way: --retry-failed tries it again"


def _publish(db: str, summary: IngestSummary) -> None:
    """The readers' copy, now; a failure to publish is said, not fatal (readers
    keep the previous copy)."""
    try:
        done = publish(db)
    except (OSError, duckdb.Error) as exc:
        summary.snapshot_error = f"snapshot not published: {str(exc).splitlines()[0]}"
        return
    summary.snapshot, summary.snapshot_error, summary.snapshot_seconds = done.path, None, done.seconds
