"""Ingest: files → read → extract → load, one document per transaction.

The recipe for one file is ``process`` (a pure function of a picklable
``FileJob``: no database, so it can run in a worker process or on a cluster);
``ingest`` discovers files, skips what the database already holds, runs the jobs
and writes each result from this one process. A bad file becomes a recorded
failure and never stops the others.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from extract.document import extract
from extract.model import Extraction, NotAReport
from ocr.errors import ReadError
from ocr.images import REVIEW_WIDTH, group_page_sets, review_image
from ocr.read import SUPPORTED_SUFFIXES, OcrOptions, read_source
from warehouse import load as wl
from warehouse.schema import connect

from .verify import has_corrections, refresh
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


@dataclass
class FileResult:
    """One line of the ingest report."""

    path: str
    outcome: str                 # loaded | unchanged | failed
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

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.results if r.outcome == outcome)

    @property
    def ok(self) -> bool:
        return self.count("failed") == 0


def sha256_file(path: str) -> str | None:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    except OSError:
        return None
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


def discover_inputs(paths: Iterable[str | os.PathLike]) -> tuple[list[Input], list[str]]:
    """Documents to ingest: files, and page-image sets gathered into one document
    each (``name_p1.png, name_p2.png …``); and the paths that do not exist."""
    files, missing = discover(paths)
    out = []
    for group in group_page_sets([Path(f) for f in files]):
        if len(group) == 1:
            out.append(Input(str(group[0])))
        else:
            out.append(Input(set_pattern(group), tuple(str(g) for g in group)))
    return out, missing


def discover(paths: Iterable[str | os.PathLike]) -> tuple[list[str], list[str]]:
    """Files to ingest (named files as given, folders searched recursively for the
    supported types) and the paths that do not exist. In a folder, what a browser
    saved beside a web page (``name_files/``) belongs to that page and is not a
    document of its own."""
    from ocr.html import is_companion_file
    files: list[str] = []
    missing: list[str] = []
    for p in map(Path, paths):
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if (f.is_file() and f.suffix.lower() in SUPPORTED_SUFFIXES
                        and not any(part.startswith(".") for part in f.relative_to(p).parts)
                        and not is_companion_file(f)):
                    files.append(str(f))
        elif p.exists() or p.is_symlink():
            files.append(str(p))
        else:
            missing.append(str(p))
    return list(dict.fromkeys(files)), missing


def process(job: FileJob, page_map: Callable = map) -> Processed:
    """Read and extract one document. Never raises for a bad file. ``page_map``
    runs its OCR page jobs (a process pool's ``map`` to use every core)."""
    out = Processed(job.path, job.sha256, engines=reading_versions(set(), job.engine))
    # page images are kept for review at review size; full size only for a searchable PDF
    options = OcrOptions(engine=job.engine, keep_images=True, map=page_map,
                         image_width=None if job.searchable_dir else REVIEW_WIDTH)
    try:
        source = read_source(job.path, [Path(p) for p in job.parts] or None, options)
    except ReadError as exc:
        out.stage, out.error = exc.stage, exc.reason
        return out
    except Exception as exc:  # an engine failure or a bug: recorded, the batch goes on
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

    def map(self, fn, items):
        items = list(items)
        if self.pool is None:
            self.pool = ProcessPoolExecutor(self.workers)
        try:
            return list(self.pool.map(fn, items))
        except BrokenProcessPool:
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = None
            raise ReadError("an OCR worker process died reading this file (crashed or was killed)") from None

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()


def ingest(paths: Iterable[str | os.PathLike], db: str = DEFAULT_DB,
           on_result: Callable[[FileResult], None] | None = None, *, workers: int | None = None,
           engine: str = "tesseract", searchable_dir: str | None = None) -> IngestSummary:
    """Ingest files and folders into ``db``; returns one result per document.
    ``workers``: processes for OCR pages (default: every core); ``engine``: the
    OCR engine; ``searchable_dir``: where to write a searchable PDF of each
    OCR'd input."""
    files, missing = discover_inputs(paths)
    pool = _LazyPool(workers or os.cpu_count() or 1)
    con = connect(db)
    try:
        run_id = wl.start_run(con)
        summary = IngestSummary(run_id, db)

        def emit(res: FileResult) -> None:
            summary.results.append(res)
            if on_result:
                on_result(res)

        for path in missing:
            con.execute("INSERT INTO failures VALUES (?,?,?,?)",
                        [run_id, path, "read", "no such file or directory"])
            emit(FileResult(path, "failed", status="failed", stage="read",
                            error="no such file or directory"))
        for item in files:
            emit(_one(con, run_id, item, pool, engine, searchable_dir))
        wl.finish_run(con, run_id, len(files) + len(missing),
                      summary.count("loaded") + summary.count("unchanged"), summary.count("failed"))
    finally:
        pool.close()
        con.close()
    return summary


def _one(con, run_id: int, item: Input, pool: _LazyPool, engine: str,
         searchable_dir: str | None) -> FileResult:
    path = item.path
    sha = input_sha(list(item.parts)) if item.parts else document_sha(path)
    if sha:
        k = wl.known(con, sha)
        if k and k.pipeline_version == PIPELINE_VERSION and k.status != "failed":
            note = None if k.source_path == path else f"same content as {k.source_path}"
            return FileResult(path, "unchanged", k.doc_id, k.status, note=note)
    p = process(FileJob(path, sha, item.parts, engine, searchable_dir), pool.map)
    return write_processed(con, run_id, p)


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
                                  engines=p.engines)
        status, failed = x.status, x.checks_failed
        if p.sha256 and has_corrections(con, p.sha256):  # a person's corrections outlive re-ingests
            con.execute("BEGIN TRANSACTION")
            try:
                again = refresh(con, doc_id)
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise
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
