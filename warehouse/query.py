"""Read-only access for researchers and for ``reportdb show``.

Queries open the database read-only, so they never take the writer's place.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import duckdb

from .schema import connect


class DatabaseUnavailable(Exception):
    """The database file is missing or held by a writer."""


READ_WAIT = 60.0  # seconds a reader waits for a writer's commit window to close


def _holder(msg: str) -> str:
    m = re.search(r"PID (\d+)", msg)
    return f"process {m.group(1)}" if m else "another process"


def open_read_only(db: str, wait: float = READ_WAIT,
                   on_wait: Callable[[str], None] | None = None) -> duckdb.DuckDBPyConnection:
    """Open ``db`` read-only. While a writer holds the file (a batch commits in
    short windows) try again for up to ``wait`` seconds, telling ``on_wait`` why once."""
    if not Path(db).exists():
        raise DatabaseUnavailable(f"{db}: no such database (run 'reportdb ingest' first)")
    deadline = time.monotonic() + wait
    told = False
    while True:
        try:
            return connect(db, read_only=True)
        except duckdb.IOException as exc:
            msg = str(exc).splitlines()[0]
            if "lock" not in msg.lower():
                raise DatabaseUnavailable(f"{db}: {msg}") from exc
            if time.monotonic() >= deadline:
                raise DatabaseUnavailable(f"{db}: being written by {_holder(msg)}; still busy after "
                                          f"{wait:g} s, try again when it finishes") from exc
            if not told and on_wait is not None:
                on_wait(f"{db}: being written by {_holder(msg)} (a batch commits in short "
                        f"windows); waiting up to {wait:g} s")
                told = True
            time.sleep(0.05)


@dataclass
class Result:
    columns: list[str]
    rows: list[tuple]


def run_query(db: str, sql: str, wait: float = READ_WAIT,
              on_wait: Callable[[str], None] | None = None) -> Result:
    """Run one SQL statement read-only. Raises ``duckdb.Error`` for bad SQL."""
    con = open_read_only(db, wait, on_wait)
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
    # for the review site: where each cell was read, the page images, the corrections
    where: dict[tuple[str, str, str], tuple[int | None, tuple | None, float | None]] = field(default_factory=dict)
    images: dict[int, tuple[int, int, float, bytes]] = field(default_factory=dict)
    corrections: list[tuple] = field(default_factory=list)
    # a pre-2019 annex (table legacy_stats): (indicator path, unit) in printed order
    annex: list[tuple[str, str | None]] = field(default_factory=list)


def find_document(db: str, ref: str, images: bool = False) -> DocumentView | None:
    """A document by doc_id, a unique doc_id prefix, or its source path, its
    values as corrected (``cell_values``); ``images`` adds the page images."""
    con = open_read_only(db)
    try:
        return _document(con, ref, images)
    finally:
        con.close()


def list_documents(db: str) -> list[dict]:
    """Every document with its status and how many failed identities and review
    flags it has, those needing review first."""
    con = open_read_only(db)
    try:
        cur = con.execute("""
            SELECT d.doc_id, d.source_path, d.agency, d.year, d.format, d.status, d.media_type,
                   (SELECT count(*) FROM checks k WHERE k.doc_id = d.doc_id AND NOT k.ok) AS failed,
                   (SELECT list(DISTINCT f.flag ORDER BY f.flag) FROM flags f
                     WHERE f.doc_id = d.doc_id AND f.severity = 'review') AS reasons,
                   (SELECT count(*) FROM corrections c WHERE c.sha256 = d.sha256) AS corrections
            FROM documents d ORDER BY d.status = 'ok', d.status, d.source_path""")
        cols = [c[0] for c in cur.description]
        return [dict(zip(cols, r)) for r in cur.fetchall()]
    finally:
        con.close()


def _document(con, ref: str, images: bool) -> DocumentView | None:
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
    rows = con.execute("SELECT table_key, row_key, col_key, value, raw, origin, page, bbox, confidence "
                       "FROM cell_values WHERE doc_id = ?", [doc_id]).fetchall()
    cells = {(t, r, c): (v, raw, origin) for t, r, c, v, raw, origin, *_ in rows}
    where = {(t, r, c): (pg, tuple(b) if b else None, conf) for t, r, c, _, _, _, pg, b, conf in rows}
    failed = con.execute("SELECT check_key, scope, expected, actual FROM checks "
                         "WHERE doc_id = ? AND NOT ok ORDER BY check_key, scope",
                         [doc_id]).fetchall()
    flags = con.execute("SELECT flag, scope, detail FROM flags WHERE doc_id = ? "
                        "AND severity = 'review'", [doc_id]).fetchall()
    view = DocumentView(meta, cells, failed, flags, where)
    # the annex has no fixed row order to lay it out by: its rows come in the order the
    # document printed them, which is the order they were inserted (one transaction)
    view.annex = con.execute("SELECT row_key, any_value(unit) FROM cells WHERE doc_id = ? "
                             "AND table_key = 'legacy_stats' GROUP BY row_key ORDER BY min(rowid)",
                             [doc_id]).fetchall()
    view.corrections = con.execute(
        "SELECT correction_id, table_key, row_key, col_key, old_raw, new_raw, corrected_by, "
        "corrected_at, note, kind FROM corrections WHERE sha256 = ? ORDER BY correction_id",
        [meta["sha256"]]).fetchall()
    if images:
        view.images = {p: (w, h, sc, bytes(j)) for p, w, h, sc, j in con.execute(
            "SELECT page, width, height, scale, jpeg FROM page_images WHERE doc_id = ? ORDER BY page",
            [doc_id]).fetchall()}
    return view
