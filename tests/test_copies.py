"""Corrections attach to the report, not only to one file (issue 18 item 2): the
same report read from two files is linked as copies, a correction made to one is
offered to the other and shown in each, and a correction follows a changed file
of the report, or is flagged where the changed file reads the cell otherwise."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from fixtures import textdump
from fixtures.report import BODIES, make_report
from pipeline.ingest import ingest
from pipeline.review import write_site
from pipeline.verify import correct
from warehouse.schema import connect

from .conftest import SAMPLES

CELL = ("requests", "granted", "natural_person")  # the cell the typo'd sample prints wrong


def _cli(*args, env_db: str | None = None):
    env = {"COLUMNS": "200", "PATH": "/usr/bin:/bin"}
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *map(str, args)],
                          capture_output=True, text=True, env=env)


def _ids(db: str) -> dict[str, str]:
    con = duckdb.connect(db, read_only=True)
    try:
        return {Path(p).name: d for d, p in con.execute("SELECT doc_id, source_path FROM documents").fetchall()}
    finally:
        con.close()


@pytest.fixture()
def pdf_and_text(tmp_path):
    """The typo'd sample as a born-digital PDF and as a text dump (one report), and
    another report beside them."""
    src = tmp_path / "in"
    src.mkdir()
    for name in ("2023_lixia_typo.pdf", "2023_lixia_typo.txt", "2024_dongwu_town.txt"):
        shutil.copy(SAMPLES / name, src / name)
    db = str(tmp_path / "c.duckdb")
    assert ingest([str(src)], db).ok
    return db, _ids(db)


def test_the_same_report_in_two_files_is_linked_as_copies(pdf_and_text):
    db, ids = pdf_and_text
    pdf, txt = ids["2023_lixia_typo.pdf"], ids["2023_lixia_typo.txt"]
    con = duckdb.connect(db, read_only=True)
    pairs = con.execute("SELECT doc_id, copy_doc_id, cells_compared FROM copies ORDER BY ALL").fetchall()
    assert {(a, b) for a, b, _ in pairs} == {(pdf, txt), (txt, pdf)}
    assert all(n > 100 for _, _, n in pairs)  # every cell of the three tables, read alike


def test_a_correction_is_offered_to_the_copy_shown_in_each_and_taken(pdf_and_text, tmp_path):
    db, ids = pdf_and_text
    pdf, txt = ids["2023_lixia_typo.pdf"], ids["2023_lixia_typo.txt"]
    printed = duckdb.connect(db, read_only=True).execute(
        "SELECT raw FROM cells WHERE doc_id = ? AND table_key = ? AND row_key = ? AND col_key = ?",
        [pdf, *CELL]).fetchone()[0]
    fixed = str(int(printed) - 1)
    p = _cli("correct", pdf[:8], *CELL, fixed, "--by", "李娜", "--db", db)
    assert p.returncode == 0, p.stderr
    assert f"offered to copy {txt}: reportdb correct {txt} {' '.join(CELL)} --from-copy --by NAME" in p.stdout

    con = duckdb.connect(db, read_only=True)
    assert con.execute("SELECT doc_id, from_doc_id, raw, new_raw, corrected_by FROM correction_offers").fetchall() == [
        (txt, pdf, printed, fixed, "李娜")]
    # the copy still reads what it printed (its broken identity a finding of the report, not a
    # doubt of the reading): the person decides whether to take the correction
    assert con.execute("SELECT status, report_status FROM documents WHERE doc_id = ?",
                       [txt]).fetchone() == ("ok", "findings")
    con.close()

    shown = _cli("show", txt, "--db", db)
    assert "corrections offered by copies" in shown.stdout
    assert f"{CELL[0]}:{CELL[1]}/{CELL[2]}" in shown.stdout and pdf in shown.stdout
    site = write_site(db, tmp_path / "site")
    html = (tmp_path / "site" / f"doc-{txt}.html").read_text(encoding="utf-8")
    assert "Corrections offered by copies of this report" in html
    assert f"reportdb correct {txt} {' '.join(CELL)} --from-copy --by NAME" in html
    assert "offered by copies" in site.index.read_text(encoding="utf-8")

    p = _cli("correct", txt, *CELL, "--from-copy", "--by", "王芳", "--db", db)
    assert p.returncode == 0, p.stderr
    assert f"{txt} is now ok" in p.stdout
    con = duckdb.connect(db, read_only=True)
    rows = con.execute("SELECT doc_id, kind, new_raw, copied_from, corrected_by FROM corrections "
                       "ORDER BY correction_id").fetchall()
    assert rows == [(pdf, "manual", fixed, None, "李娜"), (txt, "copy", fixed, 1, "王芳")]
    assert con.execute("SELECT count(*) FROM correction_offers").fetchone()[0] == 0
    assert con.execute("SELECT DISTINCT status FROM documents WHERE doc_id IN (?, ?)", [pdf, txt]).fetchall() == [("ok",)]
    con.close()
    # shown in each: both documents list their correction
    for doc, kind in ((pdf, "manual"), (txt, "copy")):
        out = _cli("show", doc, "--db", db).stdout
        assert "corrections" in out and kind in out and fixed in out
    # nothing left to take
    p = _cli("correct", txt, *CELL, "--from-copy", "--by", "王芳", "--db", db)
    assert p.returncode == 1 and "no copy of this report offers" in p.stderr


def test_other_readings_are_not_copies(tmp_path):
    """Same agency, year and format, but a value read with confidence differs: two
    reports (or two editions), not copies; and another year is another report."""
    a = make_report(70, year=2023, body=BODIES[5])
    b = make_report(71, year=2023, body=BODIES[5])
    c = make_report(70, year=2022, body=BODIES[5])
    src = tmp_path / "in"
    src.mkdir()
    for name, r in (("a", a), ("b", b), ("c", c)):
        (src / f"{name}.txt").write_text(textdump.render(r), encoding="utf-8")
    db = str(tmp_path / "n.duckdb")
    assert ingest([str(src)], db).ok
    con = duckdb.connect(db, read_only=True)
    assert con.execute("SELECT count(DISTINCT agency || year) FROM documents").fetchone()[0] == 2
    assert con.execute("SELECT count(*) FROM copies").fetchone()[0] == 0


def _typo_report(seed: int = 14):
    return make_report(seed, year=2023, body=BODIES[3], typo=True)


def _corrected_once(tmp_path) -> tuple[str, Path, object, str]:
    r = _typo_report()
    src = tmp_path / "in"
    src.mkdir()
    f = src / "report.txt"
    f.write_text(textdump.render(r), encoding="utf-8")
    db = str(tmp_path / "v.duckdb")
    assert ingest([str(src)], db).ok
    con = connect(db)
    first = con.execute("SELECT doc_id FROM documents").fetchone()[0]
    out = correct(con, first, *r.typo, str(int(r.cells[r.typo]) - 1), by="李娜", note="typo in print")
    assert out.status == "ok"
    con.close()
    return db, f, r, first


def test_a_changed_file_of_the_report_keeps_its_correction(tmp_path):
    db, f, r, first = _corrected_once(tmp_path)
    old_sha = duckdb.connect(db, read_only=True).execute("SELECT sha256 FROM documents").fetchone()[0]
    # the agency re-publishes the same report with one more sentence: new bytes, new doc_id
    text = textdump.render(r).replace("六、其他需要报告的事项", "六、其他需要报告的事项\n本报告电子版可在本机关门户网站下载。", 1)
    f.write_text(text, encoding="utf-8")
    assert ingest([str(f.parent)], db).ok
    con = duckdb.connect(db, read_only=True)
    (doc_id, sha, status), = con.execute("SELECT doc_id, sha256, status FROM documents").fetchall()
    assert doc_id != first
    fixed = int(r.cells[r.typo]) - 1
    assert con.execute("SELECT doc_id, sha256, carried_from, new_value, corrected_by, note FROM corrections").fetchall() == [
        (doc_id, sha, old_sha, fixed, "李娜", "typo in print")]
    assert con.execute("SELECT value, origin FROM cell_values WHERE doc_id = ? AND table_key = ? AND row_key = ? "
                       "AND col_key = ?", [doc_id, *r.typo]).fetchone() == (fixed, "correction")
    assert status == "ok"
    assert con.execute("SELECT count(*) FROM flags WHERE flag = 'correction_orphaned'").fetchone()[0] == 0


def test_a_changed_file_that_reads_the_cell_otherwise_orphans_the_correction(tmp_path):
    db, f, r, first = _corrected_once(tmp_path)
    printed = int(r.cells[r.typo])
    r.cells[r.typo] = str(printed + 5)  # the new file prints something else in that cell
    f.write_text(textdump.render(r), encoding="utf-8")
    ingest([str(f.parent)], db)
    con = duckdb.connect(db, read_only=True)
    doc_id, status = con.execute("SELECT doc_id, status FROM documents").fetchone()
    assert doc_id != first and status == "needs_review"
    (scope, detail), = con.execute("SELECT scope, detail FROM flags WHERE doc_id = ? "
                                   "AND flag = 'correction_orphaned'", [doc_id]).fetchall()
    assert scope == "requests:granted/natural_person"
    assert detail == (f"correction #1 of requests:granted/natural_person ({printed} → {printed - 1}, by 李娜) was "
                      f"made on an earlier file of this report ({first}); the changed file reads {printed + 5} "
                      "there: not applied (confirm or correct the cell again)")
    # not applied: the cell reads as the new file prints it
    assert con.execute("SELECT value, origin FROM cell_values WHERE doc_id = ? AND table_key = ? AND row_key = ? "
                       "AND col_key = ?", [doc_id, *r.typo]).fetchone() == (printed + 5, "text")
    con.close()
    # a person's new word on the cell settles it
    con = connect(db)
    out = correct(con, doc_id, *r.typo, str(printed - 1), by="李娜")
    assert out.orphans == 0
    assert con.execute("SELECT count(*) FROM flags WHERE flag = 'correction_orphaned'").fetchone()[0] == 0
    con.close()


def test_an_older_database_names_the_report_of_its_corrections(tmp_path):
    db, f, r, first = _corrected_once(tmp_path)
    con = duckdb.connect(db)
    for col in ("source_path", "report_key", "carried_from", "copied_from"):
        con.execute(f"ALTER TABLE corrections DROP COLUMN {col}")
    con.execute("DROP VIEW correction_offers")
    con.execute("DROP VIEW copies")
    con.close()
    con = connect(db)  # a writable open upgrades the schema
    assert con.execute("SELECT report_key, source_path FROM corrections").fetchall() == [
        ("济南市历下区教育局|370102|2023|gov2021", str(f))]
    assert con.execute("SELECT count(*) FROM copies").fetchone()[0] == 0
    con.close()
