"""Loading: one transaction per document, idempotent by content hash.

* The same bytes ingested again with the same pipeline version change nothing.
* A changed file (same path, new hash) replaces its old version.
* A newer pipeline version re-processes and replaces the document.
* A failed file leaves a ``documents`` row with status ``failed`` and a
  ``failures`` row with the stage and reason — and nothing half-loaded.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone

import duckdb

from extract.model import Extraction

from .findings import refresh_report_status
from .paths import stored_path, stored_text
from .regions import write_region
from .schema import DOC_TABLES


def doc_id_for(sha256: str | None, path: str) -> str:
    if sha256:
        return sha256[:16]
    return "p" + hashlib.sha256(path.encode()).hexdigest()[:15]


@dataclass(frozen=True)
class Known:
    doc_id: str
    source_path: str
    status: str
    pipeline_version: str | None


def known(con: duckdb.DuckDBPyConnection, sha256: str) -> Known | None:
    row = con.execute("SELECT doc_id, source_path, status, pipeline_version FROM documents "
                      "WHERE sha256 = ?", [sha256]).fetchone()
    return Known(*row) if row else None


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _delete(con: duckdb.DuckDBPyConnection, doc_ids: list[str]) -> None:
    for d in doc_ids:
        for t in DOC_TABLES:
            con.execute(f"DELETE FROM {t} WHERE doc_id = ?", [d])
        con.execute("DELETE FROM documents WHERE doc_id = ?", [d])


def _replaced(con, doc_id: str, path: str) -> list[str]:
    rows = con.execute("SELECT doc_id FROM documents WHERE doc_id = ? OR source_path = ?",
                       [doc_id, path]).fetchall()
    return [r[0] for r in rows]


def load_document(con: duckdb.DuckDBPyConnection, *, path: str, sha256: str, media_type: str,
                  n_pages: int, x: Extraction, version: str,
                  images: list[tuple[int, int, int, float, bytes]] = (),
                  engines: dict[str, str] | None = None, published: tuple | None = None) -> str:
    """Write one document and everything read from it, atomically. Returns doc_id.
    ``images``: the OCR'd pages for review, as (page, width, height, scale, JPEG);
    ``engines``: the versions of what read it, stored as JSON (``documents.engines``);
    ``published``: (date, basis) where the file says when it was published.
    ``path`` as the file system gave it: stored in its printable form
    (``warehouse.paths.stored_path``)."""
    path = stored_path(path)
    doc_id = doc_id_for(sha256, path)
    con.execute("BEGIN TRANSACTION")
    try:
        _delete(con, _replaced(con, doc_id, path))
        con.execute(
            "INSERT INTO documents (doc_id, source_path, sha256, media_type, pages, title, agency, "
            "province, city, county, township, region_code, year, format, status, "
            "pipeline_version, ingested_at, engines, published_on, published_basis) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            [doc_id, path, sha256, media_type, n_pages, x.title, x.agency, x.province, x.city,
             x.county, x.township, x.region_code, x.year, x.format, x.status, version, _now(),
             _json(engines), *(published or (None, None))])
        _insert(con, "cells", [
            (doc_id, c.table_key, c.row_key, c.col_key, c.value, c.raw, c.unit, c.page,
             list(c.bbox) if c.bbox else None, c.confidence, c.origin) for c in x.cells])
        _insert(con, "checks", [(doc_id, c.check_key, c.scope, c.expected, c.actual, c.ok)
                                for c in x.checks])
        _insert(con, "mentions", [(doc_id, i, m.page, m.section, m.value, m.unit, m.qualifier,
                                   m.text, m.raw) for i, m in enumerate(x.mentions)])
        _insert(con, "pages", [(doc_id, n, t, s) for n, t, s in x.pages])
        _insert(con, "paragraphs", [(doc_id, p.seq, p.section, p.page, p.kind, p.text)
                                    for p in x.paragraphs])
        _insert(con, "flags", [(doc_id, f.flag, f.scope, f.detail, f.severity) for f in x.flags])
        _insert(con, "page_images", [(doc_id, *im) for im in images])
        write_region(con, doc_id, x.region)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return doc_id


def record_failure(con: duckdb.DuckDBPyConnection, *, run_id: int, path: str, sha256: str | None,
                   media_type: str | None, stage: str, error: str, version: str,
                   engines: dict[str, str] | None = None, published: tuple | None = None) -> str:
    """A file that could not be loaded: a ``failed`` document row and a failures row
    (tried by this run)."""
    path, error = stored_path(path), stored_text(error)
    doc_id = doc_id_for(sha256, path)
    con.execute("BEGIN TRANSACTION")
    try:
        _delete(con, _replaced(con, doc_id, path))
        con.execute("INSERT INTO documents (doc_id, source_path, sha256, media_type, status, "
                    "pipeline_version, ingested_at, engines) VALUES (?,?,?,?,?,?,?,?)",
                    [doc_id, path, sha256, media_type, "failed", version, _now(), _json(engines)])
        add_failure(con, run_id, path, stage, error, sha256)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return doc_id


def _json(engines: dict[str, str] | None) -> str | None:
    return json.dumps(engines, ensure_ascii=False, sort_keys=True) if engines else None


# the pandas dtype that carries each column type into DuckDB unchanged: nullable
# numbers (None stays NULL, never NaN), text and BLOBs as Python objects, lists
# as their DuckDB literal (an object column of lists is typed from a sample)
_DTYPES = {"INTEGER": "Int32", "BIGINT": "Int64", "DOUBLE": "Float64", "BOOLEAN": "boolean"}


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    return con.execute("SELECT column_name, data_type FROM information_schema.columns "
                       "WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
                       [table]).fetchall()


def _list_literal(v) -> str | None:
    return None if v is None else "[" + ", ".join(repr(float(x)) for x in v) + "]"


def _insert(con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple]) -> None:
    """All of a document's rows of one table in one statement: a pandas frame,
    one column per table column, scanned by DuckDB (``executemany`` ran one
    INSERT per row: about 4x slower on a large text dump, see bench/RESULTS.md)."""
    if not rows:
        return
    import pandas as pd

    cols = _columns(con, table)
    if len(cols) != len(rows[0]):
        raise ValueError(f"{table}: {len(rows[0])} values a row for {len(cols)} columns")
    data = {}
    for i, (name, kind) in enumerate(cols):
        values = [r[i] for r in rows]
        if kind.endswith("[]"):
            data[name] = pd.Series([_list_literal(v) for v in values], dtype=object)
        elif kind in _DTYPES:
            data[name] = pd.array(values, dtype=_DTYPES[kind])
        else:
            data[name] = pd.Series(values, dtype=object)
    view = f"_bulk_{table}"
    con.register(view, pd.DataFrame(data, copy=False))
    try:
        select = ", ".join(f'CAST("{n}" AS {k})' for n, k in cols)
        con.execute(f"INSERT INTO {table} SELECT {select} FROM {view}")
    finally:
        con.unregister(view)


def add_failure(con: duckdb.DuckDBPyConnection, run_id: int, path: str, stage: str, error: str,
                sha256: str | None = None, tried_run_id: int | None = None) -> None:
    """One failures row. ``tried_run_id``: the run that tried the file (this one
    unless the file failed before and was not tried again)."""
    con.execute("INSERT INTO failures (run_id, source_path, stage, error, sha256, tried_run_id) "
                "VALUES (?,?,?,?,?,?)", [run_id, stored_path(path), stage, stored_text(error), sha256,
                                         run_id if tried_run_id is None else tried_run_id])


def start_run(con: duckdb.DuckDBPyConnection, command: str | None = None) -> int:
    run_id = con.execute("SELECT coalesce(max(run_id), 0) + 1 FROM runs").fetchone()[0]
    con.execute("INSERT INTO runs (run_id, started_at, finished_at, files_seen, files_loaded, files_failed, "
                "files_unchanged, files_failed_before, command) VALUES (?, ?, NULL, 0, 0, 0, 0, 0, ?)",
                [run_id, _now(), command])
    return run_id


def finish_run(con: duckdb.DuckDBPyConnection, run_id: int, seen: int, loaded: int,
               failed: int, unchanged: int = 0, failed_before: int = 0) -> None:
    """The run's counts, as its summary prints them (``runs`` in the README)."""
    con.execute("UPDATE runs SET finished_at = ?, files_seen = ?, files_loaded = ?, files_failed = ?, "
                "files_unchanged = ?, files_failed_before = ? WHERE run_id = ?",
                [_now(), seen, loaded, failed, unchanged, failed_before, run_id])
    refresh_report_status(con)  # another year of an agency can change its findings
