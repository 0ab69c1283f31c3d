"""The research views on a real database of the committed samples, and the
README's research queries run exactly as written."""

import csv
import io
import re

import duckdb
import pytest

from fixtures import textdump
from fixtures.report import BODIES, make_report
from pipeline.ingest import ingest
from warehouse.query import run_query

from .conftest import ROOT, SAMPLES


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    """What ``make demo`` builds."""
    db = str(tmp_path_factory.mktemp("demo") / "demo.duckdb")
    assert ingest([str(SAMPLES)], db).ok
    return db


def _readme_queries():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Research views and queries", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sql\n(.*?)```\n```text\n(.*?)```", section, re.S)


def _csv(res) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(res.columns)
    w.writerows(res.rows)
    return buf.getvalue().strip()


def test_readme_has_eight_or_more_research_queries():
    assert len(_readme_queries()) >= 8


@pytest.mark.parametrize("n", range(len(_readme_queries())))
def test_readme_query_runs_and_gives_the_result_shown(demo_db, n):
    sql, shown = _readme_queries()[n]
    assert _csv(run_query(demo_db, sql)) == shown.strip()


def _cell(con, doc_id, row, col="total"):
    return con.execute("SELECT value FROM cells WHERE doc_id = ? AND table_key = 'requests' "
                       "AND row_key = ? AND col_key = ?", [doc_id, row, col]).fetchone()[0]


def test_v_requests_matches_the_cells(demo_db):
    con = duckdb.connect(demo_db, read_only=True)
    for doc_id, new, denied, handled in con.execute(
            "SELECT doc_id, new_requests, denied, handled FROM v_requests").fetchall():
        assert new == _cell(con, doc_id, "new")
        assert handled == _cell(con, doc_id, "results_total")
        parts = con.execute("SELECT sum(value) FROM cells WHERE doc_id = ? AND col_key = 'total' "
                            "AND row_key LIKE 'denied%'", [doc_id]).fetchone()[0]
        assert denied == parts
    assert con.execute("SELECT count(*) FROM v_requests").fetchone()[0] == \
        con.execute("SELECT count(*) FROM documents WHERE status <> 'failed'").fetchone()[0]


def test_outcome_shares_and_correction_rates(demo_db):
    con = duckdb.connect(demo_db, read_only=True)
    bad = con.execute("SELECT count(*) FROM v_outcomes WHERE abs(share - n / handled) > 1e-9 "
                      "OR share < 0 OR share > 1").fetchone()[0]
    assert bad == 0
    rate = con.execute("SELECT corrected, upheld + corrected + other, correction_rate FROM v_appeals "
                       "WHERE upheld + corrected + other > 0 LIMIT 1").fetchone()
    assert rate[2] == pytest.approx(rate[0] / rate[1])


def test_region_year_counts_each_report_once(demo_db):
    con = duckdb.connect(demo_db, read_only=True)
    docs = con.execute("SELECT count(*) FROM documents WHERE province = '浙江省'").fetchone()[0]
    reports, new = con.execute("SELECT sum(reports), sum(new_requests) FROM v_region_year "
                               "WHERE level = 'province' AND province = '浙江省'").fetchone()
    assert docs == 4 and reports == 2  # each sample is loaded as PDF and text
    one = con.execute("SELECT sum(new_requests) FROM (SELECT DISTINCT agency, year, new_requests "
                      "FROM v_requests WHERE province = '浙江省')").fetchone()[0]
    assert new == one


def test_carryover_pairs_consecutive_years(tmp_path):
    # a 2022 report of the body whose 2023 report is among the samples
    r = make_report(101, year=2022, body=BODIES[3])
    (tmp_path / "lixia_2022.txt").write_text(textdump.render(r), encoding="utf-8")
    db = str(tmp_path / "c.duckdb")
    ingest([str(tmp_path / "lixia_2022.txt"), str(SAMPLES / "2023_lixia_typo.txt")], db)
    con = duckdb.connect(db, read_only=True)
    rows = con.execute("SELECT agency, year, next_year, carried_out, next_carried_in, difference, "
                       "mismatch FROM v_carryover").fetchall()
    assert len(rows) == 1
    agency, year, next_year, out, nxt, diff, mismatch = rows[0]
    assert (agency, year, next_year) == ("济南市历下区教育局", 2022, 2023)
    assert out == float(r.cells[("requests", "carried_out", "total")])
    assert nxt == con.execute("SELECT value FROM cells c JOIN documents d USING (doc_id) WHERE "
                              "d.year = 2023 AND row_key = 'carried_in' AND col_key = 'total'").fetchone()[0]
    assert diff == nxt - out and mismatch == (out != nxt)


def test_reports_to_verify_leave_out_what_a_correction_made_ok(demo_db, tmp_path):
    """Regression (issue 18 item 7): the README's "reports to verify" query listed a
    document a correction had already made ok. The demo reads every report from text,
    so nothing there needs review (the typo report's broken identities are findings);
    the same report scanned does: its identities fail on OCR'd values. Once a person
    corrects the cell, it is ok and leaves the list."""
    import shutil

    from pipeline.ingest import ingest
    from pipeline.verify import correct
    from warehouse.schema import connect
    (sql, _), = [(q, out) for q, out in _readme_queries() if "'identity: '" in q]
    db = str(tmp_path / "copy.duckdb")
    shutil.copy(demo_db, db)
    assert run_query(db, sql).rows == []
    scan = tmp_path / "2023_lixia_typo_clean.pdf"
    shutil.copy(ROOT / "fixtures" / "scans" / scan.name, scan)
    ingest([str(scan)], db, snapshot=False)
    assert {row[2] for row in run_query(db, sql).rows} == {scan.name}
    con = connect(db)
    doc = con.execute("SELECT doc_id FROM documents WHERE source_path LIKE '%_clean.pdf'").fetchone()[0]
    printed = con.execute("SELECT value FROM cell_values WHERE doc_id = ? AND table_key = 'requests' "
                          "AND row_key = 'granted' AND col_key = 'natural_person'", [doc]).fetchone()[0]
    outcome = correct(con, doc, "requests", "granted", "natural_person", f"{printed - 1:g}", by="t")
    con.close()
    assert outcome.status == "ok" and run_query(db, sql).rows == []
