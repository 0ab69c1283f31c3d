"""Ingest: files → read → extract → load, one document per transaction.

The recipe for one file is ``process`` (a pure function of a picklable
``FileJob``: no database, so it can run in a worker process or on a cluster);
``ingest`` discovers files, skips what the database already holds, runs the jobs
in a worker process (``pipeline.executors``: a process group of its own, a time
and a memory limit, the bounds of ``ocr.limits``) and writes each result from this
one process, which reads no file itself (``pipeline.batch.take_in``, shared with
the batch). A bad file becomes a recorded failure and never stops the others.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from extract.document import extract
from extract.model import Extraction, NotAReport
from ocr.errors import ReadError, not_regular
from ocr.images import REVIEW_WIDTH, group_page_sets, review_image
from ocr.limits import WRITE_WAIT, Limits
from ocr.read import SUPPORTED_SUFFIXES, OcrOptions, read_source
from warehouse import load as wl
from warehouse.paths import stored_path

from .verify import after_load
from .version import PIPELINE_VERSION, reading_versions

DEFAULT_DB = "reportdb.duckdb"


@dataclass(frozen=True)
class FileJob:
    """One document to read: a file, or a set of page images (``parts``), whose
    ``path`` is then the set's pattern (``scans/report_p*.png``)."""

    path: str
    sha256: str | None
    parts: tuple[str, ...] = ()
    engine: str = "tesseract"
    searchable_dir: str | None = None
    timeout: float | None = None     # this file's own time limit (a retry of a time-out); None: the run's
    limits: Limits = Limits()        # pages, pixels, sizes (ocr.limits)


@dataclass(frozen=True)
class Input:
    path: str
    parts: tuple[str, ...] = ()


@dataclass
class Processed:
    """What ``process`` returns: an extraction, or the stage and reason it failed."""

    path: str
    sha256: str | None
    media_type: str | None = None
    n_pages: int = 0
    extraction: Extraction | None = None
    stage: str | None = None
    error: str | None = None
    searchable: str | None = None
    searchable_error: str | None = None
    images: list[tuple[int, int, int, float, bytes]] = field(default_factory=list)  # for review
    engines: dict[str, str] = field(default_factory=dict)  # what read it (pipeline.version)
    seconds: float = 0.0  # how long reading it took (a batch's time limit counts the write too)
    published: tuple | None = None  # (date, basis) where the file says when it was published


@dataclass
class FileResult:
    """One line of the ingest report."""

    path: str
    outcome: str                 # loaded | unchanged | failed | failed_before (not tried again)
    doc_id: str | None = None
    status: str | None = None    # ok | needs_review | failed
    agency: str | None = None
    year: int | None = None
    format: str | None = None
    cells: int = 0
    checks_failed: int = 0
    stage: str | None = None
    error: str | None = None
    note: str | None = None


@dataclass
class IngestSummary:
    run_id: int
    db: str
    results: list[FileResult] = field(default_factory=list)
    snapshot: str | None = None          # the readers' copy published at the end (warehouse.snapshot)
    snapshot_error: str | None = None    # why it was not
    snapshot_seconds: float = 0.0        # what the last copy took
    windows: tuple[int, float, float] = (0, 0.0, 0.0)  # commit windows: count, seconds, longest

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)

    @property
    def ok(self) -> bool:
        """Every file has a loaded document: none failed now, none failed before."""
        return self.count("failed") == 0 and self.count("failed_before") == 0


def sha256_file(path: str) -> str | None:
    """The file's SHA-256; None when it cannot be read or is no regular file (a
    pipe swapped in after it was found must not block the run: opened without
    waiting, then checked)."""
    h = hashlib.sha256()
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        with os.fdopen(fd, "rb", closefd=False) as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    except OSError:
        return None
    finally:
        os.close(fd)
    return h.hexdigest()


def document_sha(path: str) -> str | None:
    """The content hash of one input file, as ``read_source`` records it: for a
    saved web page it covers the images saved beside it (``name_files/``), so a
    changed table image is a changed document."""
    from ocr.html import HTML_SUFFIXES, companion_dir, page_sha256
    p = Path(path)
    if p.suffix.lower() in HTML_SUFFIXES and companion_dir(p) is not None:
        try:
            return page_sha256(p)
        except OSError:
            return None
    return sha256_file(path)


def set_pattern(parts: list[Path]) -> str:
    """The display path of a page set: ``dir/name_p*.png`` or ``dir/name-*.jpg``."""
    first = parts[0]
    stem = re.sub(r"(_p|-)\d+$", r"\1*", first.stem, flags=re.IGNORECASE)
    return str(first.with_name(stem + first.suffix))


def input_sha(parts: list[str]) -> str | None:
    """The content hash of a page set: SHA-256 over its pages' SHA-256s, in order
    (``ocr.read.read_source`` computes the same)."""
    digests = []
    for p in parts:
        h = sha256_file(p)
        if h is None:
            return None
        digests.append(bytes.fromhex(h))
    return hashlib.sha256(b"".join(digests)).hexdigest()


@dataclass(frozen=True)
class Skipped:
    """A path found but not read, and why: a pipe, a device or a socket, a broken
    symbolic link, a link to a folder, a folder that cannot be listed. Each is a
    failure of the run (a ``failures`` row and a line), never silently dropped."""

    path: str
    reason: str


def discover_inputs(paths: Iterable[str | os.PathLike]) -> tuple[list[Input], list[str]]:
    """Documents to ingest: files, and page-image sets gathered into one document
    each (``name_p1.png, name_p2.png …``); and the paths that do not exist."""
    inputs, missing, _ = find_inputs(paths)
    return inputs, missing


def find_inputs(paths: Iterable[str | os.PathLike]) -> tuple[list[Input], list[str], list[Skipped]]:
    """``discover_inputs``, and the paths skipped with their reasons."""
    files, missing, skipped = scan(paths)
    out = []
    for group in group_page_sets([Path(f) for f in files]):
        if len(group) == 1:
            out.append(Input(str(group[0])))
        else:
            out.append(Input(set_pattern(group), tuple(str(g) for g in group)))
    return out, missing, skipped


def discover(paths: Iterable[str | os.PathLike]) -> tuple[list[str], list[str]]:
    """Files to ingest and the paths that do not exist (see ``scan``)."""
    files, missing, _ = scan(paths)
    return files, missing


def _link_problem(path: str) -> str:
    """Why the symbolic link at ``path`` leads nowhere readable."""
    try:
        target = os.readlink(path)
    except OSError:
        target = "?"
    try:
        os.stat(path)
    except FileNotFoundError:
        return f"broken symbolic link (to {target}, which does not exist)"
    except OSError as exc:
        return f"symbolic link that cannot be followed (to {target}: {exc.strerror or exc})"
    return f"symbolic link to a folder (to {target}): not followed inside a folder; name the folder itself"


def scan(paths: Iterable[str | os.PathLike]) -> tuple[list[str], list[str], list[Skipped]]:
    """Files to ingest (named files as given, folders searched recursively for the
    supported types), the paths that do not exist, and the paths skipped with
    why. In a folder, what a browser saved beside a web page (``name_files/``)
    belongs to that page and is not a document of its own; hidden files and
    folders (``.name``) are left alone; a symbolic link to a file is read, one to
    a folder is not followed. Only regular files are read: a pipe, a device or a
    socket is skipped with its reason, named or found, so nothing can hang the
    run. Names are whatever the file system holds (``str`` with surrogate
    escapes for bytes that are not UTF-8)."""
    files: list[str] = []
    missing: list[str] = []
    skipped: list[Skipped] = []
    for p in map(Path, paths):
        try:
            mode = os.stat(p).st_mode
        except FileNotFoundError:
            if os.path.islink(p):
                skipped.append(Skipped(str(p), _link_problem(str(p))))
            else:
                missing.append(str(p))
            continue
        except OSError as exc:  # a folder on the way cannot be searched, a link loop, a name too long
            skipped.append(Skipped(str(p), f"cannot be opened ({exc.strerror or exc})"))
            continue
        if stat.S_ISDIR(mode):
            _walk(p, files, skipped)
        elif stat.S_ISREG(mode):
            files.append(str(p))
        else:
            skipped.append(Skipped(str(p), not_regular(mode)))
    skipped.sort(key=lambda s: s.path)
    return list(dict.fromkeys(files)), missing, skipped


def _walk(root: Path, files: list[str], skipped: list[Skipped]) -> None:
    from ocr.html import is_companion_file
    found: list[Path] = []
    folders = [root]
    while folders:
        folder = folders.pop()
        try:
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError as exc:
            skipped.append(Skipped(str(folder), f"folder cannot be read ({exc.strerror or exc}): "
                                                "its files were not taken in"))
            continue
        for e in entries:
            if e.name.startswith("."):
                continue
            f = Path(e.path)
            try:
                if e.is_symlink():
                    try:
                        mode = os.stat(e.path).st_mode
                    except OSError:
                        skipped.append(Skipped(e.path, _link_problem(e.path)))
                        continue
                    if stat.S_ISDIR(mode):
                        skipped.append(Skipped(e.path, _link_problem(e.path)))
                        continue
                else:
                    mode = e.stat(follow_symlinks=False).st_mode
            except OSError as exc:
                skipped.append(Skipped(e.path, f"cannot be opened ({exc.strerror or exc})"))
                continue
            if stat.S_ISDIR(mode):
                folders.append(f)
            elif f.suffix.lower() in SUPPORTED_SUFFIXES:
                if not stat.S_ISREG(mode):
                    skipped.append(Skipped(e.path, not_regular(mode)))
                elif not is_companion_file(f):
                    found.append(f)
    files.extend(str(f) for f in sorted(found))


def _out_of_memory(exc: BaseException) -> bool:
    """An allocation that failed in a native library (OpenCV's ``Insufficient
    memory``, ``Failed to allocate``) is the memory limit too."""
    msg = str(exc)
    return "Insufficient memory" in msg or "Failed to allocate" in msg or "std::bad_alloc" in msg


def process(job: FileJob, page_map: Callable = map) -> Processed:
    """Read and extract one document. Never raises for a bad file. ``page_map``
    runs its OCR page jobs (a process pool's ``map`` to use every core)."""
    out = Processed(job.path, job.sha256, engines=reading_versions(set(), job.engine))
    # page images are kept for review at review size; full size only for a searchable PDF
    options = OcrOptions(engine=job.engine, keep_images=True, map=page_map,
                         image_width=None if job.searchable_dir else REVIEW_WIDTH, limits=job.limits)
    try:
        source = read_source(job.path, [Path(p) for p in job.parts] or None, options)
    except ReadError as exc:
        out.stage, out.error = exc.stage, exc.reason
        return out
    except MemoryError:  # the worker's memory limit: run_job says so, and the worker is replaced
        raise
    except Exception as exc:  # an engine failure or a bug: recorded, the batch goes on
        if _out_of_memory(exc):  # OpenCV says so in its own words
            raise MemoryError(str(exc)) from exc
        out.stage, out.error = "read", f"internal error: {type(exc).__name__}: {str(exc)[:200]}"
        return out
    if job.searchable_dir and source.images:
        from ocr.searchable import write_searchable_pdf
        name = Path(job.path).stem.replace("*", "") or "document"
        try:
            out.searchable = str(write_searchable_pdf(Path(job.searchable_dir) / f"{name}.pdf",
                                                      source.pages, source.images))
        except OSError as exc:
            out.searchable_error = f"searchable PDF not written: {exc}"
    out.media_type, out.n_pages, out.sha256 = source.media_type, len(source.pages), source.sha256
    from .published import published
    out.published = published(job.path, source.media_type, source.pages[0].text if source.pages else None)
    read_as = {pg.source for pg in source.pages} | {g.source for pg in source.pages for g in pg.grids if g.source}
    out.engines = reading_versions(read_as, job.engine)
    widths = {pg.number: pg.width for pg in source.pages}
    for number, (jpeg, _) in sorted(source.images.items()):
        try:
            small, w, h, scale = review_image(jpeg, widths.get(number) or 1.0)
        except Exception:  # noqa: BLE001 — a page without its review image is still loaded
            continue
        out.images.append((number, w, h, scale, small))
    try:
        out.extraction = extract(source)
    except NotAReport as exc:
        out.stage, out.error = exc.stage, exc.reason
    except MemoryError:
        raise
    except Exception as exc:  # a bug must not stop the batch; it is recorded with its type
        out.stage, out.error = "extract", f"internal error: {type(exc).__name__}: {exc}"
    return out


class _LazyPool:
    """A process pool started only when a page needs OCR (text and PDF inputs
    never pay for it); its ``map`` spreads a document's pages over the cores.

    Pages run in the pool even when there is one page or one worker: the OCR
    library runs inside the process that calls it, and a native crash there
    must cost the file it was reading (recorded as failed), not the whole run.
    A pool that lost a worker is replaced for the next file."""

    def __init__(self, workers: int):
        self.workers = max(1, workers)
        self.pool: ProcessPoolExecutor | None = None

    def map(self, fn, items) -> list:
        return list(self.imap(fn, items))

    def imap(self, fn, items):
        """The results in order, each as soon as it and those before it are done
        (so a caller can tell how far the document has been read)."""
        items = list(items)
        if self.pool is None:
            self.pool = ProcessPoolExecutor(self.workers)
        try:
            yield from self.pool.map(fn, items)
        except BrokenProcessPool:
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = None
            raise ReadError("an OCR worker process died reading this file (crashed or was killed)") from None

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()


def ingest(paths: Iterable[str | os.PathLike], db: str = DEFAULT_DB,
           on_result: Callable[[FileResult], None] | None = None, *, workers: int | None = None,
           engine: str = "tesseract", searchable_dir: str | None = None,
           timeout: float | None = None, memory_limit: int | None = None, limits: Limits | None = None,
           wait: float = WRITE_WAIT, snapshot: bool = True,
           on_wait: Callable[[str], None] | None = None,
           on_plan: Callable | None = None,
           on_progress: Callable[[str, int, int | None], None] | None = None) -> IngestSummary:
    """Ingest files and folders into ``db``; returns one result per document.
    ``workers``: processes for OCR pages (default: every core); ``engine``: the
    OCR engine; ``searchable_dir``: where to write a searchable PDF of each
    OCR'd input.

    Each file is read in a worker process of its own, as ``batch`` reads them
    (``pipeline.executors``: its own process group, ``timeout`` seconds and
    ``memory_limit`` bytes of address space at most, ``limits`` on pages and
    pixels), one file at a time, in the order given; so a hostile file costs
    that file alone. The database is written in short commit windows, waiting
    ``wait`` seconds at most for another process that holds it (then
    ``DatabaseBusy``), and ``snapshot`` publishes the readers' copy at the end.
    ``on_plan`` and ``on_progress`` as for ``pipeline.batch.take_in`` (pages to
    read, pages read)."""
    from ocr.limits import default_memory_limit, timeout_per_file

    from .batch import take_in
    from .executors import LocalExecutor
    from .lock import BatchLock

    inputs, missing, skipped = find_inputs(paths)
    page_workers = workers or os.cpu_count() or 1
    executor = LocalExecutor(1, timeout or timeout_per_file(),
                             default_memory_limit(page_workers) if memory_limit is None else memory_limit,
                             page_workers=page_workers)
    limits = limits or Limits.from_env()
    lock = BatchLock(db).acquire(wait, on_wait)  # a running batch owns the database
    try:
        return take_in(db, inputs, missing, skipped, command="ingest", executor=executor, retry_failed=True,
                       ordered=True, wait=wait, snapshot=snapshot, on_result=on_result, on_wait=on_wait,
                       on_plan=on_plan, on_progress=on_progress,
                       job=lambda item, sha: FileJob(item.path, sha, item.parts, engine, searchable_dir,
                                                     limits=limits))
    finally:
        lock.release()


def record_skipped(con, run_id: int, s: Skipped) -> FileResult:
    """A path that was not read (a pipe, a broken link …): a failures row, no document."""
    wl.add_failure(con, run_id, s.path, "read", s.reason)
    return FileResult(s.path, "failed", status="failed", stage="read", error=s.reason)


class _Deadline:
    """Interrupts the connection's running statement when ``seconds`` have passed
    (DuckDB's ``interrupt``, from a timer thread), unless ``done`` came first."""

    def __init__(self, con, seconds: float | None):
        self.con, self.fired = con, False
        self._lock = threading.Lock()
        self._open = seconds is not None
        self._timer = None
        if seconds is not None:
            self._timer = threading.Timer(max(0.0, seconds), self._fire)
            self._timer.daemon = True
            self._timer.start()

    def _fire(self) -> None:
        with self._lock:
            if self._open:
                self.fired = True
                self.con.interrupt()

    def done(self) -> None:
        with self._lock:
            self._open = False
        if self._timer is not None:
            self._timer.cancel()


def write_processed(con, run_id: int, p: Processed, limit: float | None = None) -> FileResult:
    """Write what ``process`` returned: the document in one transaction (and a
    person's corrections re-applied), or its failure. The one writing step that
    ``ingest`` and ``batch`` share. ``limit``: the file's time limit in seconds,
    reading included (``p.seconds``): a write still going when it runs out is
    interrupted and rolled back, and the file is recorded as timed out."""
    path = p.path
    if p.extraction is None:
        doc_id = wl.record_failure(con, run_id=run_id, path=path, sha256=p.sha256,
                                   media_type=p.media_type, stage=p.stage or "read",
                                   error=p.error or "unknown error", version=PIPELINE_VERSION,
                                   engines=p.engines)
        return FileResult(path, "failed", doc_id, "failed", stage=p.stage, error=p.error)
    x = p.extraction
    deadline = _Deadline(con, None if limit is None else limit - p.seconds)
    try:
        doc_id = wl.load_document(con, path=path, sha256=p.sha256 or "", media_type=p.media_type or "",
                                  n_pages=p.n_pages, x=x, version=PIPELINE_VERSION, images=p.images,
                                  engines=p.engines, published=p.published)
        status, failed = x.status, x.checks_failed
        # a person's corrections outlive re-ingests, and a changed file of the report
        again = after_load(con, doc_id, p.sha256) if p.sha256 else None
        if again is not None:
            status, failed = again.status, again.checks_failed
    except Exception as exc:  # the transaction was rolled back: nothing half-loaded
        deadline.done()
        if deadline.fired:
            err = f"timed out after {limit:g} s (while writing to the database)"
        else:
            err = f"database error: {type(exc).__name__}: {exc}".splitlines()[0]
        wl.record_failure(con, run_id=run_id, path=path, sha256=p.sha256, media_type=p.media_type,
                          stage="load", error=err, version=PIPELINE_VERSION, engines=p.engines)
        return FileResult(path, "failed", None, "failed", stage="load", error=err)
    deadline.done()
    return FileResult(path, "loaded", doc_id, status, x.agency, x.year, x.format,
                      len(x.cells), failed, note=p.searchable_error)
