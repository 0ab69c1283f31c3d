"""Corrections: what a person decided a cell should read, with who, when and why.

Corrections live in their own table keyed by the input's content hash and the
cell's canonical key, never in ``cells``: re-ingesting or re-processing a file
rewrites ``cells`` but leaves the corrections standing, and the ``cell_values``
view applies the latest one. A correction whose cell no longer exists is an
*orphan*: listed, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import duckdb

from .paths import stored_path


class CorrectionError(Exception):
    """A correction that cannot be recorded (one line, naming the reason)."""


@dataclass(frozen=True)
class Correction:
    correction_id: int
    doc_id: str
    table_key: str
    row_key: str
    col_key: str
    old_raw: str | None
    new_raw: str | None
    new_value: float | None
    corrected_by: str
    corrected_at: datetime
    note: str | None
    kind: str


def document(con: duckdb.DuckDBPyConnection, doc: str) -> tuple[str, str, str | None]:
    """(doc_id, sha256, format) of the document ``doc`` names: its id, a unique id
    prefix, or its source path."""
    doc = stored_path(doc)  # a path as the file system gave it: as it was stored
    rows = con.execute("SELECT doc_id, sha256, format FROM documents WHERE doc_id LIKE ? || '%' "
                       "OR source_path = ?", [doc, doc]).fetchall()
    if not rows:
        raise CorrectionError(f"{doc}: no such document in the database")
    if len(rows) > 1:
        raise CorrectionError(f"{doc}: names {len(rows)} documents; give more of the id")
    return rows[0]


def record(con: duckdb.DuckDBPyConnection, doc_id: str, sha256: str, key: tuple[str, str, str],
           new_value: float | None, new_raw: str, by: str, note: str | None, kind: str,
           addable: bool = False) -> int:
    """Write one correction of a cell; returns its id. A cell that was not
    extracted is added (kind ``added``) only when ``addable``: it is a cell the
    document's format prints (the caller knows the format)."""
    row = con.execute("SELECT value, raw FROM cell_values WHERE doc_id = ? AND table_key = ? "
                      "AND row_key = ? AND col_key = ?", [doc_id, *key]).fetchone()
    if row is None:
        if not addable:
            raise CorrectionError(f"{doc_id}: no cell {key[0]}:{key[1]}/{key[2]} in this document or "
                                  "its format (see 'reportdb show')")
        row, kind = (None, None), "added"
    elif not con.execute("SELECT count(*) FROM cells WHERE doc_id = ? AND table_key = ? AND row_key = ? "
                         "AND col_key = ?", [doc_id, *key]).fetchone()[0]:
        kind = "added"  # a second word on a cell a person added: it stays an added cell
    if not by.strip():
        raise CorrectionError("a correction needs the name of who made it (--by)")
    return con.execute(
        "INSERT INTO corrections (sha256, doc_id, table_key, row_key, col_key, old_value, old_raw, "
        "new_value, new_raw, corrected_by, corrected_at, note, kind) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING correction_id",
        [sha256, doc_id, *key, row[0], row[1], new_value, new_raw, by.strip(),
         datetime.now(timezone.utc).replace(tzinfo=None), note, kind]).fetchone()[0]


def of_document(con: duckdb.DuckDBPyConnection, doc_id: str) -> list[Correction]:
    """Every correction made to the document's content, oldest first."""
    rows = con.execute(
        "SELECT correction_id, ?, table_key, row_key, col_key, old_raw, new_raw, new_value, "
        "corrected_by, corrected_at, note, kind FROM corrections WHERE sha256 = "
        "(SELECT sha256 FROM documents WHERE doc_id = ?) ORDER BY corrected_at, correction_id",
        [doc_id, doc_id]).fetchall()
    return [Correction(*r) for r in rows]


def orphans(con: duckdb.DuckDBPyConnection) -> list[tuple[int, str, str, str]]:
    """Corrections whose cell is not (or no longer) among the extracted cells,
    except cells a person added to a document still loaded:
    (correction_id, doc_id, cell, why)."""
    rows = con.execute("""
        SELECT k.correction_id, k.doc_id, k.table_key || ':' || k.row_key || '/' || k.col_key,
               CASE WHEN d.doc_id IS NULL THEN 'the document is no longer in the database'
                    ELSE 'the cell is no longer extracted' END
        FROM corrections k
        LEFT JOIN documents d ON d.sha256 = k.sha256 AND d.status <> 'failed'
        LEFT JOIN cells c ON c.doc_id = d.doc_id AND c.table_key = k.table_key
             AND c.row_key = k.row_key AND c.col_key = k.col_key
        WHERE c.doc_id IS NULL AND NOT (k.kind = 'added' AND d.doc_id IS NOT NULL)
        ORDER BY k.correction_id""").fetchall()
    return [tuple(r) for r in rows]


ORPHAN_FLAG = "correction_orphaned"


def store_outcome(con: duckdb.DuckDBPyConnection, doc_id: str, checks: list[tuple], status: str,
                  orphan_flags: list[tuple[str, str]]) -> None:
    """Store the identities as evaluated on the corrected values, the status they
    give, and a review flag per orphaned correction (inside the caller's transaction)."""
    con.execute("DELETE FROM checks WHERE doc_id = ?", [doc_id])
    if checks:
        con.executemany("INSERT INTO checks VALUES (?,?,?,?,?,?)", [(doc_id, *c) for c in checks])
    con.execute("DELETE FROM flags WHERE doc_id = ? AND flag = ?", [doc_id, ORPHAN_FLAG])
    for scope, detail in orphan_flags:
        con.execute("INSERT INTO flags VALUES (?,?,?,?,'review')", [doc_id, ORPHAN_FLAG, scope, detail])
    con.execute("UPDATE documents SET status = ? WHERE doc_id = ?", [status, doc_id])
