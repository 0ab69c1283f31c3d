"""Corrections: what a person decided a cell should read, with who, when and why.

Corrections live in their own table keyed by the input's content hash and the
cell's canonical key, never in ``cells``: re-ingesting or re-processing a file
rewrites ``cells`` but leaves the corrections standing, and the ``cell_values``
view applies the latest one. A correction whose cell no longer exists is an
*orphan*: listed, never dropped.

A correction belongs to the report, not only to the file it was made on:

* **copies**: documents that are readings of the same report (same agency and
  region code, year and format) whose cells are equal wherever both were read with
  confidence (``COPY_CONFIDENCE``) are copies (view ``copies``: a PDF and its text
  dump, a Word file and its scan). A correction made to one is *offered* to each
  copy whose cell still reads otherwise (view ``correction_offers``), shown there,
  and taken over by a person (``reportdb correct COPY … --from-copy``: kind
  ``copy``, ``copied_from`` naming the correction it repeats);
* **a changed file**: when a file is replaced by a changed one (new content, so a
  new ``doc_id``), the corrections made on the earlier file move to the new one
  (``carry_over``; ``carried_from`` keeps the earlier file's hash) where the new
  file reads the cell as the earlier one did, or already as corrected. Where it
  reads something else, or no longer has the cell, the correction is not applied:
  the new document gets a ``correction_orphaned`` flag that says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import duckdb

from .paths import stored_path
from .schema import REPORT_KEY

COPY_CONFIDENCE = 0.9  # a cell "read with confidence": the review site's "sure"

VIEWS = {
    # pairs of documents that are the same report: one agency (name and region code),
    # year and format, every cell equal where both read it with confidence, and at
    # least one such cell (each pair twice, once from each side)
    "copies": f"""
WITH d AS (SELECT doc_id, agency, region_code, year, format, source_path FROM documents
           WHERE status <> 'failed' AND agency IS NOT NULL AND year IS NOT NULL),
p AS (SELECT a.doc_id, b.doc_id AS copy_doc_id, a.agency, a.region_code, a.year, a.format,
             b.source_path AS copy_source_path
      FROM d a JOIN d b ON b.agency = a.agency AND b.region_code IS NOT DISTINCT FROM a.region_code
                       AND b.year = a.year AND b.format IS NOT DISTINCT FROM a.format
                       AND b.doc_id <> a.doc_id),
cmp AS (SELECT p.doc_id, p.copy_doc_id, count(*) AS cells_compared,
               count(*) FILTER (WHERE x.value IS DISTINCT FROM y.value) AS cells_differing
        FROM p JOIN cells x ON x.doc_id = p.doc_id
        JOIN cells y ON y.doc_id = p.copy_doc_id AND y.table_key = x.table_key
                    AND y.row_key = x.row_key AND y.col_key = x.col_key
        WHERE x.confidence >= {COPY_CONFIDENCE} AND y.confidence >= {COPY_CONFIDENCE}
        GROUP BY ALL)
SELECT p.doc_id, p.copy_doc_id, p.copy_source_path, p.agency, p.region_code, p.year, p.format,
       cmp.cells_compared
FROM p JOIN cmp USING (doc_id, copy_doc_id)
WHERE cmp.cells_differing = 0 AND cmp.cells_compared > 0
""",
    # a copy's correction offered to a document: the latest word on a cell of one copy,
    # where this document has no later word on that cell and reads it otherwise
    "correction_offers": """
WITH latest AS (
    SELECT * FROM corrections
    QUALIFY row_number() OVER (PARTITION BY sha256, table_key, row_key, col_key
                               ORDER BY corrected_at DESC, correction_id DESC) = 1)
SELECT cp.doc_id, k.correction_id, cp.copy_doc_id AS from_doc_id, k.table_key, k.row_key, k.col_key,
       v.value AS value, v.raw AS raw, k.new_value, k.new_raw, k.corrected_by, k.corrected_at,
       k.kind, k.note
FROM copies cp
JOIN documents f ON f.doc_id = cp.copy_doc_id
JOIN latest k ON k.sha256 = f.sha256 AND k.kind <> 'copy'
JOIN documents d ON d.doc_id = cp.doc_id
LEFT JOIN cell_values v ON v.doc_id = cp.doc_id AND v.table_key = k.table_key
                       AND v.row_key = k.row_key AND v.col_key = k.col_key
LEFT JOIN latest mine ON mine.sha256 = d.sha256 AND mine.table_key = k.table_key
                     AND mine.row_key = k.row_key AND mine.col_key = k.col_key
WHERE (mine.correction_id IS NULL OR mine.corrected_at < k.corrected_at)
  AND (v.doc_id IS NULL AND k.kind = 'added' OR v.value IS DISTINCT FROM k.new_value)
""",
}


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
           addable: bool = False, copied_from: int | None = None) -> int:
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
    path, report = con.execute(f"SELECT d.source_path, {REPORT_KEY} FROM documents d WHERE d.doc_id = ?",
                               [doc_id]).fetchone()
    return con.execute(
        "INSERT INTO corrections (sha256, doc_id, table_key, row_key, col_key, old_value, old_raw, "
        "new_value, new_raw, corrected_by, corrected_at, note, kind, source_path, report_key, copied_from) "
        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING correction_id",
        [sha256, doc_id, *key, row[0], row[1], new_value, new_raw, by.strip(),
         datetime.now(timezone.utc).replace(tzinfo=None), note, kind, path, report, copied_from]).fetchone()[0]


def of_document(con: duckdb.DuckDBPyConnection, doc_id: str) -> list[Correction]:
    """Every correction made to the document's content, oldest first."""
    rows = con.execute(
        "SELECT correction_id, ?, table_key, row_key, col_key, old_raw, new_raw, new_value, "
        "corrected_by, corrected_at, note, kind FROM corrections WHERE sha256 = "
        "(SELECT sha256 FROM documents WHERE doc_id = ?) ORDER BY corrected_at, correction_id",
        [doc_id, doc_id]).fetchall()
    return [Correction(*r) for r in rows]


def orphans(con: duckdb.DuckDBPyConnection, doc_id: str | None = None) -> list[tuple[int, str, str, str]]:
    """Corrections whose cell is not (or no longer) among the extracted cells,
    except cells a person added to a document still loaded, and corrections of an
    earlier file of a report that its changed file does not take (``stranded``):
    (correction_id, doc_id, cell, why); ``doc_id``: those said of one document."""
    rows = con.execute(f"""
        SELECT k.correction_id, k.doc_id, k.table_key || ':' || k.row_key || '/' || k.col_key,
               CASE WHEN d.doc_id IS NULL THEN 'the document is no longer in the database'
                    ELSE 'the cell is no longer extracted' END
        FROM corrections k
        LEFT JOIN documents d ON d.sha256 = k.sha256 AND d.status <> 'failed'
        LEFT JOIN cells c ON c.doc_id = d.doc_id AND c.table_key = k.table_key
             AND c.row_key = k.row_key AND c.col_key = k.col_key
        WHERE c.doc_id IS NULL AND NOT (k.kind = 'added' AND d.doc_id IS NOT NULL)
          {"AND k.doc_id = ?" if doc_id else ""}
        ORDER BY k.correction_id""", [doc_id] if doc_id else []).fetchall()
    out = [tuple(r) for r in rows]
    taken = {r[0]: i for i, r in enumerate(out)}
    docs = [doc_id] if doc_id else [d for d, in con.execute(
        "SELECT doc_id FROM documents WHERE status <> 'failed' ORDER BY doc_id").fetchall()]
    for d in docs:
        for s in stranded(con, d):  # said of the document that took the file's place
            if s.fits:
                continue  # taken over at the document's next load (carry_over)
            row = (s.correction_id, d, s.cell, s.why)
            if s.correction_id in taken:
                out[taken[s.correction_id]] = row
            else:
                out.append(row)
    return sorted(out)


@dataclass(frozen=True)
class Stranded:
    """The latest correction of a cell, made on an earlier file of a document's
    report (a file since replaced by a changed one), and whether the document's
    reading takes it: it reads the cell as the earlier file did, or as corrected."""

    correction_id: int
    sha256: str
    key: tuple[str, str, str]
    fits: bool
    why: str

    @property
    def cell(self) -> str:
        return f"{self.key[0]}:{self.key[1]}/{self.key[2]}"


def _same(a: float | None, b: float | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and float(a) == float(b))


def stranded(con: duckdb.DuckDBPyConnection, doc_id: str) -> list[Stranded]:
    """Corrections made on an earlier file of this document's report: their file has
    no loaded document any more (it was replaced by a changed file), and it was this
    document's file (same source path) or, when no loaded document has that path, a
    reading of the same report (``report_key``). Only corrections this document has
    no later word on."""
    got = con.execute(f"SELECT d.sha256, d.source_path, {REPORT_KEY} FROM documents d WHERE d.doc_id = ?",
                      [doc_id]).fetchone()
    if got is None:
        return []
    sha, path, report = got
    rows = con.execute("""
        SELECT k.correction_id, k.sha256, k.table_key, k.row_key, k.col_key, k.old_value, k.old_raw,
               k.new_value, k.new_raw, k.kind, k.corrected_by
        FROM corrections k
        WHERE k.sha256 <> ?
          AND NOT EXISTS (SELECT 1 FROM documents o WHERE o.sha256 = k.sha256 AND o.status <> 'failed')
          AND (k.source_path = ?
               OR (k.report_key = ? AND NOT EXISTS (SELECT 1 FROM documents o WHERE o.status <> 'failed'
                                                    AND o.source_path = k.source_path)))
          AND NOT EXISTS (SELECT 1 FROM corrections m WHERE m.sha256 = ? AND m.table_key = k.table_key
                          AND m.row_key = k.row_key AND m.col_key = k.col_key
                          AND m.corrected_at > k.corrected_at)
        QUALIFY row_number() OVER (PARTITION BY k.sha256, k.table_key, k.row_key, k.col_key
                                   ORDER BY k.corrected_at DESC, k.correction_id DESC) = 1
        ORDER BY k.correction_id""", [sha, path, report, sha]).fetchall()
    out = []
    for cid, old_sha, t, r, c, old_v, old_raw, new_v, new_raw, kind, by in rows:
        cell = con.execute("SELECT value, raw FROM cells WHERE doc_id = ? AND table_key = ? AND row_key = ? "
                           "AND col_key = ?", [doc_id, t, r, c]).fetchone()
        was = f"{old_raw if old_raw not in (None, '') else '(not read)'} → {new_raw or '(blank)'}"
        head = (f"correction #{cid} of {t}:{r}/{c} ({was}, by {by}) was made on an earlier file of this "
                f"report ({old_sha[:16]})")
        if cell is None:
            fits = kind == "added"
            why = f"{head}; the changed file has no such cell: not applied"
        else:
            fits = _same(cell[0], old_v) or _same(cell[0], new_v)
            why = (f"{head}; the changed file reads {cell[1] if cell[1] not in (None, '') else '(blank)'} "
                   "there: not applied (confirm or correct the cell again)")
        out.append(Stranded(cid, old_sha, (t, r, c), fits, why))
    return out


def carry_over(con: duckdb.DuckDBPyConnection, doc_id: str) -> int:
    """Move to this document the corrections of an earlier file of its report that
    its reading takes (``stranded``: the cell read as the earlier file read it, or
    already as corrected), each cell's whole history; ``carried_from`` keeps the
    earlier file's hash. The rest stay where they are and are flagged on this
    document (``correction_orphaned``) by ``pipeline.verify.refresh``. Returns how
    many cells' corrections moved. Inside the caller's transaction."""
    sha = con.execute("SELECT sha256 FROM documents WHERE doc_id = ?", [doc_id]).fetchone()[0]
    moved = 0
    for s in stranded(con, doc_id):
        if s.fits:
            con.execute("UPDATE corrections SET carried_from = coalesce(carried_from, sha256), sha256 = ?, "
                        "doc_id = ? WHERE sha256 = ? AND table_key = ? AND row_key = ? AND col_key = ?",
                        [sha, doc_id, s.sha256, *s.key])
            moved += 1
    return moved


@dataclass(frozen=True)
class Offer:
    """A copy's correction offered to a document (view ``correction_offers``)."""

    doc_id: str
    correction_id: int
    from_doc_id: str
    key: tuple[str, str, str]
    raw: str | None          # what this document reads there (None: no such cell)
    new_raw: str | None      # what the copy was corrected to
    new_value: float | None
    corrected_by: str
    kind: str


def offers(con: duckdb.DuckDBPyConnection, doc_id: str) -> list[Offer]:
    """The corrections of this document's copies that it does not share yet."""
    rows = con.execute("SELECT doc_id, correction_id, from_doc_id, table_key, row_key, col_key, raw, new_raw, "
                       "new_value, corrected_by, kind FROM correction_offers WHERE doc_id = ? "
                       "ORDER BY table_key, row_key, col_key, correction_id", [doc_id]).fetchall()
    return [Offer(d, cid, f, (t, r, c), raw, nraw, nv, by, kind) for d, cid, f, t, r, c, raw, nraw, nv, by, kind in rows]


def copies(con: duckdb.DuckDBPyConnection, doc_id: str) -> list[tuple[str, str, int]]:
    """This document's copies: (doc_id, source_path, cells compared)."""
    return [tuple(r) for r in con.execute(
        "SELECT copy_doc_id, copy_source_path, cells_compared FROM copies WHERE doc_id = ? ORDER BY copy_doc_id",
        [doc_id]).fetchall()]


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
