"""The born-digital PDF path: provenance, variants, and broken PDFs."""

from __future__ import annotations

import json

import duckdb
import pytest
from reportlab.pdfgen.canvas import Canvas

from ocr.errors import ReadError
from ocr.read import read_source
from pipeline.ingest import ingest

from .conftest import SAMPLES

LANDSCAPE = next(p for p in SAMPLES.glob("*.truth.json")
                 if json.loads(p.read_text(encoding="utf-8"))["pdf_variant"] == "landscape")


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    db = str(tmp_path_factory.mktemp("pdf") / "p.duckdb")
    assert ingest(sorted(SAMPLES.glob("*.pdf")), db).ok
    c = duckdb.connect(db, read_only=True)
    yield c
    c.close()


def test_text_layer_cells_have_page_box_and_full_confidence(con):
    rows = con.execute("SELECT DISTINCT origin, confidence FROM cells").fetchall()
    assert rows == [("text_layer", 1.0)]
    assert con.execute("SELECT count(*) FROM cells WHERE bbox IS NULL OR page IS NULL").fetchone()[0] == 0
    # a box is inside its page and has a size
    bad = con.execute("SELECT count(*) FROM cells WHERE bbox[1] >= bbox[3] OR bbox[2] >= bbox[4] "
                      "OR bbox[1] < 0 OR bbox[3] > 842").fetchone()[0]
    assert bad == 0


def test_split_table_keeps_rows_on_their_pages(con):
    # table 3 runs over two pages in the split variants: its rows sit on two pages
    pages = con.execute("SELECT d.source_path, count(DISTINCT c.page) FROM cells c JOIN documents d "
                        "USING (doc_id) WHERE c.table_key = 'requests' GROUP BY 1").fetchall()
    assert sorted(n for _, n in pages)[-1] == 2


def test_landscape_page_is_read():
    src = read_source(SAMPLES / (LANDSCAPE.name.split(".")[0] + ".pdf"))
    wide = [p for p in src.pages if p.width > p.height]
    assert wide and wide[0].grids
    assert all(p.source == "text_layer" for p in src.pages)


def test_running_header_and_page_numbers_are_not_text(con):
    n = con.execute("SELECT count(*) FROM paragraphs p JOIN documents d USING (doc_id) "
                    "WHERE p.kind <> 'title' AND (p.text LIKE '%- 2 -%' "
                    "OR p.text LIKE '%' || d.agency || '政府信息公开工作年度报告%')").fetchone()[0]
    assert n == 0
    removed = con.execute("SELECT count(*) FROM flags WHERE flag = 'furniture_removed'").fetchone()[0]
    assert removed > 10


def test_truncated_pdf_is_a_one_line_failure(tmp_path):
    data = next(SAMPLES.glob("*.pdf")).read_bytes()
    bad = tmp_path / "truncated.pdf"
    bad.write_bytes(data[: len(data) // 3])
    with pytest.raises(ReadError) as exc:
        read_source(bad)
    assert "PDF" in exc.value.reason and "\n" not in exc.value.reason


def test_password_protected_pdf(tmp_path):
    p = tmp_path / "locked.pdf"
    c = Canvas(str(p), encrypt="secret")
    c.drawString(100, 700, "hello")
    c.save()
    with pytest.raises(ReadError, match="password-protected PDF"):
        read_source(p)


def test_pdf_without_text_layer_is_ocrd_and_refused_when_nothing_reads(tmp_path):
    p = tmp_path / "scan.pdf"
    c = Canvas(str(p))
    c.rect(100, 100, 300, 500, fill=1)  # a page with graphics and no text
    c.save()
    summary = ingest([p], str(tmp_path / "s.duckdb"))
    (r,) = summary.results
    assert r.outcome == "failed" and r.error.startswith("not a report"), r.error
