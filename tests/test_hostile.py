"""Hostile inputs (issue 20): every reader bounded in time and memory, each bad file
one line with its reason, and never at the cost of another file.

The inputs are made at test time (``fixtures/hostile.py``), small, against limits
set low where the full-size case would be slow (a 300-page blank PDF against a
page cap of 200); ``bench/hostile.py`` runs them at full size against the
defaults. Whole file: about 40 s on two cores.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pytest
from PIL import Image

from extract.document import extract
from extract.model import NotAReport
from fixtures import hostile as H
from ocr.errors import ReadError
from ocr.images import PageRef
from ocr.limits import LimitError, Limits
from ocr.model import Grid, GridCell, Line, Page, Source
from ocr.scan import PageJob, ocr_page
from ocr.text import decode

from .conftest import ROOT, SAMPLES

ENV = {"COLUMNS": "250", "PATH": "/usr/bin:/bin", "HOME": "/tmp"}
CMD = [sys.executable, "-m", "pipeline.cli"]
GOOD = SAMPLES / "2024_dongwu_town.txt"


def cli(*args, prefix=(), env=None) -> subprocess.CompletedProcess:
    return subprocess.run([*prefix, *CMD, *map(str, args)], capture_output=True, text=True,
                          env={**ENV, **(env or {})}, cwd=ROOT)


def rows(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _utf16(p: Path) -> Path:
    p.write_bytes(GOOD.read_text(encoding="utf-8").encode("utf-16-le"))  # no byte-order mark
    return p


# name → (how it is made, stage, the reason recorded starts with)
HOSTILE = {
    "blank300.pdf": (lambda p: H.blank_pdf(p, 300), "read",
                     "too many pages (300 pages; the limit is 200 a document"),
    "blank12.pdf": (lambda p: H.blank_pdf(p, 12), "extract", "not a report"),  # under the cap: no OCR, quick
    "deep.html": (lambda p: H.deep_html(p, 10_000), "read", "web page nested too deep (more than 256 elements"),
    "deep_tables.html": (lambda p: H.deep_html(p, 5_000, "table"), "read", "web page nested too deep"),
    "frames.tif": (lambda p: H.many_frame_tiff(p, 300), "read", "too many pages (more than 200 frames"),
    "stream.pdf": (lambda p: H.huge_stream_pdf(p, 16), "read",
                   "PDF page 1 too large to read (its content streams inflate to more than 4 MB"),
    "inches.pdf": (lambda p: H.big_page_pdf(p, 200), "read", "page 1 too large to read (200×200 in: 3,600 megapixels"),
    "userunit.pdf": (lambda p: H.big_page_pdf(p, user_unit=75000), "extract", "not a report"),
    "pixel.png": (H.tiny_png, "read", "image too small (1×1 px)"),
    "pixels.tif": (lambda p: H.many_frame_tiff(p, 3, (1, 1)), "read", "image too small (1×1 px)"),
    "notice.pdf": (H.notice_pdf, "extract", "not a report: no title of a disclosure annual report"),
    "notice.txt": (H.notice_text, "extract", "not a report: no title of a disclosure annual report"),
}


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("hostile")
    inbox = d / "inbox"
    inbox.mkdir()
    for name, (make, _, _) in HOSTILE.items():
        make(inbox / name)
    shutil.copy(GOOD, inbox / "good.txt")
    _utf16(inbox / "good_utf16.txt")
    db = d / "h.duckdb"
    t0 = time.monotonic()
    p = cli("batch", inbox, "--db", db, "--workers", "2", "--max-pages", "200", "--timeout-per-file", "120")
    return p, db, time.monotonic() - t0


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_input_fails_alone_with_its_reason(hostile_run, name):
    p, db, _ = hostile_run
    _, stage, reason = HOSTILE[name]
    (got,) = rows(db, f"SELECT stage, error FROM failures WHERE source_path LIKE '%/{name}'")
    assert got[0] == stage and got[1].startswith(reason), got
    (line,) = [ln for ln in p.stdout.splitlines() if f"/{name}:" in ln]
    assert line.startswith("failed") and line.endswith(f"(stage {stage})")


def test_hostile_run_is_quick_and_the_good_files_load(hostile_run):
    p, db, seconds = hostile_run
    assert p.returncode == 1, p.stdout + p.stderr
    assert seconds < 90, seconds  # each bound answers in seconds, not minutes
    status = dict((Path(k).name, v) for k, v in rows(db, "SELECT source_path, status FROM documents"))
    assert status["good.txt"] == "ok"
    assert status["good_utf16.txt"] == "ok"  # UTF-16 without a byte-order mark is text
    assert rows(db, "SELECT count(DISTINCT doc_id) FROM cells") == [(2,)]
    assert "internal error" not in p.stdout


def test_a_file_that_exhausts_memory_costs_only_itself(tmp_path):
    """Under a fixed address-space limit (``prlimit --as``), a page image that fits
    the pixel cap (set high for the test) but not the memory fails as out of
    memory in its worker; the good file after it loads in a fresh one."""
    prlimit = shutil.which("prlimit")
    assert prlimit, "prlimit (util-linux) is needed"
    Image.new("1", (20_000, 20_000), 1).save(tmp_path / "a_hog.png")  # 400 megapixels, 50 kB
    shutil.copy(GOOD, tmp_path / "b_good.txt")
    db = tmp_path / "m.duckdb"
    p = cli("ingest", tmp_path / "a_hog.png", tmp_path / "b_good.txt", "--db", db, "--workers", "1",
            prefix=(prlimit, "--as=1800000000"), env={"REPORTDB_MAX_PAGE_MEGAPIXELS": "500"})
    assert p.returncode == 1, p.stdout + p.stderr
    assert rows(db, "SELECT error FROM failures") == [("out of memory (worker memory limit reached)",)]
    assert dict((Path(k).name, v) for k, v in rows(db, "SELECT source_path, status FROM documents")) == \
        {"a_hog.png": "failed", "b_good.txt": "ok"}


# ------------------------------------------------------------ the readers alone

def test_utf16_without_a_bom_is_read_and_binary_is_not_text():
    text = GOOD.read_text(encoding="utf-8")
    assert decode(text.encode("utf-16-le"), "x") == text
    assert decode(text.encode("utf-16-be"), "x") == text
    for junk in (b"\x00\x01\x02" * 100, bytes(range(256)) * 8,
                 np.random.default_rng(1).integers(0, 256, 4000, dtype=np.uint8).tobytes() + b"\0" * 8):
        with pytest.raises(ReadError, match="^binary data, not text$"):
            decode(junk, "x")


def test_a_blank_page_is_not_ocred(tmp_path):
    Image.new("L", (2480, 3508), 250).save(tmp_path / "blank.png")
    t0 = time.monotonic()
    res = ocr_page(PageJob(PageRef(str(tmp_path / "blank.png")), 1))
    assert res.page.lines == [] and res.page.notes == ("blank page: not OCR'd",)
    assert time.monotonic() - t0 < 2


def test_limits_come_from_the_environment_then_the_flags():
    assert Limits.from_env({}) == Limits()
    got = Limits.from_env({"REPORTDB_MAX_PAGES": "50", "REPORTDB_MAX_HTML_DEPTH": "64"}, max_pages=20)
    assert (got.max_pages, got.max_html_depth, got.max_page_pixels) == (20, 64, 100_000_000)
    for env in ({"REPORTDB_MAX_PAGES": "many"}, {"REPORTDB_MAX_PAGE_MEGAPIXELS": "0"}):
        with pytest.raises(LimitError, match="REPORTDB_MAX_PAGE"):
            Limits.from_env(env)


# ------------------------------------------------------ not a report (20.2b)

def _source(lines: list[str], source: str = "text", grids=()) -> Source:
    return Source("x", "0" * 64, "text/plain", [Page(1, [Line(t) for t in lines], source, grids=list(grids))])


def test_a_legible_document_of_another_kind_is_not_a_report():
    with pytest.raises(NotAReport, match="^not a report: no title of a disclosure annual report"):
        extract(_source(H.NOTICE.splitlines()))


def test_noise_read_as_text_with_a_stray_grid_is_not_a_report():
    """OCR of a noise image gives a few lines of junk and a 'table' of specks:
    no report title, no label of a format, so no report, however it reads."""
    cells = tuple(GridCell(r, c, t) for r, c, t in ((0, 0, "1l"), (0, 1, "|;"), (1, 0, "i"), (1, 1, ".'")))
    src = _source(["ii 1l; ,. '", "l1 :. ;i"], "ocr", [Grid(1, cells, (0, 0, 100, 40))])
    with pytest.raises(NotAReport, match="^not a report"):
        extract(src)


def test_a_report_keeps_loading_when_its_title_or_its_tables_are_missing():
    text = GOOD.read_text(encoding="utf-8").splitlines()
    untitled = [ln for ln in text if "年度报告" not in ln]  # the title lost: the tables' labels decide
    assert extract(_source(untitled)).format == "gov2021"
    prose = [ln for ln in text[:12]]  # the title and the first paragraphs: a report without tables
    assert extract(_source(prose)).title.endswith("政府信息公开工作年度报告")
