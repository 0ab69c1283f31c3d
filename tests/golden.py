"""Compare what reportdb stored for a generated report with its ground truth, whole."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb


def load_truth(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def stored(con: duckdb.DuckDBPyConnection, source: str) -> dict:
    doc = con.execute("SELECT doc_id, title, agency, year, format, status FROM documents "
                      "WHERE source_path = ?", [source]).fetchone()
    assert doc is not None, f"{source} not in the database"
    doc_id = doc[0]
    cells = con.execute("SELECT table_key, row_key, col_key, raw, value FROM cells "
                        "WHERE doc_id = ? ORDER BY ALL", [doc_id]).fetchall()
    mentions = con.execute("SELECT value, unit, qualifier FROM mentions WHERE doc_id = ? "
                           "ORDER BY seq", [doc_id]).fetchall()
    failed = con.execute("SELECT check_key || ':' || scope FROM checks WHERE doc_id = ? "
                         "AND NOT ok ORDER BY 1", [doc_id]).fetchall()
    paras = [r[0] for r in con.execute("SELECT text FROM paragraphs WHERE doc_id = ?",
                                       [doc_id]).fetchall()]
    units = dict(((t, r, c), u) for t, r, c, u in con.execute(
        "SELECT table_key, row_key, col_key, unit FROM cells WHERE doc_id = ?", [doc_id]).fetchall())
    return {"doc_id": doc_id, "title": doc[1], "agency": doc[2], "year": doc[3], "format": doc[4],
            "status": doc[5], "cells": cells, "mentions": mentions,
            "failed_checks": [f[0] for f in failed], "paragraphs": paras, "units": units}


def compare(truth: dict, got: dict) -> list[str]:
    """Every difference between the ground truth and the database, as readable lines."""
    diffs = []
    md = truth["metadata"]
    for key in ("title", "agency", "year", "format"):
        if md[key] != got[key]:
            diffs.append(f"{key}: expected {md[key]!r}, got {got[key]!r}")
    if truth["status"] != got["status"]:
        diffs.append(f"status: expected {truth['status']}, got {got['status']}")
    want = {(c["table"], c["row"], c["col"]): (c["raw"], c["value"]) for c in truth["cells"]}
    have = {(t, r, c): (raw, v) for t, r, c, raw, v in got["cells"]}
    for k in sorted(set(want) | set(have)):
        if k not in have:
            diffs.append(f"cell {k} missing (expected {want[k]})")
        elif k not in want:
            diffs.append(f"cell {k} not in truth (got {have[k]})")
        elif want[k][0] != have[k][0] or want[k][1] != have[k][1]:
            diffs.append(f"cell {k}: expected {want[k]}, got {have[k]}")
    for c in truth["cells"]:  # units, where the truth states them (the legacy samples do)
        k = (c["table"], c["row"], c["col"])
        if "unit" in c and k in have and c["unit"] != got["units"].get(k):
            diffs.append(f"cell {k}: unit expected {c['unit']!r}, got {got['units'].get(k)!r}")
    wm = [(m["value"], m["unit"], m["qualifier"]) for m in truth["mentions"]]
    if wm != [tuple(m) for m in got["mentions"]]:
        diffs.append(f"mentions: expected {wm}, got {got['mentions']}")
    if truth["failed_checks"] != got["failed_checks"]:
        diffs.append(f"failed checks: expected {truth['failed_checks']}, got {got['failed_checks']}")
    if not any(truth["joined_text"] in p for p in got["paragraphs"]):
        diffs.append(f"no paragraph holds the page-split text {truth['joined_text']!r}")
    return diffs
