"""Where the per-file work runs: worker processes on this machine, or Ray tasks.

Both executors take ``FileJob``s and hand back ``(job, Processed)`` pairs as
they complete; neither touches the database (the batch's one writer does).
Each also yields ``None`` now and then while nothing completes, so the driver
can retry a commit window or refresh its progress bar.

* ``LocalExecutor``: long-lived worker processes (spawned, not forked: the
  parent holds DuckDB handles). Each worker runs in its own process group with
  an address-space limit, so a file that runs past its time limit is killed
  with everything it started (Tesseract too), and a file that would take the
  machine's memory fails alone with "out of memory". A replacement worker is
  started in its place, and after a file that ran out of memory or hit an
  internal error too: what that file left in the worker's heap must not cost
  the next file. ``reportdb ingest`` and ``reportdb batch`` both read every
  file this way (ingest one file at a time, its OCR pages on every core).
* ``RayExecutor``: the same ``run_job`` as Ray tasks (one CPU each) on a local
  Ray or an existing cluster (``address``); a task past its time limit is
  cancelled by force.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import resource
import signal
import time
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import wait as wait_conns
from typing import Callable, Iterable, Iterator

from ocr.limits import default_memory_limit

from .ingest import FileJob, Processed, _LazyPool, process

TICK = 0.5  # seconds between ``None`` yields while waiting
MAX_FAILED_STARTS = 3  # workers dying one after another while loading: the batch cannot run


# where a worker process tells its parent how far it has read (a pipe's send), or None
_REPORT: Callable | None = None
PROGRESS = "progress"  # a message (PROGRESS, pages read, pages to read) before the result


def counted(page_map: Callable) -> Callable:
    """``page_map`` that tells the parent after each OCR page (``_REPORT``): the
    one place a worker knows a page is done, since the readers hand every page of
    a document to one map."""
    if _REPORT is None:
        return page_map

    def run(fn, items):
        items = list(items)
        for i, res in enumerate(page_map(fn, items), 1):
            try:
                _REPORT((PROGRESS, i, len(items)))
            except (OSError, ValueError):  # the parent is gone: the result will not be read either
                pass
            yield res
    return run


def run_job(job: FileJob, page_workers: int = 1) -> Processed:
    """The per-file work, wherever it runs: read and extract one document.
    ``page_workers`` > 1 spreads its OCR pages over that many processes; with
    one, the pages are read here (a batch worker is already a process of its
    own, whose crash the batch records). In a local worker each OCR page read
    is told to the parent as it completes (``counted``)."""
    pool = _LazyPool(page_workers) if page_workers > 1 else None
    t0 = time.monotonic()
    try:
        res = process(job, counted(pool.imap if pool else map))
        res.seconds = time.monotonic() - t0  # the batch's time limit counts the write after it too
        return res
    except MemoryError:
        return Processed(job.path, job.sha256, stage="worker",
                         error="out of memory (worker memory limit reached)")
    finally:
        if pool is not None:
            pool.close()


READY = "ready"


def warm_up() -> None:
    """Load what every file needs (the extraction modules, the format spec, the
    division tables) before a worker takes its first file: a file's time limit
    is for its own work, not for the worker's start (1.5–3 s, more on a busy
    machine, measured)."""
    from extract import divisions, document, templates  # noqa: F401

    templates.load_spec()
    divisions.table(divisions.LAST_YEAR)


def failed(job: FileJob, error: str) -> Processed:
    return Processed(job.path, job.sha256, stage="worker", error=error)


def _spoiled(res: Processed) -> bool:
    """A result after which the worker is replaced (its heap may be spoiled)."""
    err = res.error or ""
    return err.startswith(("out of memory", "internal error"))


def limit_of(job: FileJob, default: float | None) -> float | None:
    """The job's own time limit (a retry of a time-out has a longer one), else the run's."""
    return job.timeout or default


def _worker_main(conn, memory_limit: int | None, fn: Callable) -> None:
    os.setsid()  # a process group of its own: a time-out kills its children too
    if memory_limit:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:  # never above what this process was started under
            memory_limit = min(memory_limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    global _REPORT
    _REPORT = conn.send  # pages read are told on the same pipe, before the result
    try:
        warm_up()
        conn.send(READY)
    except (EOFError, OSError):
        return
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        job, page_workers = msg
        try:
            res = fn(job, page_workers)
        except MemoryError:
            res = failed(job, "out of memory (worker memory limit reached)")
        except Exception as exc:  # noqa: BLE001 — recorded, the worker lives on
            res = failed(job, f"internal error: {type(exc).__name__}: {str(exc)[:200]}")
        try:
            conn.send(res)
        except MemoryError:
            conn.send(failed(job, "out of memory (worker memory limit reached)"))
        except OSError:  # the parent is gone (killed): nothing to report to
            return


@dataclass
class _Worker:
    proc: mp.process.BaseProcess
    conn: object
    job: FileJob | None = None
    started: float = 0.0
    ready: bool = False  # warmed up (``READY`` received): only then is a file sent


class LocalExecutor:
    name = "local"

    def __init__(self, workers: int | None = None, timeout: float | None = None,
                 memory_limit: int | None = None, fn: Callable = run_job, page_workers: int | None = None):
        self.workers = max(1, workers or os.cpu_count() or 1)
        self.timeout = timeout
        self.memory_limit = default_memory_limit(self.workers) if memory_limit is None else memory_limit
        self.fn = fn
        self.page_workers = page_workers  # fixed OCR page processes per file (ingest); None: the idle cores
        self._ctx = mp.get_context("spawn")
        # told when a file starts (0 pages read, total None) and after each OCR page it
        # reads: (job, pages read, OCR pages in all)
        self.on_progress: Callable[[FileJob, int, int | None], None] | None = None

    def _start(self) -> _Worker:
        parent, child = self._ctx.Pipe()
        proc = self._ctx.Process(target=_worker_main, args=(child, self.memory_limit, self.fn),
                                 name="reportdb-worker")
        proc.start()
        child.close()
        return _Worker(proc, parent)

    @staticmethod
    def _kill(w: _Worker) -> None:
        try:
            os.killpg(w.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        w.proc.kill()
        w.proc.join(5)
        w.conn.close()

    def run(self, jobs: Iterable[FileJob]) -> Iterator[tuple[FileJob, Processed] | None]:
        queue = deque(jobs)
        pool = [self._start() for _ in range(min(self.workers, len(queue)))]
        failed_starts = 0  # workers in a row that died before they were ready
        try:
            while queue or any(w.job for w in pool):
                for w in pool:
                    if w.job is None and w.ready and queue:
                        job = queue.popleft()
                        busy = sum(1 for x in pool if x.job is not None)
                        # cores no other file will use go to this one's OCR pages
                        spare = self.page_workers or self.workers - busy - len(queue)
                        w.conn.send((job, max(1, spare)))
                        w.job, w.started = job, time.monotonic()
                        if self.on_progress:
                            self.on_progress(job, 0, None)
                busy = [w for w in pool if w.job is not None]
                now = time.monotonic()
                wait_for = min([TICK] + [max(0.0, w.started + limit_of(w.job, self.timeout) - now)
                                         for w in busy if limit_of(w.job, self.timeout)])
                ready = wait_conns([w.conn for w in pool if w.job is not None or not w.ready],
                                   timeout=wait_for)
                for i, w in enumerate(pool):
                    if not w.ready and w.conn in ready:
                        try:
                            w.ready = w.conn.recv() == READY
                            failed_starts = 0
                        except (EOFError, OSError):  # died while starting: start another
                            w.proc.join(1)
                            code = w.proc.exitcode
                            self._kill(w)
                            failed_starts += 1
                            if failed_starts >= MAX_FAILED_STARTS:  # it never will: say so, do not spin
                                why = (f"no worker could start ({failed_starts} died while loading, "
                                       f"last with status {code}; memory limit too low?)")
                                while queue:
                                    job = queue.popleft()
                                    yield job, failed(job, why)
                                w.ready = True  # dead and idle: nothing is sent to it or awaited from it
                                continue
                            pool[i] = self._start()
                        continue
                    if w.job is None:
                        continue
                    job = w.job
                    if w.conn in ready:
                        try:
                            res = w.conn.recv()
                        except (EOFError, OSError):
                            w.proc.join(1)
                            code = w.proc.exitcode
                            why = (f"worker killed by signal {-code} (out of memory?)"
                                   if code and code < 0 else f"worker exited with status {code}")
                            self._kill(w)
                            pool[i] = self._start()
                            yield job, failed(job, why)
                            continue
                        if isinstance(res, tuple) and res and res[0] == PROGRESS:
                            if self.on_progress:  # a page read; the file goes on
                                self.on_progress(job, res[1], res[2])
                            continue
                        w.job = None
                        if _spoiled(res):  # a fresh worker for the next file
                            self._kill(w)
                            pool[i] = self._start()
                        yield job, res
                    elif (limit := limit_of(job, self.timeout)) and time.monotonic() - w.started >= limit:
                        self._kill(w)
                        pool[i] = self._start()
                        yield job, failed(job, f"timed out after {limit:g} s")
                if not ready:
                    yield None
        finally:
            for w in pool:
                if w.job is None and w.proc.is_alive():
                    try:
                        w.conn.send(None)
                    except OSError:
                        pass
            for w in pool:
                w.proc.join(2)
                if w.proc.is_alive() or w.job is not None:
                    self._kill(w)


class RayExecutor:
    """``run_job`` as Ray tasks. ``address``: an existing cluster (``ray://…`` or
    ``host:port``), else a local Ray with ``workers`` CPUs is started and stopped.
    The cluster's Python must have reportdb installed (same version)."""

    name = "ray"

    def __init__(self, workers: int | None = None, timeout: float | None = None,
                 address: str | None = None, fn: Callable = run_job):
        self.workers = workers
        self.timeout = timeout
        self.address = address
        self.fn = fn

    def run(self, jobs: Iterable[FileJob]) -> Iterator[tuple[FileJob, Processed] | None]:
        import ray

        started_here = not ray.is_initialized()
        if started_here:
            if self.address:
                ray.init(address=self.address, logging_level="ERROR", log_to_driver=False)
            else:
                ray.init(num_cpus=self.workers or os.cpu_count() or 1, include_dashboard=False,
                         logging_level="ERROR", log_to_driver=False,
                         object_store_memory=256 << 20)
        try:
            task = ray.remote(num_cpus=1, max_retries=0)(self.fn)
            slots = max(1, int(ray.cluster_resources().get("CPU", 1)))
            queue = deque(jobs)
            running: dict = {}
            while queue or running:
                while queue and len(running) < slots:  # submitted ≈ started: deadlines hold
                    job = queue.popleft()
                    running[task.remote(job, 1)] = (job, time.monotonic())
                done, _ = ray.wait(list(running), num_returns=1, timeout=TICK)
                for ref in done:
                    job, _t = running.pop(ref)
                    try:
                        yield job, ray.get(ref)
                    except Exception as exc:  # noqa: BLE001 — a lost worker or node
                        yield job, failed(job, f"ray task failed: {type(exc).__name__}: "
                                               f"{str(exc).splitlines()[0][:200]}")
                now = time.monotonic()
                for ref, (job, t) in list(running.items()):
                    limit = limit_of(job, self.timeout)
                    if limit and now - t >= limit:
                        ray.cancel(ref, force=True)
                        del running[ref]
                        yield job, failed(job, f"timed out after {limit:g} s")
                if not done:
                    yield None
        finally:
            if started_here:
                ray.shutdown()


def make_executor(kind: str, workers: int | None, timeout: float | None,
                  address: str | None = None, memory_limit: int | None = None,
                  page_workers: int | None = None):
    if kind == "local":
        return LocalExecutor(workers, timeout, memory_limit, page_workers=page_workers)
    if kind == "ray":
        return RayExecutor(workers, timeout, address)
    raise ValueError(f"unknown executor {kind!r} (known: local, ray)")
