"""Findings — what a report itself gets wrong — kept apart from doubts about the
reading, on generated reports that have each kind and reports that have none."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from fixtures import textdump
from fixtures.report import BODIES, make_report
from fixtures.series import series
from pipeline.ingest import ingest
from pipeline.verify import correct
from warehouse.schema import connect

from .conftest import SAMPLES


def _load(tmp_path: Path, texts: dict[str, str]) -> str:
    src = tmp_path / "in"
    src.mkdir(parents=True)
    for name, text in texts.items():
        (src / f"{name}.txt").write_text(text, encoding="utf-8")
    db = str(tmp_path / "f.duckdb")
    summary = ingest([str(src)], db)
    assert summary.ok, [r.error for r in summary.results]
    return db


def _findings(db: str) -> list[tuple]:
    con = duckdb.connect(db, read_only=True)
    return con.execute("SELECT d.year, f.finding, f.scope, f.severity FROM findings f "
                       "JOIN documents d USING (doc_id) ORDER BY ALL").fetchall()


def _without_section(text: str, n: int) -> str:
    """The dump with section ``n``'s table left out (its heading kept), as a report
    that did not print it."""
    lines = text.split("\n")
    start = lines.index(textdump.SECTION_HEADINGS[n])
    end = lines.index(textdump.SECTION_HEADINGS[n + 1])
    return "\n".join(lines[:start + 1] + [""] + lines[end:])


@pytest.fixture(scope="module")
def three_years(tmp_path_factory):
    """One agency, 2021–2023: 2022's 上年结转 is one more than 2021 carried over, and
    2023's 现行有效件数 of 规范性文件 is two more than 2022's plus 制发 minus 废止."""
    reports = series(2021, 3, carry_break=2022, stock_break=2023)
    return _load(tmp_path_factory.mktemp("years"),
                 {f"{r.year}_series": textdump.render(r) for r in reports}), reports


def test_cross_year_breaks_are_found_and_nothing_else(three_years):
    db, _ = three_years
    assert _findings(db) == [
        (2022, "carryover_break", "requests carried_in natural_person", "error"),
        (2022, "carryover_break", "requests carried_in total", "error"),
        (2023, "stock_break", "proactive normative_docs in_force", "error"),
    ]
    con = duckdb.connect(db, read_only=True)
    # each report is consistent in itself and read with certainty: ok, its findings apart
    assert con.execute("SELECT year, status, report_status FROM documents ORDER BY year").fetchall() == [
        (2021, "ok", "consistent"), (2022, "ok", "findings"), (2023, "ok", "findings")]


def test_a_break_names_both_documents_and_cells(three_years):
    db, reports = three_years
    con = duckdb.connect(db, read_only=True)
    ids = dict(con.execute("SELECT year, doc_id FROM documents").fetchall())
    detail, evidence = con.execute(
        "SELECT detail, evidence FROM findings WHERE finding = 'carryover_break' "
        "AND scope LIKE '%natural_person'").fetchone()
    e = json.loads(evidence)
    out = int(reports[0].cells[("requests", "carried_out", "natural_person")])
    assert e == {"doc_id": ids[2021], "cell": "requests/carried_out/natural_person", "value": out,
                 "next_doc_id": ids[2022], "next_cell": "requests/carried_in/natural_person",
                 "next_value": out + 1}
    assert f"carries {out} over" in detail and f"brings in {out + 1}" in detail
    # the consistent pairs are in the views too, with a difference of 0: 2022 → 2023
    # in all seven columns, and 规章 (always 0) in every year
    assert con.execute("SELECT count(*) FROM v_cross_year_carryover WHERE year = 2022 "
                       "AND difference = 0").fetchone()[0] == 7
    assert con.execute("SELECT year, row_key, difference FROM v_cross_year_stock ORDER BY ALL").fetchall() == [
        (2022, "normative_docs", 0), (2022, "rules", 0), (2023, "normative_docs", 2), (2023, "rules", 0)]


def test_the_samples_have_only_their_printed_typo(tmp_path):
    db = str(tmp_path / "s.duckdb")
    ingest([str(SAMPLES)], db)
    con = duckdb.connect(db, read_only=True)
    rows = con.execute("SELECT DISTINCT d.agency, f.finding FROM findings f JOIN documents d USING (doc_id)").fetchall()
    assert rows == [("济南市历下区教育局", "identity_failed")]


def test_prose_against_table(tmp_path):
    r = make_report(41, year=2022, body=BODIES[0])
    n = int(r.cells[("requests", "carried_in", "total")])
    text = textdump.render(r)
    assert f"上年结转{n}件" in text
    db = _load(tmp_path, {"prose": text.replace(f"上年结转{n}件", f"上年结转{n + 5}件")})
    assert _findings(db) == [(2022, "prose_table_mismatch", "requests carried_in total", "error")]
    con = duckdb.connect(db, read_only=True)
    linked = dict(con.execute("SELECT row_key, disagrees FROM v_prose_table").fetchall())
    assert linked == {"new": False, "carried_in": True}


def test_a_table_not_printed_and_rules_by_a_township(tmp_path):
    town = make_report(42, year=2023, body=BODIES[4])
    town.cells[("proactive", "rules", "issued")] = "2"
    db = _load(tmp_path, {"no_table4": _without_section(textdump.render(make_report(43, year=2023)), 4),
                          "town": textdump.render(town)})
    kinds = {(f, s) for _, f, s, _ in _findings(db)}
    assert kinds == {("table_not_printed", "appeals"), ("rules_by_township", "proactive rules issued")}


def test_a_correction_settles_the_finding(tmp_path):
    r = make_report(14, year=2023, body=BODIES[3], typo=True)
    db = _load(tmp_path, {"typo": textdump.render(r)})
    assert {f for _, f, _, _ in _findings(db)} == {"identity_failed"}
    printed = int(r.cells[r.typo])
    con = connect(db)
    doc_id = con.execute("SELECT doc_id FROM documents").fetchone()[0]
    correct(con, doc_id, *r.typo, str(printed - 1), by="test")
    assert con.execute("SELECT report_status FROM documents").fetchone()[0] == "consistent"
    assert con.execute("SELECT count(*) FROM findings").fetchone()[0] == 0
    con.close()


def test_an_older_database_gets_report_status(tmp_path):
    db = _load(tmp_path, {"typo": textdump.render(make_report(14, year=2023, body=BODIES[3], typo=True))})
    con = duckdb.connect(db)
    con.execute("ALTER TABLE documents DROP COLUMN report_status")
    con.close()
    con = connect(db)  # a writable open upgrades the schema
    assert con.execute("SELECT report_status FROM documents").fetchall() == [("findings",)]
    con.close()


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *map(str, args)],
                          capture_output=True, text=True, env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})


def test_audit_command(three_years):
    db, _ = three_years
    p = _cli("audit", "--all", "--db", db)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines[0] == "carryover_break (2)" and "stock_break (1)" in lines
    assert lines[-1] == "3 findings in 2 documents"
    p = _cli("audit", "--all", "--format", "csv", "--db", db)
    rows = list(csv.DictReader(io.StringIO(p.stdout)))
    assert [r["finding"] for r in rows] == ["carryover_break", "carryover_break", "stock_break"]
    first = duckdb.connect(db, read_only=True).execute(
        "SELECT doc_id FROM documents WHERE year = 2021").fetchone()[0]
    p = _cli("audit", first[:8], "--db", db)
    assert p.returncode == 0 and p.stdout.strip() == "no findings: the report is consistent"
    assert _cli("audit", "--db", db).returncode == 2
    assert _cli("audit", "zzzz", "--db", db).returncode == 1


def test_text_reuse_masks_numbers_and_leaves_out_boilerplate(tmp_path):
    """The generator writes every year's prose from the same sentences with other
    numbers: with numbers masked, all of it is reuse. Once three agencies print a
    sentence it is the template's, and it no longer counts."""
    years = series(2021, 2)
    db = _load(tmp_path / "one", {f"{r.year}": textdump.render(r) for r in years})
    con = duckdb.connect(db, read_only=True)
    one = dict(con.execute("SELECT section, (sentences, copied) FROM v_text_reuse WHERE year = 2022").fetchall())
    assert one[1][0] > 5 and one[1][1] == one[1][0]
    others = {f"other{n}": textdump.render(make_report(60 + n, year=2022, body=BODIES[n])) for n in (0, 1)}
    db = _load(tmp_path / "three", {**{f"{r.year}": textdump.render(r) for r in years}, **others})
    con = duckdb.connect(db, read_only=True)
    three = dict(con.execute("SELECT section, (sentences, copied) FROM v_text_reuse WHERE year = 2022").fetchall())
    assert three.get(1, (0, 0))[0] < one[1][0]


def test_standard_measures(three_years):
    db, reports = three_years
    con = duckdb.connect(db, read_only=True)
    r = reports[0]
    v = {k: int(r.cells[("requests", k, "total")]) for k in ("granted", "partial", "results_total", "unable_not_held")}
    got = con.execute("SELECT decided, disclosure_rate, not_held_share FROM v_measures WHERE year = 2021").fetchone()
    assert got == (v["results_total"], (v["granted"] + v["partial"]) / v["results_total"],
                   v["unable_not_held"] / v["results_total"])
