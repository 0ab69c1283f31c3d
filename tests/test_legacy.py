"""Pre-2019 reports end to end, and the signed and money columns of the gov2019 table 2.

The mixed folder of ``conftest.mixed`` (every form, one ``reportdb ingest``)
holds the legacy samples (a national annex, no annex, 定西's coded annex with
本期实际/本年累计), each as a text dump and a born-digital PDF, beside every
sample of the national formats; every document is compared whole with its
ground truth, units included where the truth has them (the web pages, Word
files and the scan of that folder: ``test_mixed``).
"""

from __future__ import annotations

import filecmp
import json
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from extract import legacy
from extract.document import extract
from fixtures.legacy import samples as legacy_samples
from ocr.read import read_source

from .conftest import SAMPLES
from .golden import compare, load_truth, stored

LEGACY = SAMPLES.parent / "legacy_samples"
LEGACY_TRUTHS = sorted(LEGACY.glob("*.truth.json"))
REPORTDB = Path(sys.executable).parent / "reportdb"


def reportdb(*args, check: int | None = 0) -> subprocess.CompletedProcess:
    p = subprocess.run([str(REPORTDB), *map(str, args)], capture_output=True, text=True,
                       env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})
    if check is not None:
        assert p.returncode == check, p.stdout + p.stderr
    return p


def test_committed_legacy_samples_are_what_the_generator_writes(tmp_path):
    written = legacy_samples(tmp_path)
    assert sorted(p.name for p in written) == sorted(p.name for p in LEGACY.iterdir())
    for p in written:
        assert filecmp.cmp(p, LEGACY / p.name, shallow=False), f"{p.name} differs: run make fixtures"


def _truths():
    return [*(LEGACY_TRUTHS), *sorted(SAMPLES.glob("*.truth.json"))]


@pytest.mark.parametrize("truth_path", _truths(), ids=lambda p: p.name.split(".")[0])
@pytest.mark.parametrize("kind", ["txt", "pdf"])
def test_mixed_folder_matches_every_truth(mixed, truth_path, kind):
    folder, db = mixed
    truth = load_truth(truth_path)
    con = duckdb.connect(str(db), read_only=True)
    try:
        diffs = compare(truth, stored(con, str(folder / f"{truth['name']}.{kind}")))
    finally:
        con.close()
    assert diffs == []


def test_legacy_samples_cover_the_variants():
    truths = [load_truth(p) for p in LEGACY_TRUTHS]
    assert {t["metadata"]["format"] for t in truths} == {"legacy"}
    assert {t["annex"] for t in truths} == {"national", "dingxi", None}
    assert all(t["metadata"]["year"] < 2019 for t in truths)
    cells = [c for t in truths for c in t["cells"]]
    assert {c["col"] for c in cells} == {"value", "period", "year_to_date"}
    assert {"条", "件", "次", "篇", "万元", "个", "人", "人次"} <= {c["unit"] for c in cells}
    assert any(c["raw"] == "—" for c in cells) and any(c["raw"] == "" for c in cells)
    assert any(isinstance(c["value"], float) and not c["value"].is_integer() for c in cells)  # 万元
    assert any(m["qualifier"] for t in truths for m in t["mentions"])  # 余 / 多


def _doc(con, name: str) -> str:
    return con.execute("SELECT doc_id FROM documents WHERE source_path LIKE ?", [f"%/{name}"]).fetchone()[0]


def test_legacy_documents_are_recorded_as_such(mixed):
    folder, db = mixed
    con = duckdb.connect(str(db), read_only=True)
    for stem, status in (("2016_xiongxian_annex", "ok"), ("2012_xiangyang_bureau", "ok"),
                         ("2013_anding_dingxi", "needs_review")):
        for kind in ("txt", "pdf"):
            doc = _doc(con, f"{stem}.{kind}")
            fmt, st = con.execute("SELECT format, status FROM documents WHERE doc_id = ?", [doc]).fetchone()
            assert (fmt, st) == ("legacy", status), stem
            flags = {f for (f,) in con.execute("SELECT flag FROM flags WHERE doc_id = ? AND severity = 'review'",
                                               [doc]).fetchall()}
            # no national table is expected of a pre-2019 report; the blank annex cell is the only doubt
            assert flags == ({"blank_cells"} if status == "needs_review" else set()), (stem, flags)
            sections = [s for (s,) in con.execute("SELECT DISTINCT section FROM paragraphs WHERE doc_id = ? "
                                                  "AND kind = 'heading' AND section > 0 ORDER BY 1",
                                                  [doc]).fetchall()]
            assert sections == [1, 2, 3, 4, 5, 6, 7]
    # the annex's identities are evaluated where it prints every part, and hold
    doc = _doc(con, "2016_xiongxian_annex.txt")
    checks = con.execute("SELECT check_key, scope, ok FROM checks WHERE doc_id = ? ORDER BY 1", [doc]).fetchall()
    assert checks == [("legacy_handled", "row=依申请公开情况/申请办结数;col=value", True),
                      ("legacy_received", "row=依申请公开情况/收到申请数;col=value", True)]
    con.close()


def test_legacy_view_and_correction(mixed, tmp_path):
    folder, db = mixed
    work = tmp_path / "c.duckdb"
    shutil.copy(db, work)
    p = reportdb("query", "SELECT indicator, parent, measure, value, unit FROM v_legacy_stats "
                 "WHERE path LIKE '%/被依法纠错数' ORDER BY parent", "--db", work, "--format", "json")
    rows = json.loads(p.stdout)
    assert [r["parent"] for r in rows] == ["行政复议数量", "行政复议数量", "行政诉讼数量", "行政诉讼数量"]
    assert {(r["indicator"], r["measure"], r["unit"]) for r in rows} == {("被依法纠错数", "value", "件")}
    # the blank 定西 cell, corrected by a person, leaves nothing to review
    con = duckdb.connect(str(work), read_only=True)
    doc = _doc(con, "2013_anding_dingxi.txt")
    con.close()
    row = "依申请公开情况/已答复申请数/非本机关信息数"
    p = reportdb("correct", doc, "legacy_stats", row, "period", "0", "--by", "tester", "--db", work)
    con = duckdb.connect(str(work), read_only=True)
    assert con.execute("SELECT status FROM documents WHERE doc_id = ?", [doc]).fetchone()[0] == "ok", p.stdout
    assert con.execute("SELECT value, origin FROM cell_values WHERE doc_id = ? AND row_key = ? AND "
                       "col_key = 'period'", [doc, row]).fetchone() == (0, "correction")
    con.close()


def test_annex_shown_and_reviewed_in_printed_order(mixed, tmp_path):
    """An archivist checks the annex against the paper: ``reportdb show`` and the
    review page lay it out as printed, groups indented, the blank cell marked."""
    folder, db = mixed
    con = duckdb.connect(str(db), read_only=True)
    doc = _doc(con, "2013_anding_dingxi.txt")
    con.close()
    out = reportdb("show", doc, "--db", db).stdout
    assert legacy.ANNEX_TITLE in out and "本期" in out and "本年累计" in out and "统计数" not in out
    order = [name for name in ("主动公开政府信息数", "政府网站公开数", "政府公报公开期数", "受理申请总数",
                               "当面申请数", "网络申请数", "信函申请数", "已答复申请数")]
    annex = out.split(legacy.ANNEX_TITLE, 1)[1]
    at = [annex.index(name) for name in order]
    assert at == sorted(at)
    # the group headings, which hold no value, are shown above their rows
    assert annex.index("主动公开情况") < at[0] and at[2] < annex.index("依申请公开情况") < at[3]

    def indent(name: str) -> int:
        cell = next(ln for ln in out.splitlines() if name in ln).split("│")[1]
        return len(cell) - len(cell.lstrip(" "))

    # 当面申请数 sits under 受理申请总数 (依申请公开情况/受理申请总数/当面申请数)
    assert indent("当面申请数") == indent("受理申请总数") + 2 == indent("政府网站公开数")
    blank_row = next(ln for ln in out.splitlines() if "非本机关信息数" in ln)
    assert "·" in blank_row and "26" in blank_row  # printed blank, beside its 本年累计
    from pipeline.review import write_site
    write_site(str(db), tmp_path / "site", doc)
    page = next((tmp_path / "site").glob("doc-*.html")).read_text(encoding="utf-8")
    assert legacy.ANNEX_TITLE in page and "No national table format" not in page
    blank = "legacy_stats:依申请公开情况/已答复申请数/非本机关信息数/period"
    assert page.count('class="flagged"') >= 1 and "非本机关信息数" in page
    assert blank in page


# ----------------------------------------------- gov2019: signed and money columns

@pytest.mark.parametrize("stem", ["2019_xihu_gov2019", "2022_gengma_template2019"])
@pytest.mark.parametrize("kind", ["txt", "pdf"])
def test_gov2019_change_and_procurement_amount(mixed, stem, kind):
    """本年增/减 keeps its sign and 采购总金额 its unit, in the text and PDF paths
    (the scan path: tests/test_scans.py::test_scan_keeps_gov2019_sign_and_amount_unit)."""
    folder, db = mixed
    truth = {(c["row"], c["col"]): c for c in load_truth(SAMPLES / f"{stem}.truth.json")["cells"]
             if c["table"] == "proactive"}
    negative = [k for k, c in truth.items() if k[1] == "change" and c["value"] < 0]
    assert negative, "the sample prints no negative 本年增/减: it would not test the sign"
    con = duckdb.connect(str(db), read_only=True)
    got = {(r, c): (v, raw, u) for r, c, v, raw, u in con.execute(
        "SELECT row_key, col_key, value, raw, unit FROM cells WHERE doc_id = ? AND table_key = 'proactive'",
        [_doc(con, f"{stem}.{kind}")]).fetchall()}
    con.close()
    for k in negative:
        assert got[k][:2] == (truth[k]["value"], truth[k]["raw"]) and got[k][0] < 0
    amount = truth[("procurement", "amount")]
    assert amount["raw"].endswith("元")
    assert got[("procurement", "amount")] == (amount["value"], amount["raw"], "元")
    assert got[("procurement", "items")][0] == truth[("procurement", "items")]["value"]


# ----------------------------------------------- the annex reader on variants

def _extract(tmp_path, text: str):
    p = tmp_path / "r.txt"
    p.write_text(text, encoding="utf-8")
    return extract(read_source(p))


def _report(year: int, table: list[str], sections: int = 7) -> str:
    body = ["莆田市城厢区人民政府{}年政府信息公开工作年度报告".format(year), "",
            "一、概述", "", "全年主动公开政府信息120条。", ""]
    return "\n".join(body + ["", "附件：政府信息公开情况统计表", ""] + table + ["", "莆田市城厢区人民政府",
                                                                     f"{year + 1}年1月5日", ""])


def test_putian_year_and_cumulative_columns(tmp_path):
    x = _extract(tmp_path, _report(2009, [
        "指标名称\t计量单位\t2009年度\t历年累计",
        "一、主动公开政府信息数\t条\t120\t560",
        "二、依申请公开情况\t\t\t",
        "（一）申请总数\t件\t7\t30",
        "1.网上申请\t件\t5\t",
        "其中：答复数\t件\t无\t12",
    ]))
    assert x.format == "legacy"
    cells = {(c.row_key, c.col_key): (c.value, c.unit) for c in x.cells}
    assert cells == {("主动公开政府信息数", "period"): (120, "条"), ("主动公开政府信息数", "cumulative"): (560, "条"),
                     ("依申请公开情况/申请总数", "period"): (7, "件"), ("依申请公开情况/申请总数", "cumulative"): (30, "件"),
                     ("依申请公开情况/申请总数/网上申请", "period"): (5, "件"),
                     ("依申请公开情况/申请总数/网上申请", "cumulative"): (None, "件"),
                     ("依申请公开情况/申请总数/网上申请/答复数", "period"): (0, "件"),
                     ("依申请公开情况/申请总数/网上申请/答复数", "cumulative"): (12, "件")}
    assert [f.scope for f in x.flags if f.flag == "blank_cells"] == [
        "legacy_stats:依申请公开情况/申请总数/网上申请/cumulative"]
    assert x.status == "needs_review"


def test_annex_identity_that_fails_is_a_finding(tmp_path):
    x = _extract(tmp_path, _report(2015, [
        "统计指标\t单位\t统计数",
        "（二）申请办结数\t件\t9",
        "1.按时办结数\t件\t7",
        "2.延期办结数\t件\t1",
        "（三）收到申请数\t件\t9",
        "1.当面申请数\t件\t9",          # only one of the four channels: not evaluated
    ]))
    assert [(c.check_key, c.expected, c.actual, c.ok) for c in x.checks] == [("legacy_handled", 8, 9, False)]
    assert x.status == "ok"  # read from text: the report's own mistake, a finding, not a doubt


def test_repeated_names_keep_apart(tmp_path):
    x = _extract(tmp_path, _report(2014, [
        "统计指标\t单位\t统计数",
        "（一）收到申请数（件）\t\t4",
        "（二）收到申请数（含上年结转）\t\t5",
        "（三）收到申请数（含上年结转）\t\t6",
    ]))
    assert [(c.row_key, c.value, c.unit) for c in x.cells] == [
        ("收到申请数", 4, "件"), ("收到申请数(含上年结转)", 5, None), ("收到申请数(含上年结转)#2", 6, None)]
    assert [f.flag for f in x.flags if f.flag == "duplicate_indicator"] == ["duplicate_indicator"] * 2
    assert all(f.severity == "info" for f in x.flags if f.flag == "duplicate_indicator")


def test_legacy_without_annex_and_other_tables(tmp_path):
    x = _extract(tmp_path, _report(2011, ["序号\t栏目\t条数", "1\t领导信息\t3"]))
    assert x.format == "legacy" and x.cells == []
    assert [f.flag for f in x.flags if f.severity == "review"] == ["unrecognised_table"]
    # a 2020 report printing the old annex is read as legacy, the year mismatch noted
    x = _extract(tmp_path, _report(2020, ["统计指标\t单位\t统计数", "（一）收到申请数\t件\t3"]))
    assert x.format == "legacy" and [c.row_key for c in x.cells] == ["收到申请数"]
    assert {f.flag for f in x.flags} >= {"format_year_mismatch"}


def test_clean_name():
    assert legacy.clean_name("（一）主动公开政府信息数（不同渠道和方式公开相同信息计1条）") == "主动公开政府信息数"
    assert legacy.clean_name("其中：主动公开规范性文件数") == "主动公开规范性文件数"
    assert legacy.clean_name(" 3 . 政务 微博 ") == "政务微博"
    assert legacy.clean_name("⑤本年增/减") == "本年增／减"


def test_scanned_annex_page(tmp_path):
    """The 定西 annex page as a 300 dpi greyscale scan (one page: OCR costs ~3 s):
    every value read right, every indicator name right or told."""
    import pypdfium2

    pdf = pypdfium2.PdfDocument(str(LEGACY / "2013_anding_dingxi.pdf"))
    pdf[len(pdf) - 1].render(scale=300 / 72, grayscale=True).to_pil().save(tmp_path / "annex.png")
    pdf.close()
    x = extract(read_source(tmp_path / "annex.png"))
    assert x.format == "legacy"
    truth = {(c["row"], c["col"]): c["value"] for c in load_truth(LEGACY / "2013_anding_dingxi.truth.json")["cells"]}
    got = {(c.row_key, c.col_key): c.value for c in x.cells}
    assert got == truth
    assert {c.origin for c in x.cells} == {"ocr"}
    renamed = [f for f in x.flags if f.flag == "indicator_name_matched"]
    assert all(f.severity == "info" and "OCR read" in f.detail for f in renamed)


def test_readme_legacy_query(tmp_path):
    """The query of the README's pre-2019 section gives the output shown there."""
    import re

    from .conftest import ROOT
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("## Pre-2019 reports", 1)[1]
    sql, shown = re.findall(r"```sql\n(.*?)```\n```text\n(.*?)```", section.split("\n## ", 1)[0], re.S)[0]
    db = tmp_path / "l.duckdb"
    reportdb("ingest", LEGACY, "--db", db)
    p = reportdb("query", sql, "--db", db, "--format", "csv")
    assert p.stdout.strip() == shown.strip()
