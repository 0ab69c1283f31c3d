"""Read-only access for researchers and for ``reportdb show``.

Queries open the database read-only, so they never take the writer's place.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from .schema import connect


class DatabaseUnavailable(Exception):
    """The database file is missing or held by a writer."""


def open_read_only(db: str) -> duckdb.DuckDBPyConnection:
    if not Path(db).exists():
        raise DatabaseUnavailable(f"{db}: no such database (run 'reportdb ingest' first)")
    try:
        return connect(db, read_only=True)
    except duckdb.IOException as exc:
        msg = str(exc).splitlines()[0]
        if "lock" in msg.lower():
            raise DatabaseUnavailable(f"{db}: being written by another process; try again "
                                      "when it finishes") from exc
        raise DatabaseUnavailable(f"{db}: {msg}") from exc


@dataclass
class Result:
    columns: list[str]
    rows: list[tuple]


def run_query(db: str, sql: str) -> Result:
    """Run one SQL statement read-only. Raises ``duckdb.Error`` for bad SQL."""
    con = open_read_only(db)
    try:
        cur = con.execute(sql)
        cols = [d[0] for d in cur.description] if cur.description else []
        return Result(cols, cur.fetchall() if cols else [])
    finally:
        con.close()


@dataclass
class DocumentView:
    meta: dict
    cells: dict[tuple[str, str, str], tuple[float | None, str, str | None]]
    failed_checks: list[tuple]
    flags: list[tuple]


def find_document(db: str, ref: str) -> DocumentView | None:
    """A document by doc_id, a unique doc_id prefix, or its source path."""
    con = open_read_only(db)
    try:
        cur = con.execute("SELECT * FROM documents WHERE doc_id = ? OR source_path = ? "
                          "OR doc_id LIKE ? || '%' ORDER BY doc_id", [ref, ref, ref])
        cols = [d[0] for d in cur.description]
        rows = cur.fetchall()
        if len(rows) != 1:
            exact = [r for r in rows if r[0] == ref or r[1] == ref]
            if len(exact) != 1:
                return None
            rows = exact
        meta = dict(zip(cols, rows[0]))
        doc_id = meta["doc_id"]
        cells = {(t, r, c): (v, raw, origin) for t, r, c, v, raw, origin in con.execute(
            "SELECT table_key, row_key, col_key, value, raw, origin FROM cells WHERE doc_id = ?",
            [doc_id]).fetchall()}
        failed = con.execute("SELECT check_key, scope, expected, actual FROM checks "
                             "WHERE doc_id = ? AND NOT ok ORDER BY check_key, scope",
                             [doc_id]).fetchall()
        flags = con.execute("SELECT flag, scope, detail FROM flags WHERE doc_id = ? "
                            "AND severity = 'review'", [doc_id]).fetchall()
        return DocumentView(meta, cells, failed, flags)
    finally:
        con.close()
