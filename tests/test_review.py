"""Verification for archivists: the review site, repair suggestions, corrections
that survive re-ingests — on the committed scan with a printed typo (one wrong
cell that breaks its row total and its column sum), read by real Tesseract."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from extract.model import Cell
from extract.repairs import suggest
from extract.templates import load_spec
from pipeline.cli import app
from pipeline.ingest import ingest
from pipeline.review import write_site
from pipeline.verify import refresh
from warehouse.corrections import orphans

from .conftest import ROOT, SAMPLES
from .golden import load_truth

TYPO = ROOT / "fixtures" / "scans" / "2023_lixia_typo_clean.pdf"
TRUTH = load_truth(ROOT / "fixtures" / "scans" / "2023_lixia_typo_clean.truth.json")
ARTIFACTS = Path(os.environ.get("REPORTDB_ARTIFACTS", ROOT / "artifacts"))
GOV2021 = load_spec()["gov2021"]
runner = CliRunner()


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("review") / "r.duckdb")
    ingest([str(TYPO), str(SAMPLES / "2024_dongwu_town.pdf")], path, workers=2)
    con = duckdb.connect(path, read_only=True)
    doc_id = con.execute("SELECT doc_id FROM documents WHERE source_path LIKE '%lixia%'").fetchone()[0]
    con.close()
    return path, doc_id


@pytest.fixture(scope="module")
def site(db, tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    return write_site(db[0], out), out


def _typo_cell() -> tuple[str, str, str]:
    """The cell the printed typo sits in: the one both failing identities share."""
    scopes = [fc.split(":", 1)[1] for fc in TRUTH["failed_checks"]]
    row = next(s.split("=")[1] for s in scopes if s.startswith("row="))
    col = next(s.split("=")[1] for s in scopes if s.startswith("col="))
    return ("requests", row, col)


def test_suggestion_pins_the_one_cell_both_identities_share():
    cells = [Cell("requests", c["row"], c["col"], c["value"], c["raw"], None, 1, None, 1.0, "text")
             for c in TRUTH["cells"] if c["table"] == "requests"]
    got = suggest(GOV2021, cells)
    assert [(s.table_key, s.row_key, s.col_key) for s in got] == [_typo_cell()]
    # with the suggested value, every identity holds
    fixed = [c if (c.table_key, c.row_key, c.col_key) != _typo_cell() else
             Cell(c.table_key, c.row_key, c.col_key, got[0].suggested, str(got[0].suggested), None, 1,
                  None, 1.0, "text") for c in cells]
    assert suggest(GOV2021, fixed) == []
    # one failing row total alone does not say which of its cells is wrong
    row = [c for c in cells if c.row_key == "new"]
    broken = [Cell(c.table_key, c.row_key, c.col_key, c.value + 1 if c.col_key == "business" else c.value,
                   c.raw, None, 1, None, 1.0, "text") for c in row]
    assert suggest(GOV2021, broken) == []


def test_index_lists_what_needs_review_and_why(db, site):
    html = site[0].index.read_text(encoding="utf-8")
    assert f"doc-{db[1]}.html" in html
    row = re.search(rf"<tr class=\"st-needs_review\"><td><a href=\"doc-{db[1]}\.html\">.*?</tr>", html).group()
    assert "2 identities fail" in row


def test_document_page_shows_the_cell_box_failed_identities_and_suggestion(db, site):
    html = (site[1] / f"doc-{db[1]}.html").read_text(encoding="utf-8")
    cell = "c-" + "-".join(_typo_cell())
    # the page image with the wrong cell's box on it, highlighted
    imgs = re.findall(r'<img src="(img/[^"]+)"', html)
    con = duckdb.connect(db[0], read_only=True)
    pages = con.execute("SELECT pages FROM documents WHERE doc_id = ?", [db[1]]).fetchone()[0]
    con.close()
    assert len(imgs) == pages and all((site[1] / i).stat().st_size > 10_000 for i in imgs)
    box = re.search(rf'<a class="box ([^"]*)" data-cell="{cell}"', html)
    assert box and "flagged" in box.group(1) and "suggested" in box.group(1)
    # the failed identities, cell by cell, expected against actual
    for fc in TRUTH["failed_checks"]:
        key, scope = fc.split(":", 1)
        assert f"<td>{key}</td><td>{scope}</td>" in html
    # the suggested value is the one that makes the identities hold
    con = duckdb.connect(db[0], read_only=True)
    read = con.execute("SELECT value FROM cells WHERE doc_id = ? AND table_key = ? AND row_key = ? "
                       "AND col_key = ?", [db[1], *_typo_cell()]).fetchone()[0]
    con.close()
    m = re.search(rf'data-cell="{cell}"><b>[^<]+</b>: read ([\d.]+), the identities ask for '
                  r'<b class="suggested-value">([\d.]+)</b>', html)
    assert m and float(m.group(1)) == read and float(m.group(2)) != read


def test_text_documents_show_tables_without_images(site):
    pages = [p for p in site[0].pages if "lixia" not in p.read_text(encoding="utf-8")]
    assert pages and all("<img" not in p.read_text(encoding="utf-8") for p in pages)


def test_site_loads_in_a_real_browser_without_console_errors(db, site):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    assert chromium, "chromium is installed by scripts/install-system.sh (make setup)"
    page = (site[1] / f"doc-{db[1]}.html").resolve()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "review-document.png"
    shot.unlink(missing_ok=True)
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             f"--user-data-dir={site[1] / 'chromium-profile'}", "--enable-logging=stderr", "--v=0",
             "--window-size=1600,1100"]
    dom = subprocess.run([chromium, *flags, "--virtual-time-budget=2000", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120)
    subprocess.run([chromium, *flags, f"--screenshot={shot}", page.as_uri()],
                   capture_output=True, text=True, timeout=120)
    console = [ln for ln in dom.stderr.splitlines() if "CONSOLE" in ln or "Uncaught" in ln]
    assert console == []
    assert 'data-ready="yes"' in dom.stdout       # the page's script ran to its end
    cell = "c-" + "-".join(_typo_cell())
    assert re.search(rf'<td id="{cell}" data-cell="{cell}" class="[^"]*flagged[^"]*hot', dom.stdout)
    assert shot.exists() and shot.stat().st_size > 10_000


def _status(path: str, doc_id: str) -> str:
    con = duckdb.connect(path, read_only=True)
    try:
        return con.execute("SELECT status FROM documents WHERE doc_id = ?", [doc_id]).fetchone()[0]
    finally:
        con.close()


def test_correction_flips_the_document_and_survives_reprocessing(db, tmp_path):
    path = str(tmp_path / "c.duckdb")
    shutil.copy(db[0], path)
    doc_id = db[1]
    t, r, c = _typo_cell()
    assert _status(path, doc_id) == "needs_review"
    res = runner.invoke(app, ["correct", doc_id[:8], t, r, c, "--accept", "--by", "Li Na",
                              "--note", "typo in the printed table", "--db", path])
    assert res.exit_code == 0, res.output
    assert "now ok" in res.output
    con = duckdb.connect(path)
    value, origin, extracted = con.execute(
        "SELECT value, origin, extracted_value FROM cell_values WHERE doc_id = ? AND table_key = ? "
        "AND row_key = ? AND col_key = ?", [doc_id, t, r, c]).fetchone()
    assert origin == "correction" and value != extracted
    who, note, kind, old = con.execute("SELECT corrected_by, note, kind, old_value FROM corrections").fetchone()
    assert (who, note, kind, old) == ("Li Na", "typo in the printed table", "suggestion", extracted)
    assert con.execute("SELECT count(*) FROM checks WHERE doc_id = ? AND NOT ok", [doc_id]).fetchone()[0] == 0
    # a new pipeline version re-reads the file: the correction is applied again
    con.execute("UPDATE documents SET pipeline_version = '0.0.0-old' WHERE doc_id = ?", [doc_id])
    con.close()
    again = ingest([str(TYPO)], path, workers=2)
    assert [x.outcome for x in again.results] == ["loaded"] and again.results[0].status == "ok"
    con = duckdb.connect(path, read_only=True)
    assert con.execute("SELECT origin FROM cell_values WHERE doc_id = ? AND table_key = ? AND row_key = ? "
                       "AND col_key = ?", [doc_id, t, r, c]).fetchone()[0] == "correction"
    assert con.execute("SELECT status, pipeline_version <> '0.0.0-old' FROM documents WHERE doc_id = ?",
                       [doc_id]).fetchone() == ("ok", True)
    con.close()
    # and re-ingesting the unchanged file keeps it as it is
    assert ingest([str(TYPO)], path).results[0].outcome == "unchanged"
    assert _status(path, doc_id) == "ok"


def test_manual_correction_and_bad_corrections(db, tmp_path):
    path = str(tmp_path / "m.duckdb")
    shutil.copy(db[0], path)
    res = runner.invoke(app, ["correct", db[1], "requests", "no_such_row", "total", "3", "--by", "x", "--db", path])
    assert res.exit_code == 1 and "no row 'no_such_row' in table requests" in res.output
    res = runner.invoke(app, ["correct", db[1], "requests", "new", "total", "abc", "--by", "x", "--db", path])
    assert res.exit_code == 1 and "not a number" in res.output
    res = runner.invoke(app, ["correct", db[1], "requests", "new", "business", "--accept", "--by", "x", "--db", path])
    assert res.exit_code == 1 and "no repair is suggested" in res.output
    # a manual value, as printed: a dash for zero; the typo still stands, so still to review
    res = runner.invoke(app, ["correct", db[1], "appeals", "review", "upheld", "—", "--by", "x", "--db", path])
    assert res.exit_code == 0 and "needs_review" in res.output
    con = duckdb.connect(path, read_only=True)
    assert con.execute("SELECT value, raw, origin FROM cell_values WHERE doc_id = ? AND table_key = 'appeals' "
                       "AND row_key = 'review' AND col_key = 'upheld'", [db[1]]).fetchone() == (0.0, "—", "correction")
    assert con.execute("SELECT kind FROM corrections").fetchall() == [("manual",)]
    con.close()


def test_orphaned_correction_is_reported_not_dropped(db, tmp_path):
    path = str(tmp_path / "o.duckdb")
    shutil.copy(db[0], path)
    t, r, c = _typo_cell()
    assert runner.invoke(app, ["correct", db[1], t, r, c, "15", "--by", "x", "--db", path]).exit_code == 0
    con = duckdb.connect(path)
    # a later pipeline no longer extracts that cell
    con.execute("DELETE FROM cells WHERE doc_id = ? AND table_key = ? AND row_key = ? AND col_key = ?",
                [db[1], t, r, c])
    out = refresh(con, db[1])
    assert out.orphans == 1 and out.status == "needs_review"
    assert [(d, cell) for _, d, cell, _ in orphans(con)] == [(db[1], f"{t}:{r}/{c}")]
    assert con.execute("SELECT count(*) FROM corrections").fetchone()[0] == 1
    assert con.execute("SELECT count(*) FROM flags WHERE flag = 'correction_orphaned'").fetchone()[0] == 1
    con.close()


def test_no_correction_while_a_batch_owns_the_database(db, tmp_path):
    from pipeline.lock import BatchLock

    path = str(tmp_path / "l.duckdb")
    shutil.copy(db[0], path)
    with BatchLock(path):
        res = runner.invoke(app, ["correct", db[1], *_typo_cell(), "15", "--by", "x", "--db", path, "--wait", "0"])
    assert res.exit_code == 3 and "another batch is running" in res.output  # 3: the database is busy
    con = duckdb.connect(path, read_only=True)
    assert con.execute("SELECT count(*) FROM corrections").fetchone()[0] == 0
    con.close()
