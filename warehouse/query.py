"""Read-only access for researchers and for ``reportdb show``.

Queries open the database read-only, so they never take the writer's place.
A researcher's query (``run_query``, ``reportdb query``) is also *confined*: the
connection has DuckDB's ``enable_external_access = false`` and a locked
configuration, so it reads the database and nothing else (no file, no network,
no extension, no ``SET``), and only one read statement (``SELECT``, ``EXPLAIN``,
``DESCRIBE``, ``SHOW``, ``SUMMARIZE``, read-only ``PRAGMA``s) is run.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import duckdb

from ocr import limits as _limits

from .paths import stored_path
from .schema import connect


class DatabaseUnavailable(Exception):
    """The database cannot be used now: busy (``DatabaseBusy``) or unusable
    (``DatabaseUnusable``)."""


class DatabaseBusy(DatabaseUnavailable):
    """Another process holds the database (or its batch lock) past the wait: exit 3."""


class DatabaseUnusable(DatabaseUnavailable):
    """The database is missing, not a DuckDB file, damaged or unreadable: exit 4."""


READ_WAIT = _limits.READ_WAIT  # seconds a reader waits for a writer's commit window to close


def set_read_wait(seconds: float) -> None:
    """The wait of every reader in this process that is not given one (``--wait``)."""
    global READ_WAIT
    READ_WAIT = seconds


def lock_conflict(exc: BaseException) -> bool:
    """DuckDB's refusal because another process has the file open."""
    msg = str(exc).lower()
    return "lock" in msg and ("conflicting" in msg or "could not set" in msg)


def holder(exc_or_msg) -> str:
    m = re.search(r"PID (\d+)", str(exc_or_msg))
    return f"process {m.group(1)}" if m else "another process"


_holder = holder


def unusable(db: str, exc: BaseException) -> DatabaseUnusable:
    """DuckDB's reason in one line, with what it means for the user (not DuckDB's
    advice, which is about its own command-line tool)."""
    msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    msg = re.sub(r"\s*See also https?://\S+", "", msg)
    return DatabaseUnusable(f"{db}: cannot be used as a database ({msg})")


class QueryRefused(Exception):
    """The SQL is not one read statement: it is refused before it runs."""


# the settings of a researcher's connection; lock_configuration last, so nothing
# (not even a later SET in the query) can change the others
CONFINED = {"enable_external_access": False, "autoinstall_known_extensions": False,
            "autoload_known_extensions": False, "allow_community_extensions": False,
            "lock_configuration": True}
# --allow-files: files may be read and written (read_csv, COPY TO, EXPORT), but no
# extension is fetched and the configuration stays locked
FILES_ALLOWED = {"enable_external_access": True, "autoinstall_known_extensions": False,
                 "allow_community_extensions": False, "lock_configuration": True}


def _confined_connect(db: str, allow_files: bool) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(db, read_only=True, config=dict(FILES_ALLOWED if allow_files else CONFINED))


def open_read_only(db: str, wait: float | None = None,
                   on_wait: Callable[[str], None] | None = None,
                   opener: Callable[[str], duckdb.DuckDBPyConnection] | None = None
                   ) -> duckdb.DuckDBPyConnection:
    """Open ``db`` read-only (with ``opener``, by default ``schema.connect``). While a
    writer holds the file (a batch commits in short windows) try again for up to
    ``wait`` seconds (default ``READ_WAIT``), telling ``on_wait`` why once; then
    ``DatabaseBusy``. A missing or damaged file: ``DatabaseUnusable``."""
    opener = opener or (lambda path: connect(path, read_only=True))
    wait = READ_WAIT if wait is None else wait
    if not Path(db).exists():
        raise DatabaseUnusable(f"{db}: no such database (run 'reportdb ingest' first)")
    deadline = time.monotonic() + wait
    told = False
    while True:
        try:
            return opener(db)
        except duckdb.Error as exc:
            msg = str(exc).splitlines()[0]
            if not lock_conflict(exc):
                raise unusable(db, exc) from exc
            if time.monotonic() >= deadline:
                raise DatabaseBusy(f"{db}: being written by {_holder(msg)}; still busy after "
                                   f"{wait:g} s, try again when it finishes") from exc
            if not told and on_wait is not None:
                on_wait(f"{db}: being written by {_holder(msg)} (a batch commits in short "
                        f"windows); waiting up to {wait:g} s")
                told = True
            time.sleep(0.05)


def open_writable(db: str, wait: float | None = None,
                  on_wait: Callable[[str], None] | None = None) -> duckdb.DuckDBPyConnection:
    """Open ``db`` for writing (``schema.connect``: the schema is created or
    upgraded), trying again for up to ``wait`` seconds while another process has
    the file open (a reader on the writer's file, a batch's commit window),
    telling ``on_wait`` once; then ``DatabaseBusy``. A damaged file: ``DatabaseUnusable``."""
    wait = _limits.WRITE_WAIT if wait is None else wait
    deadline = time.monotonic() + wait
    told = False
    while True:
        try:
            return connect(db)
        except duckdb.Error as exc:
            if not lock_conflict(exc):
                raise unusable(db, exc) from exc
            who = holder(exc)
            if time.monotonic() >= deadline:
                raise DatabaseBusy(f"{db}: held open by {who} for {wait:g} s; nothing was written "
                                   "(a notebook or BI tool should open the snapshot beside it instead)") from exc
            if not told and on_wait is not None:
                on_wait(f"{db}: open in {who} (a reader holding the database file?); waiting up to {wait:g} s")
                told = True
            time.sleep(0.1)


@dataclass
class Result:
    columns: list[str]
    rows: list[tuple]


# statement types a researcher's query may be; DESCRIBE, SHOW, SUMMARIZE and the
# read-only PRAGMAs (table_info, database_list …) parse as SELECT
READ_STATEMENTS = {"SELECT", "EXPLAIN"}
# with --allow-files, writing query results to files is the point
FILE_STATEMENTS = {"COPY", "EXPORT"}
_REASON = {"ATTACH": "ATTACH opens another database", "DETACH": "DETACH changes the databases open",
           "SET": "SET/RESET/USE change the connection", "LOAD": "INSTALL/LOAD fetch or run extensions",
           "COPY": "COPY reads or writes files (use --allow-files)",
           "EXPORT": "EXPORT DATABASE writes files (use --allow-files)",
           "COPY_DATABASE": "COPY FROM DATABASE writes another database",
           "PRAGMA": "this PRAGMA changes settings or writes", "VARIABLE_SET": "SET VARIABLE changes the connection",
           "CALL": "CALL runs a procedure (use SELECT * FROM fn() for table functions)",
           "TRANSACTION": "transactions are not needed to read"}


def check_statement(con: duckdb.DuckDBPyConnection, sql: str, allow_files: bool = False):
    """The one statement of ``sql`` if it only reads, else ``QueryRefused``. Parsed on
    the confined connection itself: the parser expands some statements (IMPORT
    DATABASE reads its files), which must not reach the file system either."""
    try:
        stmts = con.extract_statements(sql)
    except duckdb.PermissionException as exc:
        raise QueryRefused(f"refused: {str(exc).splitlines()[0]}") from exc
    if not stmts:
        raise QueryRefused("refused: no SQL statement given")
    if len(stmts) > 1:
        raise QueryRefused(f"refused: {len(stmts)} statements given; a query is exactly one statement")
    st = stmts[0]
    kind = st.type.name
    allowed = READ_STATEMENTS | (FILE_STATEMENTS if allow_files else set())
    if kind not in allowed:
        why = _REASON.get(kind, "only a read statement (SELECT, EXPLAIN, DESCRIBE, SHOW) may run")
        m = re.match(r"\s*([A-Za-z_]+)", sql)
        word = m.group(1).upper() if m else kind
        raise QueryRefused(f"refused: {word}: {why}; the database is opened read-only and confined")
    return st


def run_query(db: str, sql: str, wait: float | None = None,
              on_wait: Callable[[str], None] | None = None, allow_files: bool = False) -> Result:
    """Run one read statement on a confined read-only connection (module docstring).
    Raises ``QueryRefused`` for anything else, ``duckdb.Error`` for bad SQL;
    ``allow_files`` lets the query read and write files (``read_csv``, ``COPY TO``)."""
    con = open_read_only(db, wait, on_wait, opener=lambda path: _confined_connect(path, allow_files))
    try:
        st = check_statement(con, sql, allow_files)
        try:
            cur = con.execute(st)
        except duckdb.PermissionException as exc:  # read_text('/etc/passwd'), read_csv …
            raise QueryRefused(f"refused: {str(exc).splitlines()[0]} (the query may read only the "
                               "database; --allow-files lets it read and write files)") from exc
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
    # the same report read from other files (warehouse.corrections): (doc_id, source_path,
    # cells compared), and their corrections this document does not share yet (Offer)
    copies: list[tuple] = field(default_factory=list)
    offers: list = field(default_factory=list)
    # what the report itself gets wrong (warehouse.findings): (finding, scope, detail, severity)
    findings: list[tuple] = field(default_factory=list)


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
        sql = """
            SELECT d.doc_id, d.source_path, d.agency, d.year, d.format, d.status, d.media_type,
                   (SELECT count(*) FROM checks k WHERE k.doc_id = d.doc_id AND NOT k.ok) AS failed,
                   (SELECT list(DISTINCT f.flag ORDER BY f.flag) FROM flags f
                     WHERE f.doc_id = d.doc_id AND f.severity = 'review') AS reasons,
                   (SELECT count(*) FROM corrections c WHERE c.sha256 = d.sha256) AS corrections,
                   {extra}
            ORDER BY d.status = 'ok', d.status, d.source_path"""
        try:  # what the report gets wrong, and corrections its copies offer: counted once
            cur = con.execute(sql.format(extra=(
                "d.report_status, coalesce(f.n, 0) AS findings, coalesce(o.n, 0) AS offers FROM documents d "
                "LEFT JOIN (SELECT doc_id, count(*) AS n FROM findings GROUP BY doc_id) f USING (doc_id) "
                "LEFT JOIN (SELECT doc_id, count(*) AS n FROM correction_offers GROUP BY doc_id) o "
                "USING (doc_id)")))
        except (duckdb.CatalogException, duckdb.BinderException, duckdb.InvalidInputException):  # a database from before findings and copies
            cur = con.execute(sql.format(extra="NULL AS report_status, 0 AS findings, 0 AS offers "
                                               "FROM documents d"))
        cols = [c[0] for c in cur.description]
        return [dict(zip(cols, r)) for r in cur.fetchall()]
    finally:
        con.close()


def _document(con, ref: str, images: bool) -> DocumentView | None:
    ref = stored_path(ref)  # a path as the file system gave it: as it was stored
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
    from .corrections import copies, offers
    try:
        view.copies = copies(con, doc_id)
        view.offers = offers(con, doc_id)
        view.findings = con.execute("SELECT finding, scope, detail, severity FROM findings WHERE doc_id = ? "
                                    "ORDER BY finding, scope", [doc_id]).fetchall()
    except (duckdb.CatalogException, duckdb.BinderException, duckdb.InvalidInputException):  # a database from before these views
        # (a missing view is looked for among Python names first): they come at its next write
        pass
    if images:
        view.images = {p: (w, h, sc, bytes(j)) for p, w, h, sc, j in con.execute(
            "SELECT page, width, height, scale, jpeg FROM page_images WHERE doc_id = ? ORDER BY page",
            [doc_id]).fetchall()}
    return view
