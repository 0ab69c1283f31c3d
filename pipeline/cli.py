"""The ``reportdb`` command: a thin layer over ``pipeline.ingest``,
``warehouse.query`` and ``pipeline.render``.

Exit codes: 0 success; 1 some input failed (ingest) or the query/document was
bad; 2 the command itself could not run (database unavailable, bad usage).
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

from warehouse.query import DatabaseUnavailable, QueryRefused, find_document, run_query

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
        return t
    if r.outcome == "unchanged":
        t.append(f"unchanged  {path}" + (f"  ({shown_name(r.note)})" if r.note else ""), style="dim")
        return t
    t.append(f"{r.year or '----'}  {r.format or '-':<8} {shown_name(r.agency or '(agency unknown)')}  ")
    t.append(f"{r.cells} cells, {r.checks_failed} checks failed", style="dim")
    t.append(f"  {path}")
    return t


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
                   None, "--searchable-pdf", help="Write a searchable PDF of every OCR'd input here.")) -> None:
    """Read reports, extract their tables and text, and load them into the database."""
    from ocr.engines import EngineUnavailable, engine as get_engine
    try:
        get_engine(ocr_engine)
    except EngineUnavailable as exc:
        err.print(f"reportdb: OCR engine {ocr_engine!r} unavailable: {exc}")
        raise typer.Exit(2)
    from .lock import BatchLock, LockHeld
    try:
        lock = BatchLock(db).acquire()  # a running batch owns the database
    except (LockHeld, OSError) as exc:
        err.print(f"reportdb: {exc}")
        raise typer.Exit(2)
    try:
        if _VERBOSITY["level"] >= 2:
            from .version import installation_versions
            v = installation_versions(ocr_engine)
            out.print(Text(f"reportdb {v['reportdb']}; {ocr_engine} {v.get('tesseract', '')}; "
                           f"OpenCV {v.get('opencv-python-headless', '?')}; DuckDB {v.get('duckdb', '?')} "
                           f"→ {db}", style="dim"))

        def on_result(r: FileResult) -> None:
            if _VERBOSITY["level"] >= 1 or r.outcome == "failed":
                out.print(_line(r))

        summary = ingest([str(p) for p in paths], db, on_result=on_result,
                         workers=workers, engine=ocr_engine,
                         searchable_dir=str(searchable_pdf) if searchable_pdf else None)
    except duckdb.Error as exc:
        err.print(f"reportdb: cannot open {db}: {str(exc).splitlines()[0]}")
        raise typer.Exit(2)
    finally:
        lock.release()
    loaded = [r for r in summary.results if r.outcome == "loaded"]
    by_status = {s: sum(1 for r in loaded if r.status == s) for s in ("ok", "needs_review")}
    out.print(f"{len(summary.results)} files: {len(loaded)} loaded "
              f"({by_status['ok']} ok, {by_status['needs_review']} needs_review), "
              f"{summary.count('unchanged')} unchanged, {summary.count('failed')} failed → {db}")
    raise typer.Exit(0 if summary.ok else 1)


class Executor(str, Enum):
    local = "local"
    ray = "ray"


@app.command("batch")
def batch_cmd(inbox: Path = typer.Argument(..., help="Folder of uploads (searched recursively)."),
              db: str = DbOption,
              workers: Optional[int] = typer.Option(None, "--workers", min=1,
                                                    help="Files processed at once (default: every core)."),
              timeout_per_file: float = typer.Option(
                  3600, "--timeout-per-file", min=0.1,
                  help="Seconds one file may take before it is stopped and recorded as failed."),
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
                                             help="OCR engine for scans: tesseract or rapidocr.")) -> None:
    """Take in new and changed files from INBOX: in parallel, locked, crash-safe.
    Exit 0: all loaded; 1: some failed; 2: the batch could not run."""
    from .batch import BatchError, batch
    from .lock import LockHeld

    tty = sys.stdout.isatty()
    progress = None
    task = None
    if tty:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
        progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                            TimeRemainingColumn(), console=out, transient=False)

    def on_plan(plan) -> None:
        nonlocal task
        line = (f"{plan.total} documents in {inbox}: {plan.todo} to process, "
                f"{plan.unchanged} unchanged" + (f", {plan.skipped} paths not read (below)" if plan.skipped else ""))
        if progress is not None:
            progress.start()
            progress.console.print(line)
            task = progress.add_task("batch", total=plan.todo)
        else:
            out.print(line)

    def on_result(r: FileResult) -> None:
        if r.outcome == "unchanged" and not tty:
            return  # the log says what changed; the plan line counted the rest
        (progress.console if progress is not None else out).print(_line(r))
        if progress is not None and task is not None and r.outcome != "unchanged":
            progress.advance(task)

    def on_wait(msg: str) -> None:
        err.print(f"reportdb: {msg}")

    try:
        summary = batch(inbox, db, workers=workers, timeout=timeout_per_file, executor=executor.value,
                        address=address, retry_failed=retry_failed, engine=ocr_engine,
                        memory_limit=memory_per_worker << 20 if memory_per_worker else None,
                        on_plan=on_plan, on_result=on_result, on_wait=on_wait)
    except (BatchError, LockHeld) as exc:
        err.print(f"reportdb: {exc}")
        raise typer.Exit(2)
    except ImportError as exc:
        err.print(f"reportdb: executor {executor.value!r} unavailable: {exc} "
                  "(pip install 'reportdb[ray]')")
        raise typer.Exit(2)
    finally:
        if progress is not None:
            progress.stop()
    loaded = [r for r in summary.results if r.outcome == "loaded"]
    by_status = {s: sum(1 for r in loaded if r.status == s) for s in ("ok", "needs_review")}
    out.print(f"run {summary.run_id}: {len(summary.results)} documents: {len(loaded)} loaded "
              f"({by_status['ok']} ok, {by_status['needs_review']} needs_review), "
              f"{summary.count('unchanged')} unchanged, {summary.count('failed')} failed → {db}")
    raise typer.Exit(0 if summary.ok else 1)


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
              wait: float = typer.Option(60, "--wait", min=0,
                                         help="Seconds to wait while a writer holds the database."),
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
        raise typer.Exit(2)
    try:
        res = run_query(db, sql, wait, on_wait=lambda m: err.print(f"reportdb: {m}"),
                        allow_files=allow_files)
    except DatabaseUnavailable as exc:
        err.print(f"reportdb: {exc}")
        raise typer.Exit(2)
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
             db: str = DbOption) -> None:
    """Print one document's metadata and its tables laid out like the official format."""
    try:
        view = find_document(db, doc)
    except DatabaseUnavailable as exc:
        err.print(f"reportdb: {exc}")
        raise typer.Exit(2)
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
                                                      "(the station has no login).")) -> None:
    """Write the static review site (documents needing review, pages with the cells'
    boxes, tables coloured by confidence, failed identities, repairs), or with
    --serve run the verification station at http://127.0.0.1:8765/."""
    if serve:
        from .station import NotLoopback, serve as run_station
        try:
            out.print(f"verification station on http://{host}:{port}/ (Ctrl-C stops it)")
            run_station(db, host, port, allow_remote)
        except NotLoopback as exc:
            err.print(f"reportdb: {exc}")
            raise typer.Exit(2)
        except DatabaseUnavailable as exc:
            err.print(f"reportdb: {exc}")
            raise typer.Exit(2)
        return
    from .review import write_site

    try:
        site = write_site(db, out_dir, doc)
    except DatabaseUnavailable as exc:
        err.print(f"reportdb: {exc}")
        raise typer.Exit(2)
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
                db: str = DbOption) -> None:
    """Correct one cell (kept in ``corrections``, applied in ``cell_values``,
    surviving re-ingests); the document's identities and status are re-evaluated."""
    from warehouse.corrections import CorrectionError
    from warehouse.schema import connect

    from .verify import correct

    from .lock import BatchLock, LockHeld

    if not Path(db).exists():
        err.print(f"reportdb: {db}: no such database (run 'reportdb ingest' first)")
        raise typer.Exit(2)
    try:
        lock = BatchLock(db).acquire()  # a correction writes: not while a batch owns the file
    except (LockHeld, OSError) as exc:
        err.print(f"reportdb: {exc}; correct again when it has finished")
        raise typer.Exit(2)
    try:
        con = connect(db)
    except duckdb.IOException as exc:
        lock.release()
        err.print(f"reportdb: {db}: {str(exc).splitlines()[0]}")
        raise typer.Exit(2)
    try:
        res = correct(con, doc, table, row, col, value, by, note, accept)
    except CorrectionError as exc:
        err.print(f"reportdb: {exc}")
        raise typer.Exit(1)
    finally:
        con.close()
        lock.release()
    style = _STYLE.get(res.status, "")
    out.print(Text.assemble(f"correction #{res.correction_id} recorded; {res.doc_id} is now ",
                            (res.status, style), f" ({res.checks_failed} identities failing)"))


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
                                              help="Replace a folder that holds files (an earlier export).")) -> None:
    """Write every table and research view to files other engines can read. The
    export is written beside the folder and swapped in whole: no file of an earlier
    export survives, and a reader never sees half of one."""
    from warehouse.export import ExportRefused, export
    try:
        written = export(db, str(out_dir), format.value, overwrite=overwrite)
    except DatabaseUnavailable as exc:
        err.print(f"reportdb: {exc}")
        raise typer.Exit(2)
    except ExportRefused as exc:
        err.print(f"reportdb: {exc}")
        raise typer.Exit(2)
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
              db: str = DbOption) -> None:
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
    try:
        rows = audit(db, doc)
    except DatabaseUnavailable as exc:
        err.print(f"reportdb: {exc}")
        raise typer.Exit(2)
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
