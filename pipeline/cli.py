"""The ``reportdb`` command: a thin layer over ``pipeline.ingest``,
``warehouse.query`` and ``pipeline.render``.

Exit codes, the same for every command (README, "Exit codes"):

0  done: every file has a loaded document (ingest, batch), the query ran;
1  some file failed, in this run or (batch) in an earlier one and still has no
   loaded document; or the query, document or correction asked for was bad;
2  usage: a wrong option or argument, no inbox folder;
3  the database is busy: another batch, ingest or correction holds its lock,
   or another process holds the file, past ``--wait`` seconds;
4  the database is unusable: missing (for a reader), not a DuckDB file, damaged,
   unreadable.
"""

from __future__ import annotations

import csv
import json
import sys
from enum import Enum
from pathlib import Path
from typing import List, Optional

import duckdb
import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ocr import limits as L
from warehouse.query import (DatabaseBusy, DatabaseUnavailable, QueryRefused, find_document, run_query,
                             set_read_wait)
from warehouse.query import DatabaseUnusable as DatabaseUnusableError

from .ingest import DEFAULT_DB, FileResult, ingest
from .output import jsonable, plain_columns, sanitize, shown, shown_name
from .render import print_document

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  context_settings={"help_option_names": ["-h", "--help"]},
                  help="Annual reports on government information disclosure → DuckDB.")


class SafeConsole(Console):
    """A console that never sends a file name or a report's text to the terminal
    raw: every plain string printed is sanitised (escape sequences and other
    control characters shown as ``\\xNN``, bytes of a name that are not UTF-8 as
    U+FFFD) and printed as plain text, never read as rich markup. Text objects
    are built from sanitised parts where they carry such text (``_line``)."""

    def print(self, *objects, **kwargs):  # noqa: A003 — rich's name
        super().print(*[Text(shown_name(o)) if isinstance(o, str) else o for o in objects], **kwargs)


out = SafeConsole(highlight=False, soft_wrap=True)
err = SafeConsole(stderr=True, highlight=False, soft_wrap=True)

DbOption = typer.Option(DEFAULT_DB, "--db", envvar="REPORTDB_DB",
                        help="DuckDB database file (or the environment variable REPORTDB_DB).")
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BUSY, EXIT_UNUSABLE = 0, 1, 2, 3, 4
ReadWait = typer.Option(L.READ_WAIT, "--wait", min=0,
                        help="Seconds to wait while a writer holds the database (then exit 3).")
WriteWait = typer.Option(L.WRITE_WAIT, "--wait", min=0,
                         help="Seconds to wait for another writer's lock or a process holding the "
                              "database file (then exit 3).")


def _db_exit(exc: Exception) -> typer.Exit:
    """One line on stderr, and the exit code of a database that cannot be used
    now (3: busy) or at all (4: unusable)."""
    err.print(Text(f"reportdb: {exc}"))
    return typer.Exit(EXIT_BUSY if isinstance(exc, DatabaseBusy) else EXIT_UNUSABLE)


def _limits(**given):
    """Reading limits from the environment and the flags; a bad value is a usage error."""
    try:
        return L.Limits.from_env(**given)
    except L.LimitError as exc:
        err.print(f"reportdb: {exc}")
        raise typer.Exit(EXIT_USAGE)


def _on_wait(msg: str) -> None:
    err.print(Text(f"reportdb: {msg}"))
# how much ingest prints (the root options -q / -v): 0 failures and the summary only,
# 1 a line a file, 2 also the versions of what reads
_VERBOSITY = {"level": 1}
_STYLE = {"ok": "green", "needs_review": "yellow", "failed": "red"}


def _line(r: FileResult) -> Text:
    """One line a file: its name and every text from it sanitised (a name may
    hold escape sequences, or bytes that are not UTF-8)."""
    status = r.status or r.outcome
    path = shown_name(r.path)
    t = Text()
    t.append(f"{status:<13}", style=_STYLE.get(status, ""))
    if r.outcome == "failed":
        t.append(f"{path}: {shown_name(r.error or '')} (stage {r.stage})")
        if r.note:
            t.append(f"  ({shown_name(r.note)})", style="dim")
        return t
    if r.outcome == "failed_before":
        t = Text()
        t.append("failed before ", style=_STYLE["failed"])
        t.append(f"{path}: {shown_name(r.error or '')} (stage {r.stage}, {shown_name(r.note or '')})")
        return t
    if r.outcome == "unchanged":
        t.append(f"unchanged  {path}" + (f"  ({shown_name(r.note)})" if r.note else ""), style="dim")
        return t
    t.append(f"{r.year or '----'}  {r.format or '-':<8} {shown_name(r.agency or '(agency unknown)')}  ")
    t.append(f"{r.cells} cells, {r.checks_failed} checks failed", style="dim")
    t.append(f"  {path}")
    if r.note:
        t.append(f"  ({shown_name(r.note)})", style="dim")
    return t


def _progress(quiet: bool = False):
    """Pages read of pages to read (``pipeline.progress``): a bar in a terminal,
    else a plain line on stderr now and then (none with -q); file names shown
    sanitised."""
    from .progress import PageProgress

    if sys.stdout.isatty():
        return PageProgress(console=out, live=True, name=shown_name)
    return PageProgress(console=out, stream=None if quiet else _PlainErr(), name=shown_name)


class _PlainErr:
    """stderr for plain progress lines, each sanitised like every other line."""

    def write(self, text: str) -> int:
        sys.stderr.write(sanitize(text.rstrip("\n")) + "\n" if text.strip() else "")
        return len(text)

    def flush(self) -> None:
        sys.stderr.flush()


def _print_version(value: bool) -> None:
    if not value:
        return
    from .version import installation_versions
    v = installation_versions()
    out.print(f"reportdb {v.pop('reportdb')}")
    for k, val in v.items():
        out.print(f"  {k:<24} {val}")
    raise typer.Exit(0)


@app.callback()
def _root(version: bool = typer.Option(False, "--version", is_eager=True, callback=_print_version,
                                       help="Print reportdb's version and its engines' (Tesseract with "
                                            "its language files' SHA-256, OpenCV, DuckDB …), then exit."),
          quiet: bool = typer.Option(False, "--quiet", "-q", help="Print only failures and the summary."),
          verbose: bool = typer.Option(False, "--verbose", "-v",
                                       help="Print also the versions of what reads, first.")) -> None:
    """Annual reports on government information disclosure → DuckDB."""
    _VERBOSITY["level"] = 0 if quiet else 2 if verbose else 1


@app.command("ingest")
def ingest_cmd(paths: List[Path] = typer.Argument(..., help="Files and folders (searched recursively)."),
               db: str = DbOption,
               ocr_engine: str = typer.Option("tesseract", "--ocr-engine",
                                              help="OCR engine for scans: tesseract or rapidocr (an extra)."),
               workers: Optional[int] = typer.Option(None, "--workers", min=1,
                                                     help="Processes for OCR pages (default: every core)."),
               searchable_pdf: Optional[Path] = typer.Option(
                   None, "--searchable-pdf", help="Write a searchable PDF of every OCR'd input here."),
               timeout_per_file: Optional[float] = typer.Option(
                   None, "--timeout-per-file", min=0.1,
                   help=f"Seconds one file may take (default {L.TIMEOUT_PER_FILE:g}, REPORTDB_TIMEOUT_PER_FILE)."),
               memory_per_worker: Optional[int] = typer.Option(
                   None, "--memory-per-worker", min=256,
                   help="MiB of address space for the process reading a file (default: 3/4 of memory)."),
               max_pages: Optional[int] = typer.Option(
                   None, "--max-pages", min=1, help=f"Pages of one document (default {L.MAX_PAGES})."),
               max_page_megapixels: Optional[float] = typer.Option(
                   None, "--max-page-megapixels", min=0.01,
                   help=f"Pixels of one page image, in millions (default {L.MAX_PAGE_MEGAPIXELS})."),
               wait: float = WriteWait,
               no_snapshot: bool = typer.Option(False, "--no-snapshot",
                                                help="Do not publish the readers' copy (DB.snapshot.duckdb).")) -> None:
    """Read reports, extract their tables and text, and load them into the database.
    Each file is read in a process of its own, with a time and a memory limit.
    Exit 0: all loaded; 1: some failed; 3: database busy; 4: database unusable."""
    from ocr.engines import EngineUnavailable, engine as get_engine
    try:
        get_engine(ocr_engine)
    except EngineUnavailable as exc:
        err.print(f"reportdb: OCR engine {ocr_engine!r} unavailable: {exc}")
        raise typer.Exit(EXIT_USAGE)
    limits = _limits(max_pages=max_pages, max_page_megapixels=max_page_megapixels)
    if _VERBOSITY["level"] >= 2:
        from .version import installation_versions
        v = installation_versions(ocr_engine)
        out.print(Text(f"reportdb {v['reportdb']}; {ocr_engine} {v.get('tesseract', '')}; "
                       f"OpenCV {v.get('opencv-python-headless', '?')}; DuckDB {v.get('duckdb', '?')} "
                       f"→ {db}", style="dim"))

    progress = _progress(quiet=_VERBOSITY["level"] == 0)

    def on_result(r: FileResult) -> None:
        progress.finish(r.path)
        if _VERBOSITY["level"] >= 1 or r.outcome == "failed":
            progress.print(_line(r))

    try:
        summary = ingest([str(p) for p in paths], db, on_result=on_result,
                         workers=workers, engine=ocr_engine,
                         searchable_dir=str(searchable_pdf) if searchable_pdf else None,
                         timeout=timeout_per_file,
                         memory_limit=memory_per_worker << 20 if memory_per_worker else None,
                         limits=limits, wait=wait, snapshot=not no_snapshot, on_wait=_on_wait,
                         on_plan=lambda plan: progress.plan(plan.pages or {}), on_progress=progress.page)
    except DatabaseUnavailable as exc:
        raise _db_exit(exc)
    finally:
        progress.stop()
    loaded = [r for r in summary.results if r.outcome == "loaded"]
    by_status = {s: sum(1 for r in loaded if r.status == s) for s in ("ok", "needs_review")}
    out.print(f"{len(summary.results)} files: {len(loaded)} loaded "
              f"({by_status['ok']} ok, {by_status['needs_review']} needs_review), "
              f"{summary.count('unchanged')} unchanged, {summary.count('failed')} failed → {db}")
    if summary.snapshot_error:
        err.print(f"reportdb: {summary.snapshot_error}")
    raise typer.Exit(EXIT_OK if summary.ok else EXIT_FAILED)


class Executor(str, Enum):
    local = "local"
    ray = "ray"


@app.command("batch")
def batch_cmd(inbox: Path = typer.Argument(..., help="Folder of uploads (searched recursively)."),
              db: str = DbOption,
              workers: Optional[int] = typer.Option(None, "--workers", min=1,
                                                    help="Files processed at once (default: every core)."),
              timeout_per_file: Optional[float] = typer.Option(
                  None, "--timeout-per-file", min=0.1,
                  help="Seconds one file may take before it is stopped and recorded as failed "
                       f"(default {L.TIMEOUT_PER_FILE:g}, REPORTDB_TIMEOUT_PER_FILE)."),
              executor: Executor = typer.Option(Executor.local, "--executor",
                                                help="local (worker processes) or ray (Ray tasks)."),
              address: Optional[str] = typer.Option(None, "--address",
                                                    help="Ray cluster to use (default: a local Ray)."),
              retry_failed: bool = typer.Option(False, "--retry-failed",
                                                help="Process again files that failed before."),
              memory_per_worker: Optional[int] = typer.Option(
                  None, "--memory-per-worker", min=256,
                  help="MiB of address space per local worker (default: 3/4 of memory shared)."),
              ocr_engine: str = typer.Option("tesseract", "--ocr-engine",
                                             help="OCR engine for scans: tesseract or rapidocr."),
              max_pages: Optional[int] = typer.Option(
                  None, "--max-pages", min=1, help=f"Pages of one document (default {L.MAX_PAGES})."),
              max_page_megapixels: Optional[float] = typer.Option(
                  None, "--max-page-megapixels", min=0.01,
                  help=f"Pixels of one page image, in millions (default {L.MAX_PAGE_MEGAPIXELS})."),
              wait: float = WriteWait,
              no_snapshot: bool = typer.Option(False, "--no-snapshot",
                                               help="Do not publish the readers' copy (DB.snapshot.duckdb)."),
              snapshot_every: float = typer.Option(
                  1800, "--snapshot-every", min=0,
                  help="During a long run, refresh the readers' copy this often at most (seconds; 0: at the end only).")
              ) -> None:
    """Take in new and changed files from INBOX: in parallel, locked, crash-safe.
    Exit 0: every document loaded; 1: some failed, now or before (and are still not
    loaded); 2: usage; 3: database busy past --wait; 4: database unusable."""
    from .batch import BatchError, batch

    limits = _limits(max_pages=max_pages, max_page_megapixels=max_page_megapixels)
    tty = sys.stdout.isatty()
    progress = _progress()

    def on_plan(plan) -> None:
        line = (f"{plan.total} documents in {inbox}: {plan.todo} to process, "
                f"{plan.unchanged} unchanged" + (f", {plan.skipped} paths not read (below)" if plan.skipped else ""))
        if plan.failed_before:
            line += f", {plan.failed_before} failed before (not retried)"
        if plan.retries:
            line += f" ({plan.retries} timed out before: tried again with a longer limit)"
        if plan.pages:
            line += f"; {sum(plan.pages.values())} pages to read"
        out.print(line)
        progress.plan(plan.pages or {})

    def on_result(r: FileResult) -> None:
        progress.finish(r.path)
        if r.outcome == "unchanged" and not tty:
            return  # the log says what changed; the plan line counted the rest
        progress.print(_line(r))

    try:
        summary = batch(inbox, db, workers=workers, timeout=timeout_per_file, executor=executor.value,
                        address=address, retry_failed=retry_failed, engine=ocr_engine,
                        memory_limit=memory_per_worker << 20 if memory_per_worker else None,
                        wait=wait, snapshot=not no_snapshot, snapshot_every=snapshot_every, limits=limits,
                        on_plan=on_plan, on_result=on_result, on_wait=_on_wait, on_progress=progress.page)
    except BatchError as exc:
        err.print(f"reportdb: {exc}")
        raise typer.Exit(EXIT_USAGE)
    except DatabaseUnavailable as exc:
        raise _db_exit(exc)
    except ImportError as exc:
        err.print(f"reportdb: executor {executor.value!r} unavailable: {exc} "
                  "(pip install 'reportdb[ray]')")
        raise typer.Exit(EXIT_USAGE)
    finally:
        progress.stop()
    loaded = [r for r in summary.results if r.outcome == "loaded"]
    by_status = {s: sum(1 for r in loaded if r.status == s) for s in ("ok", "needs_review")}
    line = (f"run {summary.run_id}: {len(summary.results)} documents: {len(loaded)} loaded "
            f"({by_status['ok']} ok, {by_status['needs_review']} needs_review), "
            f"{summary.count('unchanged')} unchanged, {summary.count('failed')} failed")
    if summary.count("failed_before"):
        line += f", {summary.count('failed_before')} failed before, not retried"
    out.print(f"{line} → {db}")
    if summary.snapshot:
        out.print(Text(f"readers' copy: {summary.snapshot}", style="dim"))
    if summary.snapshot_error:
        err.print(f"reportdb: {summary.snapshot_error}")
    raise typer.Exit(EXIT_OK if summary.ok else EXIT_FAILED)


@app.command("snapshot")
def snapshot_cmd(db: str = DbOption, wait: float = WriteWait) -> None:
    """Publish the readers' copy of the database now (DB.snapshot.duckdb, swapped in
    whole): after corrections made in the verification station, for instance.
    batch and ingest publish it themselves."""
    from warehouse.snapshot import publish

    from .lock import BatchLock

    if not Path(db).exists():
        raise _db_exit(DatabaseUnusableError(f"{db}: no such database (run 'reportdb ingest' first)"))
    try:
        lock = BatchLock(db).acquire(wait, _on_wait)
    except DatabaseUnavailable as exc:
        raise _db_exit(exc)
    try:
        done = publish(db)
    except (OSError, duckdb.Error) as exc:
        raise _db_exit(DatabaseUnusableError(f"{db}: snapshot not published: {str(exc).splitlines()[0]}"))
    finally:
        lock.release()
    out.print(f"{db} → {done.path} ({done.size / (1 << 20):.1f} MB in {done.seconds:.1f} s)")


class Format(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"
    ndjson = "ndjson"


@app.command("query")
def query_cmd(sql: Optional[str] = typer.Argument(None, help="One SQL statement (read-only)."),
              db: str = DbOption,
              format: Format = typer.Option(Format.table, "--format", help="Output format."),
              file: Optional[Path] = typer.Option(None, "--file", "-f",
                                                  help="Read the SQL from a file ('-': standard input)."),
              wait: float = ReadWait,
              limit: Optional[int] = typer.Option(None, "--limit", min=0,
                                                  help="Print at most this many rows."),
              allow_files: bool = typer.Option(
                  False, "--allow-files",
                  help="Let the query read and write files (read_csv, COPY … TO, EXPORT DATABASE); "
                       "without it the query reads only the database.")) -> None:
    """Run one read statement against the database, opened read-only and confined to
    it (no files, no network, no extensions, no ATTACH/SET). Exit 1: refused or bad SQL.
    JSON and NDJSON hold every DuckDB type (intervals as ISO 8601 durations, BLOBs as
    base64); a table printed into a pipe or a file is plain columns, never wrapped."""
    if file is not None:
        sql = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
    if not sql or not sql.strip():
        err.print("reportdb: no SQL given (an argument, or --file)")
        raise typer.Exit(EXIT_USAGE)
    try:
        res = run_query(db, sql, wait, on_wait=_on_wait, allow_files=allow_files)
    except DatabaseUnavailable as exc:
        raise _db_exit(exc)
    except QueryRefused as exc:
        err.print(f"reportdb: query {exc}")
        raise typer.Exit(1)
    except duckdb.Error as exc:  # DuckDB's whole message: its hints and the ^ under the fault
        err.print(Text("\n".join(sanitize(ln) for ln in f"reportdb: query failed: {str(exc).strip()}".split("\n"))))
        raise typer.Exit(1)
    total = len(res.rows)
    if limit is not None:
        res.rows = res.rows[:limit]
    if format is Format.csv:
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(res.columns)
        w.writerows(res.rows)
    elif format is Format.json:  # made whole before a byte is written: never half a document
        text = json.dumps([{c: jsonable(v) for c, v in zip(res.columns, row)} for row in res.rows],
                          ensure_ascii=False, indent=1, allow_nan=False)
        sys.stdout.write(text + "\n")
    elif format is Format.ndjson:
        sys.stdout.write("".join(json.dumps({c: jsonable(v) for c, v in zip(res.columns, row)},
                                            ensure_ascii=False, allow_nan=False) + "\n" for row in res.rows))
    elif not sys.stdout.isatty():
        sys.stdout.write(plain_columns(res.columns, [[shown(v) for v in row] for row in res.rows]) + "\n")
        sys.stdout.write(f"({_rows(len(res.rows), total)})\n")
    else:
        t = Table(show_lines=False)
        for c in res.columns:
            t.add_column(c, overflow="fold")
        for row in res.rows:
            t.add_row(*[Text(sanitize(shown(v))) for v in row])
        out.print(t)
        out.print(f"({_rows(len(res.rows), total)})", style="dim")


def _rows(shown_rows: int, total: int) -> str:
    return f"{total} rows" if shown_rows == total else f"first {shown_rows} of {total} rows"


@app.command("show")
def show_cmd(doc: str = typer.Argument(..., help="doc_id (or a unique prefix) or source path."),
             keys: bool = typer.Option(False, "--keys", help="Print after each row label and column "
                                                              "heading the key that `correct` takes."),
             db: str = DbOption, wait: float = ReadWait) -> None:
    """Print one document's metadata and its tables laid out like the official format."""
    set_read_wait(wait)
    try:
        view = find_document(db, doc)
    except DatabaseUnavailable as exc:
        raise _db_exit(exc)
    if view is None:
        err.print(f"reportdb: no single document matches {doc!r}")
        raise typer.Exit(1)
    print_document(view, out, keys)
    if not keys:
        out.print(Text(f"keys for reportdb correct: reportdb show {doc} --keys", style="dim"))


@app.command("review")
def review_cmd(db: str = DbOption,
               out_dir: Path = typer.Option(Path("review"), "--out", help="Folder for the HTML site."),
               doc: Optional[str] = typer.Option(None, "--doc", help="Only this document."),
               serve: bool = typer.Option(False, "--serve", help="Run the verification station: a web app "
                                                                 "on this machine to confirm and correct values."),
               host: str = typer.Option("127.0.0.1", "--host", help="With --serve: the address to listen on."),
               port: int = typer.Option(8765, "--port", help="With --serve: the port."),
               allow_remote: bool = typer.Option(False, "--allow-remote",
                                                 help="With --serve: allow an address beyond loopback "
                                                      "(the station has no login)."),
               wait: float = ReadWait) -> None:
    """Write the static review site (documents needing review, pages with the cells'
    boxes, tables coloured by confidence, failed identities, repairs), or with
    --serve run the verification station at http://127.0.0.1:8765/."""
    set_read_wait(wait)
    if serve:
        from .station import NotLoopback, serve as run_station
        try:
            out.print(f"verification station on http://{host}:{port}/ (Ctrl-C stops it)")
            run_station(db, host, port, allow_remote)
        except NotLoopback as exc:
            err.print(f"reportdb: {exc}")
            raise typer.Exit(EXIT_USAGE)
        except DatabaseUnavailable as exc:
            raise _db_exit(exc)
        return
    from .review import write_site

    try:
        site = write_site(db, out_dir, doc)
    except DatabaseUnavailable as exc:
        raise _db_exit(exc)
    except LookupError as exc:
        err.print(f"reportdb: {exc.args[0]}")
        raise typer.Exit(1)
    except OSError as exc:
        err.print(f"reportdb: {out_dir}: cannot write the site: {exc.strerror or exc}")
        raise typer.Exit(2)
    out.print(f"{len(site.pages)} document pages → {site.index}")


# a value may be negative (本年增/减 -3): the correct command takes "-3" as the value,
# not as an unknown option
@app.command("correct", context_settings={"ignore_unknown_options": True})
def correct_cmd(doc: str = typer.Argument(..., help="doc_id (or a unique prefix) or source path."),
                table: str = typer.Argument(..., help="proactive | requests | appeals"),
                row: str = typer.Argument(..., help="row key, e.g. granted"),
                col: str = typer.Argument(..., help="column key, e.g. natural_person"),
                value: Optional[str] = typer.Argument(None, help="the value as it should read (12, -3, −3, —, "
                                                                 "blank '')"),
                by: str = typer.Option(..., "--by", help="who makes the correction"),
                note: Optional[str] = typer.Option(None, "--note", help="why"),
                accept: bool = typer.Option(False, "--accept", help="take the repair the identities suggest"),
                from_copy: bool = typer.Option(False, "--from-copy",
                                               help="take the correction a copy of the report has for this "
                                                    "cell (see 'reportdb show DOC')"),
                db: str = DbOption, wait: float = WriteWait) -> None:
    """Correct one cell (kept in ``corrections``, applied in ``cell_values``,
    surviving re-ingests and a changed file of the same report); the document's
    identities and status are re-evaluated, and the correction is offered to the
    report's copies. Exit 1: no such cell or value; 3: database busy past --wait;
    4: unusable."""
    from warehouse.corrections import CorrectionError
    from warehouse.query import open_writable

    from .verify import correct

    from .lock import BatchLock

    if not Path(db).exists():
        raise _db_exit(DatabaseUnusableError(f"{db}: no such database (run 'reportdb ingest' first)"))
    try:
        lock = BatchLock(db).acquire(wait, _on_wait)  # a correction writes: not while a batch owns the file
    except DatabaseUnavailable as exc:
        raise _db_exit(DatabaseBusy(f"{exc}; correct again when it has finished"))
    try:
        con = open_writable(db, wait, _on_wait)
    except DatabaseUnavailable as exc:
        lock.release()
        raise _db_exit(exc)
    try:
        res = correct(con, doc, table, row, col, value, by, note, accept, from_copy)
    except CorrectionError as exc:
        err.print(f"reportdb: {exc}")
        raise typer.Exit(1)
    finally:
        con.close()
        lock.release()
    style = _STYLE.get(res.status, "")
    out.print(Text.assemble(f"correction #{res.correction_id} recorded; {res.doc_id} is now ",
                            (res.status, style), f" ({res.checks_failed} identities failing)"))
    for copy in res.offered:  # the same report from another file: the person decides there
        out.print(Text(f"offered to copy {copy}: reportdb correct {copy} {shown_name(table)} {shown_name(row)} "
                       f"{shown_name(col)} --from-copy --by NAME"))


class ExportFormat(str, Enum):
    parquet = "parquet"
    csv = "csv"


@app.command("export")
def export_cmd(out_dir: Path = typer.Argument(..., help="Folder to write (created; an existing one "
                                                          "only if empty, or with --overwrite)."),
               db: str = DbOption,
               format: ExportFormat = typer.Option(ExportFormat.parquet, "--format",
                                                   help="parquet (hive-partitioned by year and province) or csv."),
               overwrite: bool = typer.Option(False, "--overwrite",
                                              help="Replace a folder that holds files (an earlier export)."),
               wait: float = ReadWait) -> None:
    """Write every table and research view to files other engines can read. The
    export is written beside the folder and swapped in whole: no file of an earlier
    export survives, and a reader never sees half of one."""
    from warehouse.export import ExportRefused, export
    set_read_wait(wait)
    try:
        written = export(db, str(out_dir), format.value, overwrite=overwrite)
    except DatabaseUnavailable as exc:
        raise _db_exit(exc)
    except ExportRefused as exc:
        err.print(f"reportdb: {exc}")
        raise typer.Exit(EXIT_USAGE)
    except (duckdb.Error, OSError) as exc:
        err.print(f"reportdb: export failed: {str(exc).splitlines()[0]}")
        raise typer.Exit(1)
    for e in written:
        out.print(f"{e.name:<18} {e.rows:>8} rows  {e.path}")
    out.print(f"{len(written)} tables and views → {out_dir}")


@app.command("audit")
def audit_cmd(doc: Optional[str] = typer.Argument(None, help="doc_id (or a unique prefix) or source path."),
              all_docs: bool = typer.Option(False, "--all", help="The findings of every report."),
              fmt: str = typer.Option("table", "--format", help="table or csv."),
              db: str = DbOption, wait: float = ReadWait) -> None:
    """Print what a report itself gets wrong (findings: failed identities on values read
    with certainty, cross-year breaks, prose against table, tables not printed …),
    grouped by kind; doubts about the reading are in `show` and `review`."""
    from warehouse.findings import AUDIT_COLUMNS, NoSuchDocument, audit
    if (doc is None) == (not all_docs):
        err.print("reportdb: name one document, or give --all")
        raise typer.Exit(2)
    if fmt not in ("table", "csv"):
        err.print(f"reportdb: unknown format {fmt!r} (table or csv)")
        raise typer.Exit(2)
    set_read_wait(wait)
    try:
        rows = audit(db, doc)
    except DatabaseUnavailable as exc:
        raise _db_exit(exc)
    except NoSuchDocument as exc:
        err.print(f"reportdb: {exc}")
        raise typer.Exit(1)
    if fmt == "csv":
        w = csv.DictWriter(sys.stdout, fieldnames=list(AUDIT_COLUMNS), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        return
    if not rows:
        out.print("no findings: the report is consistent" if doc else "no findings in any report")
        return
    kinds: dict[str, list[dict]] = {}
    for r in rows:
        kinds.setdefault(r["finding"], []).append(r)
    for kind, group in kinds.items():
        out.print(Text(f"{kind} ({len(group)})", style="bold"))
        for r in group:
            t = Text("  ")
            t.append(f"{r['year'] or '----'}  {shown_name(r['agency'] or '(agency unknown)')}  ")
            t.append(shown_name(f"{r['detail']}"))
            t.append(f"  [{r['doc_id']}]", style="dim")
            out.print(t)
    out.print(f"{len(rows)} findings in {len({r['doc_id'] for r in rows})} documents")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
