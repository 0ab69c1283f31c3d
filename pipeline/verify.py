"""Verification: corrections applied, identities re-evaluated, status decided again.

The recipe a correction follows, and every ingest of a document that has
corrections: read the cells as corrected (``cell_values``) → evaluate the
format's identities on them → the document is ``ok`` only when every identity
holds and every review flag is either about a cell a person has since
corrected or gone; corrections whose cell no longer exists are flagged.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

import duckdb

from extract import legacy
from extract.checks import evaluate
from extract.model import Cell, all_certain
from extract.numbers import parse_cell
from extract.repairs import Suggestion, suggest
from extract.templates import load_spec
from warehouse.findings import refresh_report_status
from warehouse import corrections as wc
from warehouse.corrections import CorrectionError


@dataclass(frozen=True)
class Outcome:
    doc_id: str
    correction_id: int | None
    status: str
    checks_failed: int
    orphans: int
    offered: tuple[str, ...] = ()  # copies of the report the correction is offered to


def corrected_cells(con: duckdb.DuckDBPyConnection, doc_id: str) -> list[Cell]:
    rows = con.execute("SELECT table_key, row_key, col_key, value, raw, unit, page, bbox, confidence, "
                       "origin FROM cell_values WHERE doc_id = ?", [doc_id]).fetchall()
    return [Cell(t, r, c, v, raw or "", u, p, tuple(b) if b else None, conf or 0.0, o)
            for t, r, c, v, raw, u, p, b, conf, o in rows]


def suggestions(con: duckdb.DuckDBPyConnection, doc_id: str, fmt: str | None) -> list[Suggestion]:
    """The single-cell repairs the failing identities pin, on the corrected values."""
    spec = load_spec().get(fmt or "")
    return suggest(spec, corrected_cells(con, doc_id)) if spec else []


def refresh(con: duckdb.DuckDBPyConnection, doc_id: str) -> Outcome:
    """Re-evaluate a document on its corrected values (inside the caller's transaction)."""
    fmt = con.execute("SELECT format FROM documents WHERE doc_id = ?", [doc_id]).fetchone()[0]
    cells = corrected_cells(con, doc_id)
    spec = load_spec().get(fmt or "")
    checks = evaluate(spec, cells) if spec else legacy.evaluate(cells) if fmt == "legacy" else []
    corrected = {f"{c.table_key}:{c.row_key}/{c.col_key}" for c in cells if c.origin == "correction"}
    if spec:  # a row flag (table_incomplete) is resolved once every cell of the row is given
        for t, ts in spec.tables.items():
            rows: dict[str, list[str]] = {}
            for r, c in ts.cells():
                rows.setdefault(r, []).append(c)
            corrected |= {f"{t}:{r}" for r, cols in rows.items()
                          if all(f"{t}:{r}/{c}" in corrected for c in cols)}
    open_flags = [s for (s,) in con.execute(
        "SELECT scope FROM flags WHERE doc_id = ? AND severity = 'review' AND flag <> ?",
        [doc_id, wc.ORPHAN_FLAG]).fetchall() if s not in corrected]
    orphans = [(cell, why if why.startswith("correction #") else f"correction #{cid} of {cell} not applied: {why}")
               for cid, d, cell, why in wc.orphans(con, doc_id) if d == doc_id]
    failed = sum(1 for c in checks if not c.ok)
    # a failing identity is a doubt about the reading only where a value was OCR'd (and not
    # confirmed by a person); on values read with certainty it is a finding (report_status)
    status = "needs_review" if (failed and not all_certain(cells)) or open_flags or orphans else "ok"
    wc.store_outcome(con, doc_id, [(c.check_key, c.scope, c.expected, c.actual, c.ok) for c in checks],
                     status, orphans)
    return Outcome(doc_id, None, status, failed, len(orphans))


def has_corrections(con: duckdb.DuckDBPyConnection, sha256: str) -> bool:
    return con.execute("SELECT count(*) FROM corrections WHERE sha256 = ?", [sha256]).fetchone()[0] > 0


def after_load(con: duckdb.DuckDBPyConnection, doc_id: str, sha256: str) -> Outcome | None:
    """A newly loaded document and the corrections of its report: those made on an
    earlier file of it (replaced by this changed file) move to it where its reading
    takes them, the others are flagged ``correction_orphaned`` on it; and if it has
    corrections, it is re-evaluated on them. None when no correction concerns it.
    One transaction."""
    if not has_corrections(con, sha256) and not wc.stranded(con, doc_id):
        return None
    con.execute("BEGIN TRANSACTION")
    try:
        wc.carry_over(con, doc_id)
        out = refresh(con, doc_id)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return out


def check_keys(fmt: str | None, table: str, row: str, col: str) -> None:
    """Refuse a key the document's format does not have, naming the nearest ones
    (``reportdb show DOC --keys`` lists them all). Pre-2019 annexes have no fixed
    keys: their row paths are checked against the document when the correction is
    recorded."""
    spec = load_spec().get(fmt or "")
    if spec is None:
        return
    if table not in spec.tables:
        raise CorrectionError(f"no table {table!r} in the {fmt} format{_nearest(table, spec.tables)}")
    cells = spec.tables[table].cells()
    rows = dict.fromkeys(r for r, _ in cells)
    if row not in rows:
        raise CorrectionError(f"no row {row!r} in table {table}{_nearest(row, rows)}")
    cols = [c for r, c in cells if r == row]
    if col not in cols:
        raise CorrectionError(f"no column {col!r} in {table}:{row}{_nearest(col, cols)}")


def _nearest(key: str, keys) -> str:
    close = difflib.get_close_matches(key, list(keys), n=3, cutoff=0.5)
    if close:
        return "; did you mean " + " or ".join(close) + "?"
    return f" (it has: {', '.join(keys)})"


def correct(con: duckdb.DuckDBPyConnection, doc: str, table: str, row: str, col: str,
            value: str | None, by: str, note: str | None = None, accept: bool = False,
            from_copy: bool = False) -> Outcome:
    """Record a person's correction of one cell (``value`` as printed text, e.g.
    ``12`` or ``—``), or with ``accept`` the repair the identities suggest for it,
    or with ``from_copy`` the correction a copy of the report has for it (the open
    offer, ``warehouse.corrections.offers``); then re-evaluate the document. One
    transaction: all of it or nothing. The outcome's ``offered`` lists the copies
    the correction is now offered to."""
    doc_id, sha, fmt = wc.document(con, doc)
    check_keys(fmt, table, row, col)
    kind = "manual"
    copied_from = None
    if from_copy:
        match = [o for o in wc.offers(con, doc_id) if o.key == (table, row, col)]
        if not match:
            raise CorrectionError(f"{doc_id}: no copy of this report offers a correction of {table}:{row}/{col}")
        o = match[-1]
        value, copied_from, kind = o.new_raw or "", o.correction_id, "copy"
        note = note or f"as corrected in copy {o.from_doc_id} (correction #{o.correction_id}, by {o.corrected_by})"
        new_value = o.new_value
    elif accept:
        match = [s for s in suggestions(con, doc_id, fmt) if (s.table_key, s.row_key, s.col_key) == (table, row, col)]
        if not match:
            raise CorrectionError(f"{doc_id}: no repair is suggested for {table}:{row}/{col}")
        new_value = match[0].suggested
        value = f"{new_value:g}"
        kind = "suggestion"
    else:
        if value is None:
            raise CorrectionError("give the value the cell should read, --accept its suggestion, "
                                  "or --from-copy to take a copy's correction")
        q = parse_cell(value)
        if q.value is None and value.strip():
            raise CorrectionError(f"{value!r} is not a number a table cell can hold")
        new_value = q.value
        read = con.execute("SELECT raw, origin FROM cell_values WHERE doc_id = ? AND table_key = ? "
                           "AND row_key = ? AND col_key = ?", [doc_id, table, row, col]).fetchone()
        if read is not None and read[1] != "correction" and (read[0] or "") == value:
            kind = "confirmed"  # the reading as printed, confirmed by a person: its doubt is settled
    spec = load_spec().get(fmt or "")
    addable = bool(spec and table in spec.tables and (row, col) in spec.tables[table].cells())
    con.execute("BEGIN TRANSACTION")
    try:
        cid = wc.record(con, doc_id, sha, (table, row, col), new_value, value, by, note, kind, addable,
                        copied_from)
        out = refresh(con, doc_id)
        refresh_report_status(con)  # a confirmed value can make or settle a finding
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    offered = tuple(d for d, in con.execute(
        "SELECT doc_id FROM correction_offers WHERE correction_id = ? ORDER BY doc_id", [cid]).fetchall())
    return Outcome(doc_id, cid, out.status, out.checks_failed, out.orphans, offered)
