"""Reading a table is aligning what was printed to the format (issue 17): rows whose
labels OCR garbled are placed by the order of the format, table 2's blocks follow
from their rows' labels, a header whose text was not read gives its columns by its
shape, and the report year comes from the period or the closing date when the title
does not say it right. Each case is built from the rows a real failure produced."""

from __future__ import annotations

from extract.document import _settle_year
from extract.layout import Block, TableRow
from extract.metadata import Metadata
from extract.tables import map_table
from extract.templates import load_spec

FMT = load_spec()["gov2021"]
REQ, PRO, APP = FMT.tables["requests"], FMT.tables["proactive"], FMT.tables["appeals"]
V7 = ("1", "0", "0", "0", "0", "0", "1")


def _grid_row(cells, boxes=None, grid=0, page=1):
    n = len(cells)
    boxes = boxes or tuple((10.0 * i, 0.0, 10.0 * i + 9, 5.0) for i in range(n))
    return TableRow(tuple(cells), page, tuple(boxes), (1.0,) * n, grid)


def _flags(m, kind):
    return [f for f in m.flags if f.flag == kind]


def test_two_garbled_labels_side_by_side_are_placed_by_the_order_of_the_format():
    # a 150 dpi page image read 4.保护第三方合法权益 as 4.傈护第二方合法权全 and
    # 5.属于三类内部事务信息 as 二人生和务: between 3.危及“三安全一稳定” and 6.属于四类过程性信息
    # exactly two rows of the format are left, in that order
    rows = [TableRow(("", "（三）不予公开", "3.危及“三安全一稳定”") + V7, 1),
            TableRow(("", "", "4.傈护第二方合法权全") + V7, 1),
            TableRow(("", "", "二人生和务") + V7, 1),
            TableRow(("", "", "6.属于四类过程性信息") + V7, 1)]
    m = map_table(REQ, rows, "ocr")
    got = {c.row_key for c in m.cells}
    assert {"denied_security", "denied_third_party", "denied_internal", "denied_process"} <= got
    assert len(_flags(m, "row_by_order")) == 2 and not _flags(m, "unrecognised_row")


def test_a_garbled_label_whose_list_number_disagrees_is_not_placed():
    rows = [TableRow(("", "（三）不予公开", "3.危及“三安全一稳定”") + V7, 1),
            TableRow(("", "", "7.傈护第二方合法权全") + V7, 1),   # the gap holds 4., not 7.
            TableRow(("", "", "5.属于三类内部事务信息") + V7, 1)]
    m = map_table(REQ, rows, "ocr")
    assert "denied_third_party" not in {c.row_key for c in m.cells}
    assert _flags(m, "unrecognised_row") and not _flags(m, "row_by_order")


def test_table_2_rows_find_their_block_without_its_heading():
    # the 第二十条第（五）项 heading came out as 二十条:, and （一）'s as garbage with a stray digit
    rows = [TableRow(("4", "是一", "“条第", "—"), 1),
            TableRow(("信息内容", "本年制发件数", "本年废止件数", "现行有效件数"), 1),
            TableRow(("规章", "0", "0", "0"), 1),
            TableRow(("行政规范性文件", "1", "9", "12"), 1),
            TableRow(("第二十条:", "", "", ""), 1),
            TableRow(("信息内容", "本年处理决定数量", "", ""), 1),
            TableRow(("行政许可", "34", "", ""), 1)]
    m = map_table(PRO, rows, "ocr")
    got = {(c.row_key, c.col_key): c.value for c in m.cells}
    assert got[("normative_docs", "in_force")] == 12 and got[("licensing", "decisions")] == 34
    assert _flags(m, "block_by_row")


def test_a_header_that_was_not_read_gives_its_columns_by_its_shape():
    # table 4 on a 200 dpi scan: 行政复议 split by a stray stroke into 行政 | 议, and a
    # stray line splitting two cells, so 17 grid columns hold the 15 values
    xs = [0, 10, 20, 30, 35, 45, 55, 65, 75, 85, 95, 105, 115, 120, 130, 140, 150, 160]
    box = lambda a, b, y: (float(xs[a]), y, float(xs[b]) - 1, y + 5)  # noqa: E731
    spans = [(0, 1), (1, 2), (2, 4), (4, 5), (5, 6), (6, 7), (7, 8), (8, 9), (9, 10), (10, 11), (11, 12),
             (12, 14), (14, 15), (15, 16), (16, 17)]
    head = ["结果", "维持", "", "", "", "", "总计"] + [""] * 10   # unreadable leaves
    top = _grid_row(["行政"] * 3 + ["议"] * 3 + ["行政诉讼"] * 11,
                    [box(0, 3, 0)] * 3 + [box(3, 6, 0)] * 3 + [box(6, 17, 0)] * 11)
    bottom_boxes, value_boxes, values = [], [], []
    for k, (a, b) in enumerate(spans):
        bottom_boxes += [box(a, b, 10)] * (b - a)
        value_boxes += [box(a, b, 20)] * (b - a)
        values += [str(k % 4)] * (b - a)
    rows = [top, _grid_row(head, bottom_boxes), _grid_row(values, value_boxes)]
    m = map_table(APP, rows, "ocr")
    got = {(c.row_key, c.col_key): c.value for c in m.cells}
    assert len(got) == 15 and got[("review", "upheld")] == 0 and got[("suit_after_review", "total")] == 2
    assert _flags(m, "header_by_structure") and not _flags(m, "ambiguous_row")


def _blocks(*texts):
    return [Block("para", 1, 0, t) for t in texts]


def test_the_year_from_the_closing_date_and_a_misread_title_year_mended():
    meta = Metadata("区数据局政府信息公开工作年度报告", "区数据局", None, None, "title", True)
    fixed, flags = _settle_year(meta, _blocks("区数据局", "2023年1月16日"), ocr=False)
    assert fixed.year == 2022 and flags[0].flag == "year_from_signoff"
    misread = Metadata("2024年某局政府信息公开工作年度报告", "某局", 2024, 2021, "title", True)
    fixed, flags = _settle_year(misread, _blocks("统计期限自2021年1月1日起至2021年12月31日止。", "某局",
                                                 "2022年2月1日"), ocr=True)
    assert fixed.year == 2021 and flags[0].flag == "year_mended"
    # typed text that disagrees with itself is the report's own mistake: kept as printed
    fixed, flags = _settle_year(misread, _blocks("某局", "2022年2月1日"), ocr=False)
    assert fixed.year == 2024 and flags == []


def test_a_stray_digit_in_the_header_does_not_end_it():
    # the corner note wrapped in a narrow column, one of its glyphs OCR'd as 1: the header
    # went on below it, and the note must not be taken for a row label
    note = "（本列数据的勾稽关系为：第一项加第二项之和，"
    rows = [TableRow((note, "1", "申请人情况", "", "", "", "", "", ""), 1),
            TableRow(("等于第三项加第四项之和）", "", "自然人", "法人或其他组织", "", "", "", "", "总计"), 1),
            TableRow(("", "", "", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", ""), 1),
            TableRow(("一、本年新收政府信息公开申请数量", "") + V7, 1)]
    m = map_table(REQ, rows, "ocr")
    assert {(c.row_key, c.col_key) for c in m.cells} == {("new", c.key) for c in REQ.cols}
    assert not _flags(m, "unrecognised_row") and not _flags(m, "header_unrecognised")
