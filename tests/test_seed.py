"""The real seed report end to end into DuckDB (issue: foundation)."""

from __future__ import annotations

import shutil

import duckdb
import pytest

from pipeline.ingest import ingest

REQUEST_ROWS_PRINTED = 23  # the seed's table 3 stops after （六）3.其他


@pytest.fixture(scope="module")
def db(tmp_path_factory, seed_path):
    path = str(tmp_path_factory.mktemp("seed") / "s.duckdb")
    summary = ingest([seed_path], path)
    assert summary.ok and summary.count("loaded") == 1
    return path


@pytest.fixture(scope="module")
def con(db):
    c = duckdb.connect(db, read_only=True)
    yield c
    c.close()


def one(con, sql, *args):
    return con.execute(sql, list(args)).fetchone()


def test_document_metadata(con):
    row = one(con, "SELECT agency, year, format, status, media_type, pages FROM documents")
    assert row == ("盐池县王乐井乡", 2023, "gov2021", "needs_review", "text/plain", 1)


def test_incomplete_table_is_recorded_not_zero_filled(con):
    scopes = {s for (s,) in con.execute("SELECT scope FROM flags WHERE flag = 'table_incomplete'").fetchall()}
    assert scopes == {"requests:results_total", "requests:carried_out"}
    assert one(con, "SELECT count(*) FROM cells WHERE row_key IN ('results_total', 'carried_out')")[0] == 0


def test_every_printed_value_under_the_spec_keys(con):
    counts = dict(con.execute("SELECT table_key, count(*) FROM cells GROUP BY 1").fetchall())
    assert counts == {"proactive": 10, "requests": REQUEST_ROWS_PRINTED * 7, "appeals": 15}
    assert one(con, "SELECT value, raw FROM cells WHERE table_key='proactive' "
                    "AND row_key='penalty' AND col_key='decisions'") == (75, "75")
    assert one(con, "SELECT count(*), sum(value) FROM cells WHERE table_key='requests'") == (161, 0)
    assert one(con, "SELECT count(*), sum(value) FROM cells WHERE table_key='appeals'") == (15, 0)
    # the misplaced last line `3.其他` still lands under （六）其他处理
    assert one(con, "SELECT count(*) FROM cells WHERE row_key='other_other'")[0] == 7
    keys = {r[0] for r in con.execute("SELECT DISTINCT row_key || '/' || col_key FROM cells "
                                      "WHERE table_key='appeals'").fetchall()}
    assert "suit_after_review/total" in keys and "review/upheld" in keys
    assert one(con, "SELECT count(*) FROM cells WHERE value IS NULL")[0] == 0
    assert one(con, "SELECT count(DISTINCT origin) FROM cells")[0] == 1


def test_identities_that_can_be_evaluated(con):
    rows = dict(con.execute("SELECT check_key, count(*) FROM checks GROUP BY 1").fetchall())
    assert rows == {"requests_row_total": REQUEST_ROWS_PRINTED, "appeals_total": 3}
    assert one(con, "SELECT bool_and(ok) FROM checks")[0] is True


def test_narrative_mentions(con):
    got = set(con.execute("SELECT value, unit, coalesce(qualifier, '') FROM mentions").fetchall())
    for want in [(470, "条", "余"), (22, "条", ""), (400, "条", "余"), (1786, "人", "余"),
                 (181, "件", ""), (70, "件", "余"), (13, "个", "")]:
        assert want in got
    assert one(con, "SELECT count(*) FROM mentions WHERE value = 12345")[0] == 0
    assert one(con, "SELECT count(*) FROM mentions WHERE value BETWEEN 2019 AND 2024")[0] == 0
    sec = one(con, "SELECT section, text FROM mentions WHERE value = 1786")
    assert sec[0] == 1 and "1786 余人" in sec[1]


def test_page_split_sentence_is_one_paragraph(con):
    n = one(con, "SELECT count(*) FROM paragraphs WHERE text LIKE '%公开安全生产信息 9 条%'")[0]
    assert n == 1
    assert one(con, "SELECT count(*) FROM paragraphs WHERE text = '息 9 条'")[0] == 0
    assert one(con, "SELECT count(*) FROM mentions WHERE value = 9 AND unit = '条'")[0] == 1


def test_sections_and_pages(con):
    sections = [r[0] for r in con.execute("SELECT DISTINCT section FROM paragraphs ORDER BY 1").fetchall()]
    assert sections == [0, 1, 2, 3, 4, 5, 6]
    assert one(con, "SELECT count(*) FROM pages")[0] == 1
    assert one(con, "SELECT kind FROM paragraphs WHERE text LIKE '盐池县王乐井乡 2023 年政府信息公开工作年度报告'")[0] == "title"


def test_reingest_is_idempotent_and_a_changed_file_replaces(tmp_path, seed_path):
    db = str(tmp_path / "x.duckdb")
    src = tmp_path / "r.txt"
    shutil.copy(seed_path, src)
    ingest([src], db)
    again = ingest([src], db)
    assert again.count("unchanged") == 1 and again.count("loaded") == 0
    con = duckdb.connect(db)
    assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == 1
    assert con.execute("SELECT count(*) FROM cells").fetchone()[0] == 186
    con.close()
    src.write_text(src.read_text(encoding="utf-8").replace("行政处罚\t75", "行政处罚\t76"), encoding="utf-8")
    changed = ingest([src], db)
    assert changed.count("loaded") == 1
    con = duckdb.connect(db)
    assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == 1
    assert con.execute("SELECT value FROM cells WHERE row_key='penalty'").fetchone()[0] == 76
    assert con.execute("SELECT count(*) FROM cells").fetchone()[0] == 186
    assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 3
    con.close()


def test_an_archivist_adds_the_rows_the_report_lacks(db, tmp_path):
    # the seed's table 3 stops before （七）总计 and 四、结转: the values are added from
    # the paper with `reportdb correct`; each missing row's flag is then resolved, the
    # identities are evaluated on the added cells, and the added cells are in cell_values
    import shutil

    from typer.testing import CliRunner

    from pipeline.cli import app
    from warehouse.corrections import orphans
    path = str(tmp_path / "added.duckdb")
    shutil.copy(db, path)
    c = duckdb.connect(path, read_only=True)
    doc_id = one(c, "SELECT doc_id FROM documents")[0]
    sums = dict(c.execute("SELECT col_key, sum(value) FROM cells WHERE table_key = 'requests' AND row_key "
                          "NOT IN ('new', 'carried_in') GROUP BY 1").fetchall())
    c.close()
    runner = CliRunner()
    res = runner.invoke(app, ["correct", doc_id, "requests", "no_such_row", "total", "3", "--by", "x",
                              "--db", path])
    # a key the format lacks is refused with the keys it has (and no cell is written)
    assert res.exit_code == 1, res.output
    assert "no row 'no_such_row' in table requests" in res.output and "results_total" in res.output
    for col, total in sums.items():
        for row, value in (("results_total", total), ("carried_out", 0)):
            res = runner.invoke(app, ["correct", doc_id, "requests", row, col, f"{value:g}", "--by", "Li Na",
                                      "--note", "from the paper copy", "--db", path])
            assert res.exit_code == 0, res.output
    c = duckdb.connect(path, read_only=True)
    added = c.execute("SELECT count(*), count(extracted_value), min(origin) FROM cell_values "
                      "WHERE row_key IN ('results_total', 'carried_out')").fetchone()
    assert added == (14, 0, "correction")
    assert set(c.execute("SELECT DISTINCT kind FROM corrections").fetchall()) == {("added",)}
    assert orphans(c) == []
    failed = c.execute("SELECT check_key, scope FROM checks WHERE NOT ok").fetchall()
    evaluated = c.execute("SELECT count(*) FROM checks WHERE check_key = 'requests_results_total'").fetchone()[0]
    status = one(c, "SELECT status FROM documents")[0]
    c.close()
    assert evaluated == 7 and not [f for f in failed if f[0] == "requests_results_total"]
    # with the rows given (and balancing), nothing holds the document back any more
    assert (status, failed) == ("ok", [])
