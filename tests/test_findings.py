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


# ------------------------------------------------------------ issue 19, item 1 continued

def _section_text(text: str, n: int, body: str) -> str:
    """The dump with section ``n``'s text replaced by ``body`` (its heading kept;
    section 六's text ends at the sign-off)."""
    head = textdump.SECTION_HEADINGS[n]
    start = text.index(head) + len(head)
    if n < 6:
        end = text.index(textdump.SECTION_HEADINGS[n + 1])
    else:
        end = text.index("\n\n", text.index("人大代表建议") ) + 2
    return text[:start] + "\n\n" + body + ("\n\n" if body else "") + text[end:]


def _unpaid_fees(want: bool, body):
    """A consistent 2023 report whose table 3 counts applications dropped for fees not
    paid (``want``), or counts none."""
    for seed in range(100, 400):
        r = make_report(seed, year=2023, body=body)
        if (int(r.cells[("requests", "other_unpaid_fee", "total")].replace("—", "0")) > 0) is want:
            return r
    raise AssertionError("no seed gives that")


def test_missing_and_empty_sections(tmp_path):
    plain = textdump.render(make_report(43, year=2023, body=BODIES[3]))
    fees = _unpaid_fees(True, BODIES[5])
    no_fees = _unpaid_fees(False, BODIES[0])
    lines = plain.split("\n")
    i, j = lines.index(textdump.SECTION_HEADINGS[1]), lines.index(textdump.SECTION_HEADINGS[2])
    db = _load(tmp_path, {
        "plain": plain,
        "five_empty": _section_text(plain, 5, "").replace("济南市历下区教育局", "中山市自然资源局", 2),
        "five_nothing": _section_text(textdump.render(make_report(45, year=2023, body=BODIES[8])), 5, "无。"),
        "one_missing": "\n".join(lines[:i] + lines[j:]).replace("济南市历下区教育局", "南通市崇川区数据局", 2),
        "six_nothing_fees": _section_text(textdump.render(fees), 6, "无。"),
        "six_nothing_no_fees": _section_text(textdump.render(no_fees), 6, "无"),
    })
    con = duckdb.connect(db, read_only=True)
    got = con.execute("SELECT d.agency, f.finding, f.scope FROM findings f JOIN documents d USING (doc_id) "
                      "ORDER BY ALL").fetchall()
    assert got == [
        ("中山市自然资源局", "fees_not_reported", "section 6"),
        ("中山市自然资源局", "section_empty", "section 5"),
        ("南通市崇川区数据局", "section_missing", "section 1"),
        ("武汉市生态环境局", "section_empty", "section 5"),
    ], got
    detail = con.execute("SELECT detail FROM findings WHERE finding = 'fees_not_reported'").fetchone()[0]
    unpaid = fees.cells[("requests", "other_unpaid_fee", "total")]
    assert detail.startswith("section 六 says nothing (“无。”), but table 3 counts " + unpaid)
    # the plain report and 六 = 无 without fees: nothing (无 is a fair answer there)
    assert con.execute("SELECT count(*) FROM v_sections WHERE says_nothing AND section = 6").fetchone()[0] == 2


def _cms(r, published: str) -> str:
    from fixtures.html import cms_page
    html = cms_page(r)
    stamp = f"{r.year + 1}-01-20 09:30"
    assert stamp in html
    return html.replace(stamp, published)


def test_publication_after_the_legal_deadline(tmp_path):
    """A department publishes by 31 January, a government by 31 March (2019 on);
    the date is the web page's 发布时间, never the sign-off under the report."""
    dept = make_report(46, year=2023, body=BODIES[3])        # 济南市历下区教育局: a department
    gov = make_report(47, year=2023, body=BODIES[0])         # 杭州市西湖区人民政府
    early = make_report(48, year=2023, body=BODIES[8])       # 武汉市生态环境局, in time
    src = tmp_path / "in"
    src.mkdir()
    (src / "dept.html").write_text(_cms(dept, "2024-02-15 10:00"), encoding="utf-8")
    (src / "gov.html").write_text(_cms(gov, "2024-02-15 10:00"), encoding="utf-8")
    (src / "early.html").write_text(_cms(early, "2024-01-30 10:00"), encoding="utf-8")
    (src / "dept.txt").write_text(textdump.render(make_report(49, year=2023, body=BODIES[9])), encoding="utf-8")
    db = str(tmp_path / "p.duckdb")
    assert ingest([str(src)], db).ok
    con = duckdb.connect(db, read_only=True)
    pub = con.execute("SELECT agency, agency_kind, published_on::VARCHAR, deadline::VARCHAR, on_time "
                      "FROM v_publication ORDER BY agency").fetchall()
    assert pub == [("南通市崇川区数据局", "department", None, "2024-01-31", None),   # a text dump without the field
                   ("杭州市西湖区人民政府", "government", "2024-02-15", "2024-03-31", True),
                   ("武汉市生态环境局", "department", "2024-01-30", "2024-01-31", True),
                   ("济南市历下区教育局", "department", "2024-02-15", "2024-01-31", False)]
    assert con.execute("SELECT d.agency, f.finding, f.detail FROM findings f JOIN documents d USING (doc_id)").fetchall() == [
        ("济南市历下区教育局", "published_late",
         "published 2024-02-15, 15 days after the deadline 2024-01-31 (web page 发布时间 field)")]


def test_prev_items_break_in_the_2019_format(tmp_path):
    """本年增/减 against the next year's 上一年项目数量: consistent except one row."""
    from fixtures.report import APPLICANTS
    first = make_report(520, year=2019, body=BODIES[7])
    carry = {c: int(first.cells[("requests", "carried_out", c)].replace("—", "0")) for c in APPLICANTS}
    second = make_report(521, year=2020, body=BODIES[7], carry_in=carry)
    assert first.format == second.format == "gov2019"
    rows = sorted(r for t, r, c in first.cells if t == "proactive" and c == "prev_items")
    for row in rows:
        before = int(first.cells[("proactive", row, "prev_items")]) + int(first.cells[("proactive", row, "change")])
        second.cells[("proactive", row, "prev_items")] = str(before + (3 if row == rows[0] else 0))
    db = _load(tmp_path, {"2019": textdump.render(first), "2020": textdump.render(second)})
    assert _findings(db) == [(2020, "prev_items_break", f"proactive {rows[0]} prev_items", "error")]
    con = duckdb.connect(db, read_only=True)
    assert con.execute("SELECT count(*) FROM v_cross_year_items WHERE difference = 0").fetchone()[0] == len(rows) - 1


def test_statistics_period_for_another_year(tmp_path):
    r = make_report(50, year=2023, body=BODIES[3])
    text = textdump.render(r)
    assert "统计期限自2023年1月1日起至2023年12月31日止" in text
    db = _load(tmp_path, {"ok": textdump.render(make_report(51, year=2023, body=BODIES[0])),
                          "wrong": text.replace("统计期限自2023年1月1日起至2023年12月31日止",
                                                "统计期限自2022年1月1日起至2022年12月31日止")})
    assert _findings(db) == [(2023, "period_wrong", "document", "warning")]
    detail = duckdb.connect(db, read_only=True).execute("SELECT detail FROM findings").fetchone()[0]
    assert detail == "title says 2023, statistics period says 2022"


@pytest.mark.parametrize("stated, agrees", [
    ("{n}件", True), ("{n1}件", False),
    ("{low}余件", True),          # 余: more than the figure
    ("{high}余件", False),        # more than the table holds
    ("约{near}件", True),         # about: within a tenth (at least 1)
    ("约{far}件", False),
])
def test_prose_qualifiers(tmp_path, stated, agrees):
    r = next(r for r in (make_report(s, year=2023, body=BODIES[3]) for s in range(52, 200))
             if int(r.cells[("requests", "new", "total")]) >= 20)
    n = int(r.cells[("requests", "new", "total")])
    text = textdump.render(r)
    old = f"新收政府信息公开申请{n}件"
    assert old in text
    figure = stated.format(n=n, n1=n + 1, low=n - n % 10 if n % 10 else n - 10, high=n + 10,
                           near=n + max(1, n // 10), far=n + max(1, n // 10) + 2)
    db = _load(tmp_path, {"q": text.replace(old, f"新收政府信息公开申请{figure}")})
    con = duckdb.connect(db, read_only=True)
    row = con.execute("SELECT stated, qualifier, tabled, disagrees FROM v_prose_table WHERE row_key = 'new'").fetchone()
    assert row[2] == n and row[3] is (not agrees), (figure, row)
    assert (("prose_table_mismatch" in {f for _, f, _, _ in _findings(db)}) is (not agrees))


def test_export_includes_findings(three_years, tmp_path):
    from warehouse.export import export, reader
    db, _ = three_years
    written = {e.name: e.rows for e in export(db, str(tmp_path / "x"), "csv")}
    assert written["findings"] == 3
    assert {"v_publication", "v_measures", "v_refusal_grounds", "v_applications_by_level", "copies"} <= set(written)
    got = duckdb.connect().execute(f"SELECT finding, count(*) FROM {reader(str(tmp_path / 'x'), 'findings')} "
                                   "GROUP BY ALL ORDER BY ALL").fetchall()
    assert got == [("carryover_break", 2), ("stock_break", 1)]


def test_measures_carry_their_sample_size(three_years):
    db, reports = three_years
    con = duckdb.connect(db, read_only=True)
    r = reports[1]
    denied = {k[1]: int(v.replace("—", "0")) for k, v in r.cells.items()
              if k[0] == "requests" and k[1].startswith("denied_") and k[2] == "total"}
    got = dict(con.execute("SELECT ground, (n, denied) FROM v_refusal_grounds WHERE year = 2022").fetchall())
    assert got == {g: (n, sum(denied.values())) for g, n in denied.items()}
    suits = [(int(r.cells[("appeals", route, "corrected")]),
              sum(int(r.cells[("appeals", route, c)]) for c in ("upheld", "corrected", "other")))
             for route in ("suit_direct", "suit_after_review")]
    rate, decided = con.execute("SELECT suit_correction_rate, suits_decided FROM v_measures WHERE year = 2022").fetchone()
    assert decided == sum(d for _, d in suits)
    assert rate == (sum(c for c, _ in suits) / decided if decided else None)
    assert con.execute("SELECT reports, applications FROM v_applications_by_level ORDER BY year").fetchall() == [
        (1, int(rep.cells[("requests", "new", "total")])) for rep in reports]


def test_the_station_and_the_site_show_findings_apart_from_doubts(three_years, tmp_path):
    import socket
    import threading
    import time
    import urllib.request

    import uvicorn

    from pipeline.review import write_site
    from pipeline.station import Station
    db, _ = three_years
    doc = duckdb.connect(db, read_only=True).execute("SELECT doc_id FROM documents WHERE year = 2023").fetchone()[0]
    write_site(db, tmp_path / "site")
    html = (tmp_path / "site" / f"doc-{doc}.html").read_text(encoding="utf-8")
    assert "Findings: what the report itself gets wrong" in html and "stock_break" in html
    assert "1 findings" in (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(Station(db).app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.05)
        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/doc/{doc}").read().decode()
        queue = urllib.request.urlopen(f"http://127.0.0.1:{port}/").read().decode()
    finally:
        server.should_exit = True
        thread.join(10)
    assert 'id="findings"' in page and "stock_break" in page
    assert page.index('id="findings"') < page.index('id="cells"')  # apart from the values to verify
    assert "1 findings" in queue


def test_an_older_database_is_migrated_whole(tmp_path):
    """A database written before findings, copies and publication dates: it can be
    read as it is (show, the review site, the queue), and its first writable open
    adds what is missing and fills it in."""
    from pipeline.review import write_site
    from warehouse.query import find_document, list_documents
    db = _load(tmp_path, {"typo": textdump.render(make_report(14, year=2023, body=BODIES[3], typo=True))})
    con = duckdb.connect(db)
    for name in ("findings", "correction_offers", "copies", "v_measures", "v_sections", "v_publication",
                 "v_refusal_grounds", "v_applications_by_level", "v_prose_table", "v_text_reuse",
                 "v_cross_year_carryover", "v_cross_year_stock", "v_cross_year_items", "v_reports"):
        con.execute(f"DROP VIEW IF EXISTS {name}")
    for col in ("report_status", "published_on", "published_basis"):
        con.execute(f"ALTER TABLE documents DROP COLUMN {col}")
    con.close()
    doc_id = duckdb.connect(db, read_only=True).execute("SELECT doc_id FROM documents").fetchone()[0]
    view = find_document(db, doc_id)  # read-only, as before: no findings to show yet
    assert view is not None and view.findings == [] and view.copies == []
    assert list_documents(db)[0]["findings"] == 0
    write_site(db, tmp_path / "site")
    con = connect(db)  # a writable open upgrades the schema
    assert con.execute("SELECT report_status, published_on FROM documents").fetchall() == [("findings", None)]
    assert con.execute("SELECT count(*) FROM findings").fetchone()[0] == 2
    con.close()
    assert len(find_document(db, doc_id).findings) == 2
