"""Issue 8's closing test: a mixed folder of every form loads in one ``reportdb
ingest`` with every ground-truth value equal (the folder: ``conftest.mixed``).

The text dumps and PDFs of that folder are compared in ``test_legacy``; here the
web pages (UTF-8, GBK, saved with a table image), the Word documents (gov2021,
gov2019), the old Word ``.doc`` LibreOffice made from the gov2019 one, and the
300 dpi scan, each compared whole with its truth.
"""

from __future__ import annotations

import duckdb
import pytest

from .conftest import CLEAN_SCAN, DOC_FROM, FORMS, SCANS
from .golden import compare, load_truth, stored

CASES = [(p.name, FORMS / f"{p.stem}.truth.json") for p in sorted(FORMS.iterdir())
         if p.suffix in (".html", ".docx")]
CASES += [(DOC_FROM.replace(".docx", ".doc"), FORMS / DOC_FROM.replace(".docx", ".truth.json")),
          (CLEAN_SCAN, SCANS / CLEAN_SCAN.replace(".pdf", ".truth.json"))]


def test_every_form_is_in_the_folder():
    kinds = {name.rsplit(".", 1)[1] for name, _ in CASES}
    assert kinds == {"html", "docx", "doc", "pdf"} and len(CASES) == 7


@pytest.mark.parametrize("name,truth_path", CASES, ids=[c[0] for c in CASES])
def test_mixed_folder_form_matches_its_truth(mixed, name, truth_path):
    folder, db = mixed
    con = duckdb.connect(str(db), read_only=True)
    try:
        got = stored(con, str(folder / name))
        formats = dict(con.execute("SELECT format, count(*) FROM documents GROUP BY 1").fetchall())
    finally:
        con.close()
    assert compare(load_truth(truth_path), got) == []
    assert {"gov2021", "gov2019", "legacy"} <= set(formats)


def test_a_page_number_that_lost_a_dash_is_still_furniture():
    # regression (the clean scan above): page 1's "- 1 -" OCR'd as "-1" stayed between
    # the two halves of a sentence cut by the page break, which then were not joined
    from extract.layout import blocks, stream, strip_furniture
    from ocr.model import Line, Page
    pages = [Page(1, [Line("一、总体情况"), Line("涉及财政预决算5条、安全生产信"), Line("-1")]),
             Page(2, [Line("息1条；政务新媒体发布信息640多篇。"), Line("2-")])]
    kept, removed = strip_furniture(pages)
    assert removed == [(1, "-1"), (2, "2-")]
    assert any("安全生产信息1条" in b.text for b in blocks(stream(kept)))


def test_a_page_number_with_a_misread_glyph_between_its_dashes_is_furniture():
    # regression (the seal scan, its text read at about 180 dpi): page 1's "- 1 -" came
    # back "-1工-" and again kept the two halves of a page-split sentence apart; a line of
    # text between dashes at the page's edge is not
    from extract.layout import blocks, stream, strip_furniture
    from ocr.model import Line, Page
    pages = [Page(1, [Line("一、总体情况"), Line("涉及财政预决算76条、安全生产信"), Line("-1工-")]),
             Page(2, [Line("息129条；政务新媒体发布信息277多篇。"), Line("-报告-"), Line("-2-")])]
    kept, removed = strip_furniture(pages)
    assert removed == [(1, "-1工-"), (2, "-2-")]
    assert any("安全生产信息129条" in b.text for b in blocks(stream(kept)))
