"""How OCR readings are settled: glyph votes across a table, and which cells the
identities may vouch for. Pure functions over plain data (the engines and the
page images are exercised end to end in test_scans)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from extract.model import Cell
from extract.readings import unsure_cells
from extract.templates import load_spec
from ocr.cells import _feature, _glyph_inks, glyph_neighbours, glyph_vote, ink_box

from fixtures.pdf import FONT_PATHS

GOV2021 = load_spec()["gov2021"]
COLS = ("natural_person", "business", "research", "ngo", "legal_services", "other_org", "total")


def test_a_lone_glyph_takes_the_reading_of_its_look_alikes():
    # cells '12', '31', '21', '1': Tesseract reads the lone 1 as '4' both times,
    # but reads the 1 inside the other numbers right; glyphs 0, 3, 4 and 6 are
    # the four 1s (the look-alike sets a glyph comparison would give)
    readings = [["12", "31", "21", "4"], ["12", "31", "21", "4"]]
    glyphs = [[0, 1], [2, 3], [4, 5], [6]]
    ones = [0, 3, 5, 6]
    neighbours = [[g, *[o for o in ones if o != g]] if g in ones else [g] for g in range(7)]
    got = glyph_vote(readings, glyphs, neighbours)
    assert [t for t, _ in got] == ["12", "31", "21", "1"]
    assert got[3][1] < 0.75   # outvoted, so not sure
    assert got[0][1] > 0.75


def test_a_reading_that_does_not_align_with_the_glyphs_gives_no_glyph_vote():
    got = glyph_vote([["12"], ["1"]], [[0, 1]], [[0], [1]])
    assert got[0] is not None and got[0][0] == "12"
    assert glyph_vote([["123"], ["7"]], [[0, 1]], [[0], [1]]) == [None]


def _render(text: str) -> np.ndarray:
    img = Image.new("L", (60 * len(text) + 40, 80), 255)
    ImageDraw.Draw(img).text((20, 10), text, font=ImageFont.truetype(next(f for f in FONT_PATHS if Path(f).exists()), 48), fill=0)
    return 255 - np.asarray(img)  # ink white on black, like the page's binary image


def test_glyphs_of_one_font_find_their_look_alikes():
    images = [_render(t) for t in ("12", "31", "4", "10")]
    feats, owners = [], []
    for n, binary in enumerate(images):
        ink = ink_box(binary, (0, 0, binary.shape[1], binary.shape[0]), 300)
        for g in _glyph_inks(binary, ink):
            feats.append(_feature(binary, g))
            owners.append(n)
    assert len(feats) == 7
    near = glyph_neighbours(feats, 0.12)
    ones = [0, 3, 5]            # the 1 of 12, of 31, of 10
    for g in ones:
        assert set(ones) <= set(near[g])
        assert 4 not in near[g]  # the 4 is not a 1


def _row(readings: dict[str, tuple[str, float, tuple[str, ...]]]) -> list[Cell]:
    out = []
    for col in COLS:
        raw, conf, alts = readings.get(col, ("0", 0.99, ()))
        out.append(Cell("requests", "new", col, float(raw), raw, None, 1, (0, 0, 1, 1), conf, "ocr", alts))
    return out


def test_identity_vouches_for_an_unsure_cell():
    cells = _row({"natural_person": ("4", 0.5, ("1",)), "total": ("4", 0.99, ())})
    flags = unsure_cells(GOV2021, cells)
    assert [(f.flag, f.scope) for f in flags] == [("confirmed_by_identity", "requests:new/natural_person")]


def test_twins_cannot_vouch_for_each_other():
    # the same glyph misread alike in a value and its total keeps the sum true
    cells = _row({"natural_person": ("4", 0.5, ("1",)), "total": ("4", 0.5, ("1",))})
    flags = unsure_cells(GOV2021, cells)
    assert sorted((f.flag, f.scope) for f in flags) == [
        ("low_confidence", "requests:new/natural_person"), ("low_confidence", "requests:new/total")]
    assert all(f.severity == "review" for f in flags)
    assert "read the same unsure way" in flags[0].detail and "'1'" in flags[0].detail


def test_zeros_read_alike_are_vouched_for_when_the_sum_rules_out_the_rest():
    # a row of unsure 0s (also read as 8) with a sure total: 8s would break it
    cells = _row({c: ("0", 0.8, ("8",)) for c in COLS[:-1]} | {"total": ("0", 0.99, ())})
    flags = unsure_cells(GOV2021, cells)
    assert {f.flag for f in flags} == {"confirmed_by_identity"} and len(flags) == 6


# --------------------------------------------------- headers that lost a label

def _appeals_grid(pending_label: str, last_value: str = "4") -> list:
    from extract.layout import TableRow
    leaves = ["结果维持", "结果纠正", "其他结果", pending_label, "总计"]
    rows = [
        ["行政复议"] * 5 + ["行政诉讼"] * 10,
        leaves + ["未经复议直接起诉"] * 5 + ["复议后起诉"] * 5,
        [""] * 5 + leaves + leaves,
        ["3", "3", "0", "3", "9", "2", "0", "3", "0", "5", "1", "3", "0", "0", last_value],
    ]
    # merged cells expanded as grid_rows does: the row-spanning leaves of 行政复议
    # fill the third header row too
    rows[2][:5] = leaves
    return [TableRow(tuple(r), 3, grid=0) for r in rows]


def test_a_header_label_lost_to_ocr_is_placed_by_the_official_order():
    # regression (bench noise kind, d05_2019): 尚未审结 printed on two lines was read
    # as '结' under both 行政复议 and 未经复议直接起诉; the whole table was lost
    from extract.tables import map_table
    spec = load_spec()["gov2019"].tables["appeals"]
    mapped = map_table(spec, _appeals_grid("结"), "ocr")
    got = {(c.row_key, c.col_key): c.raw for c in mapped.cells}
    assert got[("review", "pending")] == "3" and got[("suit_direct", "pending")] == "0"
    assert got[("suit_after_review", "total")] == "4" and len(got) == 15
    flags = {f.flag: f for f in mapped.flags}
    assert flags["header_inferred"].severity == "info" and "'结'" in flags["header_inferred"].detail
    assert "header_unrecognised" not in flags


def test_a_header_inference_needs_the_gap_to_fit():
    # the unreadable label is the last of the table and no column follows it: the
    # gap has no headed column, nothing is inferred, the header is flagged
    from extract.layout import TableRow
    from extract.tables import map_table
    spec = load_spec()["gov2019"].tables["appeals"]
    rows = _appeals_grid("尚未审结")
    rows = [TableRow(r.cells[:14], r.page, grid=0) for r in rows]
    mapped = map_table(spec, rows, "ocr")
    assert "header_inferred" not in {f.flag for f in mapped.flags}
    assert "header_unrecognised" in {f.flag for f in mapped.flags}
