"""The number normaliser, table-driven: one row per rule of the issue."""

import pytest

from extract.numbers import chinese_to_int, find_quantities, parse_cell

CELLS = [
    # raw, value, kind, unit, qualifier
    ("0", 0, "number", None, None),
    ("75", 75, "number", None, None),
    ("１２３", 123, "number", None, None),           # full-width digits
    ("1,234", 1234, "number", None, None),           # thousands separator
    ("1，234", 1234, "number", None, None),          # full-width comma
    ("26.55", 26.55, "number", None, None),          # decimal (万元 fee)
    ("-417", -417, "number", None, None),            # signed gov2019 本年增/减
    ("251000元", 251000, "number", "元", None),     # unit inside the cell
    ("20.3万元", 20.3, "number", "万元", None),
    ("三", 3, "number", None, None),                 # Chinese numeral
    ("约100", 100, "number", None, "约"),
    ("—", 0, "zero_mark", None, None),
    ("－", 0, "zero_mark", None, None),
    ("-", 0, "zero_mark", None, None),
    ("/", 0, "zero_mark", None, None),
    ("−3", -3, "number", None, None),                # U+2212, as word processors print 本年增/减
    ("−", 0, "zero_mark", None, None),
    ("无", 0, "zero_mark", None, None),
    ("", None, "blank", None, None),                 # blank is NULL, never 0
    ("  ", None, "blank", None, None),
    ("见附件", None, "invalid", None, None),
    ("1,23", None, "invalid", None, None),           # misplaced separator is not guessed
]


@pytest.mark.parametrize("raw,value,kind,unit,qualifier", CELLS)
def test_parse_cell(raw, value, kind, unit, qualifier):
    q = parse_cell(raw)
    assert (q.value, q.kind, q.unit, q.qualifier) == (value, kind, unit, qualifier)
    assert q.raw == raw  # the printed text is kept as it was


@pytest.mark.parametrize("text,value", [
    ("三十二", 32), ("一百零五", 105), ("两千", 2000), ("十五", 15), ("二〇二三", 2023),
    ("一万二千", 12000), ("三亿五千万", 350_000_000), ("九十九", 99)])
def test_chinese_numerals(text, value):
    assert chinese_to_int(text) == value


PROSE = [
    # text, [(value, unit, qualifier), ...]
    ("主动公开信息 470 余条", [(470, "条", "余")]),
    ("关注用户达 1786 余人", [(1786, "人", "余")]),
    ("发布信息1600多份", [(1600, "份", "多")]),
    ("近5000条", [(5000, "条", "近")]),
    ("约 300 件", [(300, "件", "约")]),
    ("超过30亿次", [(3_000_000_000, "次", "超过")]),
    ("2.3万余条", [(23000, "条", "余")]),
    ("收费金额20.3万元", [(20.3, "万元", None)]),
    ("共计300元", [(300, "元", None)]),
    ("组织培训三十二场", [(32, "场", None)]),
    ("办理提案一百零五件", [(105, "件", None)]),
    ("两千人次参加", [(2000, "人次", None)]),
    ("七个县(市)区", [(7, "个", None)]),
    ("占比12.5%", [(12.5, "%", None)]),
    # not counts
    ("共受理 12345 平台工单 181 件", [(181, "件", None)]),
    ("“12345”便民热线", []),
    ("12345热线", []),
    ("2023 年", []),
    ("2023年度共发布", []),
    ("（国办公开办函〔2021〕30号）", []),
    ("从 2023 年 1 月 1 日至 12 月 31 日", []),
    ("第二十条第（一）项", []),
    ("第 3 条", []),
    ("一是进一步加强", []),
    ("一个窗口", []),                    # a lone 一 is idiom, not a count
    ("三类内部事务信息", []),            # a category name
    ("党的二十大精神", []),
    ("1.属于国家秘密", []),
]


@pytest.mark.parametrize("text,expected", PROSE)
def test_find_quantities(text, expected):
    got = [(f.quantity.value, f.quantity.unit, f.quantity.qualifier) for f in find_quantities(text)]
    assert got == expected


def test_positions_point_into_the_original_text():
    text = "全年受理申请１８１件。"
    (f,) = find_quantities(text)
    assert text[f.start:f.end] == "１８１件"
