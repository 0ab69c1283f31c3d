"""Web pages and Word documents through the real ``reportdb`` command into a real
DuckDB file, compared whole with their ground truth.

The committed ``fixtures/forms``: a CMS page in UTF-8, an old table-laid page
in GBK bytes declared GB2312, a "saved complete" page whose table 4 is an image
in ``name_files/`` (OCR'd by Tesseract), a gov2021 and a gov2019 ``.docx``.
The ``.doc`` and the Kingsoft ``.wps`` are made from the gov2019 ``.docx`` by
LibreOffice here, and read back through LibreOffice, two at once (a batch of
two workers), each with its own profile.
"""

from __future__ import annotations

import base64
import filecmp
import io
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import duckdb
import pytest

from extract.layout import TableRow, stream, strip_furniture
from fixtures.generate import FORM_SAMPLES, forms
from ocr.docx import chinese_counting
from ocr.errors import ReadError
from ocr.html import decode_html, embedded_image, read_html_pages
from ocr.model import Grid, GridCell, Line, Page
from ocr.read import read_source
from pipeline.batch import batch
from pipeline.ingest import discover, document_sha, ingest

from .golden import compare, load_truth, stored

FORMS = Path(__file__).resolve().parent.parent / "fixtures" / "forms"
TRUTHS = sorted(FORMS.glob("*.truth.json"))
REPORTDB = Path(sys.executable).parent / "reportdb"  # this tree's console script
GOV2019_DOCX = FORMS / "2022_gengma_template2019.docx"
GOV2021_DOCX = FORMS / "2023_lixia_typo.docx"
CLUTTER = ("首页", "当前位置", "您现在的位置", "版权所有", "ICP", "联系我们", "打印本页", "关闭窗口", "相关链接",
           "发布时间", "发布日期", "浏览次数", "点击数", "上一篇", "下一篇", "网站标识码", "公网安备", "字体",
           "无障碍", "主办单位", "统计代码", "搜索")


def cli(*args, path: str | None = None, check: int | None = None) -> subprocess.CompletedProcess:
    env = {"COLUMNS": "200", "PATH": path or os.environ.get("PATH", "/usr/bin:/bin"),
           "HOME": os.environ.get("HOME", "/tmp")}
    p = subprocess.run([str(REPORTDB), *map(str, args)], capture_output=True, text=True, env=env)
    if check is not None:
        assert p.returncode == check, p.stdout + p.stderr
    return p


def _source(name: str) -> Path:
    return next(p for p in FORMS.iterdir() if p.name.startswith(name + ".") and not p.name.endswith(".json"))


def test_committed_forms_are_what_the_generator_writes(tmp_path):
    written = forms(tmp_path)
    committed = sorted(str(p.relative_to(FORMS)) for p in FORMS.rglob("*") if p.is_file())
    assert sorted(str(p.relative_to(tmp_path)) for p in written) == committed
    for p in written:
        assert filecmp.cmp(p, FORMS / p.relative_to(tmp_path), shallow=False), f"{p.name} differs: make fixtures"


# ----------------------------------------------------------------- golden

@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("forms") / "f.duckdb"
    p = cli("ingest", FORMS, "--db", path, "--workers", "2", check=0)
    assert f"{len(FORM_SAMPLES)} files: {len(FORM_SAMPLES)} loaded" in p.stdout, p.stdout
    assert "table4.png" not in p.stdout  # the saved page's image is part of the page
    return str(path)


@pytest.mark.parametrize("truth_path", TRUTHS, ids=lambda p: p.name.split(".")[0])
def test_form_matches_truth(db, truth_path):
    truth = load_truth(truth_path)
    con = duckdb.connect(db, read_only=True)
    try:
        diffs = compare(truth, stored(con, str(_source(truth["name"]))))
    finally:
        con.close()
    assert diffs == []


def test_forms_cover_what_the_issue_asks():
    truths = {load_truth(p)["form"]: load_truth(p) for p in TRUTHS}
    assert {"html-utf8", "html-gbk", "html-saved", "docx", "docx-numbered"} <= set(truths)
    assert (FORMS / "2019_xihu_gov2019_gbk.html").read_bytes().decode("gbk")  # really GBK bytes
    with pytest.raises(UnicodeDecodeError):
        (FORMS / "2019_xihu_gov2019_gbk.html").read_bytes().decode("utf-8")
    gov2019 = [t for t in map(load_truth, TRUTHS) if t["metadata"]["format"] == "gov2019"]
    assert {t["form"] for t in gov2019} == {"html-gbk", "docx-numbered"}
    for t in gov2019:  # negative 本年增/减 and 政府集中采购, through HTML and through DOCX
        cells = {(c["row"], c["col"]): c["value"] for c in t["cells"] if c["table"] == "proactive"}
        assert any(v < 0 for (r, c), v in cells.items() if c == "change")
        assert cells[("procurement", "items")] > 0 and cells[("procurement", "amount")] > 0


def test_site_furniture_stays_out_of_the_text(db):
    con = duckdb.connect(db, read_only=True)
    rows = con.execute("SELECT d.source_path, p.text FROM paragraphs p JOIN documents d USING (doc_id)").fetchall()
    pages = con.execute("SELECT d.source_path, p.text FROM pages p JOIN documents d USING (doc_id)").fetchall()
    con.close()
    assert len({r[0] for r in rows}) == len(FORM_SAMPLES)
    leaked = [(Path(path).name, word, text[:60]) for path, text in rows + pages for word in CLUTTER
              if word in text]
    assert leaked == []
    for t in map(load_truth, TRUTHS):  # a Word document's page header is no paragraph
        header = f"{t['metadata']['agency']}政府信息公开工作年度报告"
        assert header not in {text for path, text in rows if Path(path).stem == t["name"]}


def test_origins_say_how_each_value_was_read(db):
    con = duckdb.connect(db, read_only=True)
    got = set(con.execute("SELECT regexp_extract(d.source_path, '[^/]+$'), c.table_key, c.origin "
                          "FROM cells c JOIN documents d USING (doc_id)").fetchall())
    sources = set(con.execute("SELECT DISTINCT p.source FROM pages p").fetchall())
    con.close()
    saved = {(t, o) for n, t, o in got if n == "2024_dongwu_town_saved.html"}
    assert saved == {("proactive", "html"), ("requests", "html"), ("appeals", "ocr")}
    assert {o for n, _, o in got if n.endswith(".docx")} == {"docx"}
    assert {o for n, _, o in got if n.endswith("utf8.html") or n.endswith("gbk.html")} == {"html"}
    assert sources == {("html",), ("docx",)}


# ---------------------------------------------------- .doc and .wps (LibreOffice)

@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """Word 97 files saved by LibreOffice from the committed .docx: the gov2019
    report as ``.doc``, the gov2021 one as ``.wps`` (Kingsoft's files are the
    same OLE container; the suffix is what tells them apart)."""
    if shutil.which("soffice") is None:
        pytest.fail("LibreOffice (soffice) is expected: scripts/install-system.sh installs it")
    base = tmp_path_factory.mktemp("office")
    inbox = base / "inbox"
    inbox.mkdir()
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation={(base / 'profile').as_uri()}",
                    "--convert-to", "doc", "--outdir", str(inbox), str(GOV2019_DOCX), str(GOV2021_DOCX)],
                   check=True, capture_output=True, timeout=180)
    (inbox / (GOV2021_DOCX.stem + ".doc")).rename(inbox / (GOV2021_DOCX.stem + ".wps"))
    for p in inbox.iterdir():
        assert p.read_bytes().startswith(b"\xd0\xcf\x11\xe0"), p
    return inbox


def test_doc_and_wps_match_truth_converted_two_at_once(converted, tmp_path):
    db = tmp_path / "o.duckdb"
    cli("batch", converted, "--db", db, "--workers", "2", check=0)
    con = duckdb.connect(str(db), read_only=True)
    try:
        for docx_path, suffix, media in ((GOV2019_DOCX, ".doc", "application/msword"),
                                         (GOV2021_DOCX, ".wps", "application/wps-office.wps")):
            truth = load_truth(FORMS / f"{docx_path.stem}.truth.json")
            src = str(converted / (docx_path.stem + suffix))
            assert compare(truth, stored(con, src)) == []
            assert con.execute("SELECT media_type FROM documents WHERE source_path = ?",
                               [src]).fetchone() == (media,)
    finally:
        con.close()


def test_a_doc_without_libreoffice_fails_naming_the_converter(converted, tmp_path):
    bin_dir = tmp_path / "bin"  # tesseract, but no soffice
    bin_dir.mkdir()
    (bin_dir / "tesseract").symlink_to(shutil.which("tesseract"))
    db = tmp_path / "n.duckdb"
    p = cli("ingest", converted, "--db", db, path=str(bin_dir), check=1)
    assert "a .doc file needs LibreOffice (soffice) to convert it; it is not installed" in p.stdout
    assert "a .wps file needs LibreOffice (soffice) to convert it; it is not installed" in p.stdout
    con = duckdb.connect(str(db), read_only=True)
    rows = con.execute("SELECT stage, error FROM failures ORDER BY source_path").fetchall()
    con.close()
    assert [r[0] for r in rows] == ["read", "read"] and all("LibreOffice" in r[1] for r in rows)


def test_a_conversion_past_its_time_limit_is_stopped(converted):
    from ocr.office import convert_to_docx
    data = (converted / (GOV2019_DOCX.stem + ".doc")).read_bytes()
    t0 = time.monotonic()
    with pytest.raises(ReadError, match=r"^LibreOffice did not convert the \.doc file within 0\.3 s$"):
        convert_to_docx(data, ".doc", timeout=0.3)
    assert time.monotonic() - t0 < 5


# ------------------------------------------------------------ bad input

def test_bad_inputs_fail_one_line_each_and_the_rest_loads(tmp_path):
    data = GOV2019_DOCX.read_bytes()
    (tmp_path / "truncated.docx").write_bytes(data[: len(data) // 2])
    z = io.BytesIO()
    with zipfile.ZipFile(z, "w") as f:
        f.writestr("content.xml", "<x/>")
    (tmp_path / "not_word.docx").write_bytes(z.getvalue())
    (tmp_path / "news.html").write_text(
        '<html><head><meta charset="utf-8"><title>新闻</title></head><body><div class="nav">'
        '<a href="/">首页</a><a href="/x">政务公开</a></div><div id="zoom"><h1>我区召开防汛工作会议</h1>'
        "<p>7月2日，我区召开防汛工作会议，部署今年汛期各项工作。</p></div></body></html>", encoding="utf-8")
    (tmp_path / "empty.html").write_text("<html><body><div class='footer'>版权所有</div></body></html>",
                                         encoding="utf-8")
    shutil.copy(GOV2019_DOCX, tmp_path / "good.docx")
    summary = ingest([tmp_path], str(tmp_path / "b.duckdb"))
    got = {Path(r.path).name: (r.outcome, r.stage, r.error) for r in summary.results}
    assert got["good.docx"][0] == "loaded"
    assert got["truncated.docx"] == ("failed", "read",
                                     "broken Word document (.docx): a damaged zip archive (truncated or corrupt)")
    assert got["not_word.docx"] == ("failed", "read", "broken Word document (.docx): a zip without word/document.xml")
    assert got["empty.html"] == ("failed", "read", "web page with no article text")
    assert got["news.html"][:2] == ("failed", "extract") and "not a report" in got["news.html"][2]
    assert all("\n" not in (r.error or "") for r in summary.results)


def _docx_with(extra: dict[str, bytes]) -> bytes:
    """The gov2019 .docx with more parts written into it (deflated)."""
    out = io.BytesIO()
    with zipfile.ZipFile(GOV2019_DOCX) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        for name, data in extra.items():
            dst.writestr(name, data)
    return out.getvalue()


def _lie_about_size(data: bytes, name: str, size: int) -> bytes:
    """Rewrite the uncompressed size both headers of ``name`` declare."""
    b = bytearray(data)
    raw = name.encode()
    for sig, field in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = 0
        while (at := b.find(sig, at)) >= 0:
            name_at = at + (30 if sig == b"PK\x03\x04" else 46)
            if b[name_at:name_at + len(raw)] == raw:
                b[at + field:at + field + 4] = size.to_bytes(4, "little")
            at += 4
    return bytes(b)


def test_a_word_zip_bomb_is_refused_before_it_is_unpacked(tmp_path):
    from ocr.docx import DOCX_MAX_PART, DOCX_MAX_UNPACKED, check_unpacked_size

    zeros = bytes(1 << 20)
    bomb = _docx_with({"word/media/pad.bin": zeros * ((DOCX_MAX_UNPACKED >> 20) + 44)})
    assert len(bomb) < 1 << 20  # 300 MiB in well under one MiB of zip
    (tmp_path / "bomb.docx").write_bytes(bomb)
    # a part that says 1 kB and unpacks to more than a part may be: counted as it inflates
    liar = _lie_about_size(_docx_with({"word/pad.xml": zeros * ((DOCX_MAX_PART >> 20) + 8)}), "word/pad.xml", 1000)
    (tmp_path / "liar.docx").write_bytes(liar)
    # a small lie (the part is larger than declared, within the caps): a broken document
    small = _lie_about_size(_docx_with({"word/pad.xml": zeros}), "word/pad.xml", 1000)
    (tmp_path / "small_liar.docx").write_bytes(small)
    shutil.copy(GOV2019_DOCX, tmp_path / "good.docx")
    assert check_unpacked_size(GOV2019_DOCX.read_bytes()) > 0
    summary = ingest([tmp_path], str(tmp_path / "z.duckdb"))
    got = {Path(r.path).name: (r.outcome, r.stage, r.error) for r in summary.results}
    assert got["good.docx"][0] == "loaded"
    assert got["bomb.docx"][:2] == ("failed", "read")
    assert re.fullmatch(r"Word document too large when unpacked \(30\d MiB > 256 MiB\)", got["bomb.docx"][2])
    assert got["liar.docx"][:2] == ("failed", "read")
    assert got["liar.docx"][2] == ("Word document too large when unpacked (word/pad.xml inflates past 64 MiB "
                                   "although the zip says 0.0 MiB)")
    assert got["small_liar.docx"] == ("failed", "read", "broken Word document (.docx): word/pad.xml is larger "
                                                        "than its zip entry says")


# -------------------------------------------------------------- encodings

def test_encoding_is_found_without_a_meta_tag():
    gbk = (FORMS / "2019_xihu_gov2019_gbk.html").read_bytes()
    bare = gbk.replace(b'<meta http-equiv="Content-Type" content="text/html; charset=gb2312">', b"")
    assert bare != gbk and b"charset" not in bare
    text, enc = decode_html(bare)
    assert enc == "gb18030" and "2019年杭州市西湖区人民政府政府信息公开工作年度报告" in text
    lying = gbk.replace(b"charset=gb2312", b"charset=utf-8")  # a declaration the bytes contradict
    assert decode_html(lying)[1] == "gb18030"
    utf8 = (FORMS / "2021_yulin_street_dashes_utf8.html").read_bytes().replace(b'<meta charset="utf-8">', b"")
    assert decode_html(utf8)[1] == "utf-8"
    stale = utf8.replace(b"<head>", b'<head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">')
    assert decode_html(stale)[1] == "utf-8"  # the bytes outweigh a stale declaration
    short = '<html><head><meta charset="gb2312"></head><body>年度报告</body></html>'.encode("utf-8")
    assert short.decode("gb18030") != short.decode("utf-8")  # GB18030 reads it too, as nonsense
    assert decode_html(short)[1] == "utf-8"
    assert decode_html(b"\xef\xbb\xbf<html><body>\xe4\xb8\xad</body></html>") == ("<html><body>中</body></html>",
                                                                                 "utf-8")
    pages, _ = read_html_pages(bare)
    assert pages[0].lines[0].text == "2019年杭州市西湖区人民政府政府信息公开工作年度报告"


# ---------------------------------------------- spans and document order

def test_word_merged_cells_come_back_with_their_spans():
    import docx
    table = docx.Document(str(GOV2019_DOCX)).tables[1]
    assert len({id(c._tc) for c in table.rows[0].cells}) < len(table.rows[0].cells)  # python-docx repeats them
    page = read_source(GOV2019_DOCX).pages[0]
    cells = {c.text: c for c in page.grids[1].cells}
    assert (cells["申请人情况"].colspan, cells["法人或其他组织"].colspan) == (7, 5)
    assert cells["三、本年度办理结果"].rowspan > 10 and cells["商业 企业"].rowspan == 1
    appeals = {c.text: c for c in page.grids[2].cells}
    assert (appeals["行政复议"].colspan, appeals["行政诉讼"].colspan, appeals["复议后起诉"].colspan) == (5, 10, 5)
    assert len(page.grids[2].cells) == 4 + 15 + 15  # each merged cell once


def test_word_legacy_horizontal_merges_read_as_spans(tmp_path):
    """The gov2019 .docx rewritten the Word 97 way: each ``w:gridSpan`` cell as a
    ``w:hMerge`` restart cell and empty continuation cells. Same grids."""
    from lxml import etree
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    with zipfile.ZipFile(GOV2019_DOCX) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    root = etree.fromstring(parts["word/document.xml"])
    rewritten = 0
    for tc in list(root.iter(w + "tc")):
        span = tc.find(f"{w}tcPr/{w}gridSpan")
        if span is None or int(span.get(w + "val")) < 2:
            continue
        n = int(span.get(w + "val"))
        pr = span.getparent()
        pr.remove(span)
        etree.SubElement(pr, w + "hMerge").set(w + "val", "restart")
        at = tc.getparent().index(tc)
        for k in range(1, n):
            cont = etree.Element(w + "tc")
            cpr = etree.SubElement(cont, w + "tcPr")
            for v in pr.findall(w + "vMerge"):  # a cell merged both ways continues both ways
                cpr.append(etree.fromstring(etree.tostring(v)))
            etree.SubElement(cpr, w + "hMerge")
            etree.SubElement(cont, w + "p")
            tc.getparent().insert(at + k, cont)
        rewritten += 1
    assert rewritten > 10
    parts["word/document.xml"] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    legacy = tmp_path / "legacy.docx"
    with zipfile.ZipFile(legacy, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    assert b"gridSpan" not in parts["word/document.xml"]
    want = read_source(GOV2019_DOCX).pages[0].grids
    got = read_source(legacy).pages[0].grids
    assert [sorted(g.cells, key=lambda c: (c.row, c.col)) for g in got] == \
        [sorted(g.cells, key=lambda c: (c.row, c.col)) for g in want]


def test_word_list_numbers_come_back_as_section_labels(db):
    """The gov2019 .docx lets Word number its section headings: 一、 … 六、 are
    in numbering.xml, not in the text, and must still open sections 1 … 6."""
    with zipfile.ZipFile(GOV2019_DOCX) as z:
        assert "一、总体情况" not in z.read("word/document.xml").decode("utf-8")
    con = duckdb.connect(db, read_only=True)
    heads = con.execute("SELECT p.section, p.text FROM paragraphs p JOIN documents d USING (doc_id) "
                        "WHERE d.source_path = ? AND p.kind = 'heading' AND p.text LIKE '_、%' ORDER BY p.seq",
                        [str(GOV2019_DOCX)]).fetchall()
    con.close()
    assert [(n, t[:2]) for n, t in heads] == [(1, "一、"), (2, "二、"), (3, "三、"), (4, "四、"), (5, "五、"),
                                              (6, "六、")]
    assert [chinese_counting(n) for n in (1, 10, 11, 20, 21, 99)] == ["一", "十", "十一", "二十", "二十一", "九十九"]


def test_word_text_as_shown_tracked_changes_controls_and_breaks():
    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    from ocr.docx import read_docx_pages

    d = docx.Document()
    d.sections[0].header.paragraphs[0].text = "页眉文字"
    p = d.add_paragraph("全年")
    p._p.append(parse_xml(f'<w:ins {nsdecls("w")} w:id="1" w:author="a"><w:r><w:t>新收</w:t></w:r></w:ins>'))
    p._p.append(parse_xml(f'<w:del {nsdecls("w")} w:id="2" w:author="a"><w:r><w:delText>删去</w:delText></w:r></w:del>'))
    p._p.append(parse_xml(f'<w:sdt {nsdecls("w")}><w:sdtContent><w:r><w:t>申请</w:t></w:r></w:sdtContent></w:sdt>'))
    r = p.add_run("8件")
    r.add_tab()
    r.add_text("均已答复")
    r.add_break()
    r.add_text("下一行")
    buf = io.BytesIO()
    d.save(buf)
    lines = [ln.text for ln in read_docx_pages(buf.getvalue())[0].lines]
    assert lines == ["全年新收申请8件 均已答复", "下一行", ""]  # no tab: a tab line is a table row downstream


def test_html_table_spans_and_blank_cells():
    page = read_source(FORMS / "2019_xihu_gov2019_gbk.html").pages[0]
    req = page.grids[1]
    by_text = {c.text: c for c in req.cells}
    assert (by_text["申请人情况"].colspan, by_text["法人或其他组织"].colspan) == (7, 5)
    assert by_text["自 然 人"].rowspan == 2  # spaced out as printed
    blanks = [c for c in req.cells if c.text == ""]
    assert blanks and all(c.col == 2 for c in blanks)  # the &nbsp; cells beside two-column labels


def test_geometry_less_grids_keep_their_place_through_furniture_removal():
    grid = Grid(1, (GridCell(0, 0, "规章"), GridCell(0, 1, "3")), at=3)
    page = Page(1, [Line("二、主动公开政府信息情况"), Line("- 2 -"), Line("表格如下："), Line("三、收到和处理")],
                "html", grids=[grid])
    pages, removed = strip_furniture([page])
    assert removed == [(1, "- 2 -")] and pages[0].grids[0].at == 2
    items = stream(pages)
    order = [i.cells[0] if isinstance(i, TableRow) else getattr(i, "text", None) for i in items]
    assert order == ["二、主动公开政府信息情况", "表格如下：", "规章", "三、收到和处理"]


# ------------------------------------------------------ the saved folder

def test_saved_page_folder_belongs_to_the_page(tmp_path):
    html = (FORMS / "2024_dongwu_town_saved.html").read_text(encoding="utf-8")
    (tmp_path / "page.html").write_text(html.replace("2024_dongwu_town_saved_files/", "page_files/"),
                                        encoding="utf-8")
    folder = tmp_path / "page_files"
    folder.mkdir()
    from PIL import Image
    Image.new("L", (40, 20), 255).save(folder / "table4.png")  # too small to be a table: no OCR here
    assert discover([tmp_path])[0] == [str(tmp_path / "page.html")]
    before = document_sha(str(tmp_path / "page.html"))
    assert read_source(tmp_path / "page.html").sha256 == before
    db = str(tmp_path / "b.duckdb")
    assert [r.outcome for r in ingest([tmp_path], db).results] == ["loaded"]
    assert [r.outcome for r in ingest([tmp_path], db).results] == ["unchanged"]
    Image.new("L", (40, 20), 0).save(folder / "table4.png")  # the image changed: the page changed
    assert document_sha(str(tmp_path / "page.html")) != before
    assert [r.outcome for r in batch(tmp_path, db, workers=1).results] == ["loaded"]


def test_an_image_written_into_the_page_is_read_like_a_saved_one(tmp_path):
    """A page saved as one file (SingleFile, "save as single file") carries its
    table image inside the HTML as a data: URI, with no folder beside it."""
    html = (FORMS / "2024_dongwu_town_saved.html").read_text(encoding="utf-8")
    png = (FORMS / "2024_dongwu_town_saved_files" / "table4.png").read_bytes()
    uri = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    page = tmp_path / "2024_dongwu_town_saved.html"
    page.write_text(html.replace("2024_dongwu_town_saved_files/table4.png", uri), encoding="utf-8")
    db = str(tmp_path / "d.duckdb")
    assert [r.outcome for r in ingest([tmp_path], db).results] == ["loaded"]
    con = duckdb.connect(db, read_only=True)
    try:
        assert compare(load_truth(FORMS / "2024_dongwu_town_saved.truth.json"), stored(con, str(page))) == []
        assert con.execute("SELECT count(*) FROM cells c JOIN documents d USING (doc_id) "
                           "WHERE d.source_path = ? AND c.table_key = 'appeals' AND c.origin = 'ocr'",
                           [str(page)]).fetchone()[0] > 0
    finally:
        con.close()
    assert embedded_image("data:image/png;base64,not base64!") is None
    assert embedded_image("data:text/html;base64,PGI+") is None


def test_a_missing_page_folder_is_no_error():
    src = (FORMS / "2024_dongwu_town_saved.html").read_bytes()
    pages, _ = read_html_pages(src, None, None)  # no folder to look in: the image is skipped
    assert len(pages[0].grids) == 2 and not any(g.source for g in pages[0].grids)


def test_title_from_the_page_title_when_the_article_has_none():
    page = ('<html><head><meta charset="utf-8"><title>雄县人民政府2020年政府信息公开工作年度报告_雄县人民政府网'
            '</title></head><body><div class="crumb">当前位置：首页 &gt; 雄县人民政府2020年政府信息公开工作年度报告</div>'
            '<div id="zoom"><p>一、总体情况</p><p>2020年，我县扎实推进政府信息公开工作。</p></div></body></html>')
    lines = [ln.text for ln in read_html_pages(page.encode())[0][0].lines if ln.text]
    assert lines == ["雄县人民政府2020年政府信息公开工作年度报告", "一、总体情况", "2020年，我县扎实推进政府信息公开工作。"]


def test_article_found_when_every_paragraph_is_a_div():
    paras = "".join(f"<div>{t}</div>" for t in ("一、总体情况", "2022年，我局持续推进政务公开。",
                                                 "二、主动公开政府信息情况", "全年公开信息120条。"))
    page = ('<html><head><meta charset="utf-8"></head><body><div class="menu"><a>首页</a><a>机构设置</a></div>'
            '<div class="con"><div class="tit">某市统计局2022年政府信息公开工作年度报告</div>'
            '<div class="msg">来源：某市统计局　发布时间：2023-01-28</div>'
            f'<div class="txt">{paras}</div></div><div class="bottom">版权所有 联系我们</div></body></html>')
    lines = [ln.text for ln in read_html_pages(page.encode())[0][0].lines if ln.text]
    assert lines == ["某市统计局2022年政府信息公开工作年度报告", "一、总体情况", "2022年，我局持续推进政务公开。",
                     "二、主动公开政府信息情况", "全年公开信息120条。"]


def test_reading_errors_are_read_errors():
    with pytest.raises(ReadError, match="web page with no article text"):
        read_html_pages(b"<html><body><nav><a>x</a></nav></body></html>")
