"""Tolerant label matching and format detection against the spec."""

from pathlib import Path

import pytest

from extract.templates import best_match, core, detect_format, load_spec

SPEC = load_spec()
REQ = SPEC["gov2021"].tables["requests"]
PRO = SPEC["gov2021"].tables["proactive"]


def test_packaged_spec_is_the_canonical_one():
    shared = Path(__file__).resolve().parents[2] / "shared" / "spec" / "report-formats.yaml"
    if not shared.exists():
        pytest.fail("../shared/spec/report-formats.yaml is expected beside the repository")
    packaged = Path(__file__).resolve().parents[1] / "extract" / "spec" / "report-formats.yaml"
    assert packaged.read_bytes() == shared.read_bytes()


def test_cell_counts_of_the_formats():
    assert len(SPEC["gov2021"].tables["requests"].cells()) == 175
    assert len(SPEC["gov2019"].tables["requests"].cells()) == 161
    assert len(SPEC["gov2021"].tables["proactive"].cells()) == 10
    assert len(SPEC["gov2021"].tables["appeals"].cells()) == 15


@pytest.mark.parametrize("printed,key", [
    ("(二) 部分公开(区分处理的, 只计这一情形, 不计其他情形)", "partial"),
    ("（二）部分公开（区分处理的，只计这一情况，不计其他情形）", "partial"),  # typo 情况
    ("5.属于三类内容事务信息", "denied_internal"),                          # typo 内容
    ("3.危及\"三安全一稳定\"", "denied_security"),
    ("一、本年新收政府信息公开申请数量", "new"),
    ("一、本年新收政府信息 公开申请数量", "new"),
    ("3.其他", "other_other"),
    ("（七）总计", "results_total"),
])
def test_request_rows(printed, key):
    lab = best_match(printed, REQ.rows)
    assert lab is not None and lab.key == key


@pytest.mark.parametrize("printed,key", [
    ("规章(县级无此项)", "rules"), ("规章（县级无此项）", "rules"), ("行政规范性文件", "normative_docs"),
    ("行 政 处 罚", "penalty")])
def test_proactive_rows(printed, key):
    assert best_match(printed, PRO.rows).key == key


def test_columns_with_spaces_and_notes():
    cols = PRO.blocks[0].cols
    assert best_match("现行有效件数 (历史累计)", cols).key == "in_force"
    assert best_match("本年收费金额（单位：万元）", PRO.blocks[3].cols).key == "amount"
    assert best_match("自 然 人", REQ.cols).key == "natural_person"


def test_unrelated_labels_do_not_match():
    assert best_match("不予公开", REQ.rows) is None   # a group label, no row of its own
    assert best_match("合计金额", REQ.rows) is None


def test_core_strips_enumerators_and_notes():
    assert core("（三） 不予公开") == "不予公开"
    assert core("2. 重复申请") == "重复申请"


@pytest.mark.parametrize("ocr_read, key", [
    ("(=)部分公开〈区分处理的，只计这一情形，不计其他情形)", "partial"),   # （二） and （ garbled
    ("{一)予以公开", "granted"),
    ("(=)不予公开", None),                                         # still a group, not a row
    ("(二)部分公开(区分处理的，只计这一情形", "partial"),              # closing bracket lost
])
def test_ocr_garbled_brackets_and_enumerators(ocr_read, key):
    lab = best_match(ocr_read, REQ.rows)
    assert (lab.key if lab else None) == key


def test_format_from_labels_not_year():
    assert detect_format("信息内容 本年制发件数 本年废止件数 现行有效件数").format == "gov2021"
    assert detect_format("本年新制作数量 本年新公开数量 对外公开总数量 上一年项目数量").format == "gov2019"
    assert detect_format("统计指标 单位 统计数 同意公开答复数").format == "legacy"
    assert detect_format("一段没有表格的文字").format is None
