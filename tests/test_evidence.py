"""Year and format decided from evidence (title forms, the statistics-period
sentence, the table labels), and documents that are not annual reports."""

import duckdb
import pytest

from extract.metadata import parse_title
from fixtures import textdump
from fixtures.report import BODIES, make_report
from pipeline.ingest import ingest


@pytest.mark.parametrize("title,agency,year", [
    ("泰安市人民政府办公室2021年政府信息公开工作年度报告", "泰安市人民政府办公室", 2021),
    ("2022年上海市人民政府参事室政府信息公开工作年度报告", "上海市人民政府参事室", 2022),
    ("重庆市大足区人民政府外事办公室政府信息公开工作2022年度报告", "重庆市大足区人民政府外事办公室", 2022),
    ("左贡县2021年度信息公开年度报告", "左贡县", 2021),
    ("海州区政府办公室2025年度政府信息公开工作报告", "海州区政府办公室", 2025),
    ("文登区科技局2019年度信息公开报告", "文登区科技局", 2019),
    ("二〇二二年度太平镇政府信息公开工作年度报告", "太平镇", 2022),
    ("关于2022年度政府信息公开情况的报告", None, 2022),
    ("2025年政府信息公开工作年度报告", None, 2025),
])
def test_title_forms(title, agency, year):
    assert parse_title(title) == (agency, year)


def _ingest_text(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    db = str(tmp_path / "e.duckdb")
    summary = ingest([str(p)], db)
    return duckdb.connect(db, read_only=True), summary


def test_period_sentence_disagreeing_with_title_is_flagged(tmp_path):
    r = make_report(7, year=2021, body=BODIES[9])
    text = textdump.render(r).replace("统计期限自2021年1月1日", "统计期限自2020年1月1日")
    con, _ = _ingest_text(tmp_path, "r.txt", text)
    year, detail = con.execute("SELECT d.year, f.detail FROM documents d JOIN flags f USING (doc_id) "
                               "WHERE f.flag = 'year_mismatch'").fetchone()
    assert year == 2021 and "2020" in detail


def test_format_from_labels_not_year(tmp_path):
    r = make_report(8, year=2022, fmt="gov2019", body=BODIES[7])
    con, _ = _ingest_text(tmp_path, "r.txt", textdump.render(r))
    fmt, sev = con.execute("SELECT d.format, f.severity FROM documents d JOIN flags f USING (doc_id) "
                           "WHERE f.flag = 'format_year_mismatch'").fetchone()
    assert fmt == "gov2019" and sev == "info"


@pytest.mark.parametrize("title", ["文字解读：2022年政府信息公开工作年度报告",
                                   "政府信息公开工作年度报告范文",
                                   "关于印发《中华人民共和国政府信息公开工作年度报告格式》的通知"])
def test_non_reports_are_kept_out_of_the_facts(tmp_path, title):
    con, summary = _ingest_text(tmp_path, "x.txt", f"{title}\n\n一、总体情况\n本年新收申请3件。\n")
    assert con.execute("SELECT count(*) FROM cells").fetchone()[0] == 0
    assert con.execute("SELECT status FROM documents").fetchone()[0] == "failed"
    assert "not a report" in con.execute("SELECT error FROM failures").fetchone()[0]
