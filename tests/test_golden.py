"""Golden tests: generated text dumps and born-digital PDFs against their ground truth,
compared whole (metadata, every cell, every mention, broken identities, page-split text)."""

from __future__ import annotations

import filecmp

import duckdb
import pytest

from fixtures.generate import samples
from pipeline.ingest import ingest

from .conftest import SAMPLES
from .golden import compare, load_truth, stored


def test_committed_samples_are_what_the_generator_writes(tmp_path):
    written = samples(tmp_path)
    names = sorted(p.name for p in written)
    assert names == sorted(p.name for p in SAMPLES.iterdir() if not p.name.startswith("."))
    for p in written:
        assert filecmp.cmp(p, SAMPLES / p.name, shallow=False), f"{p.name} differs: run make fixtures"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("golden") / "g.duckdb")
    summary = ingest([SAMPLES], path)
    assert summary.ok, [r.error for r in summary.results if r.error]
    return path


TRUTHS = sorted(SAMPLES.glob("*.truth.json"))


@pytest.mark.parametrize("truth_path", TRUTHS, ids=lambda p: p.name.split(".")[0])
@pytest.mark.parametrize("kind", ["txt", "pdf"])
def test_sample_matches_truth(db, truth_path, kind):
    truth = load_truth(truth_path)
    src = SAMPLES / f"{truth['name']}.{kind}"
    con = duckdb.connect(db, read_only=True)
    try:
        diffs = compare(truth, stored(con, str(src)))
    finally:
        con.close()
    assert diffs == []


def test_samples_cover_the_variants():
    truths = [load_truth(p) for p in TRUTHS]
    assert {t["metadata"]["format"] for t in truths} == {"gov2019", "gov2021"}
    assert len({t["metadata"]["year"] for t in truths}) >= 4
    assert len({t["metadata"]["province"] for t in truths}) >= 4
    assert any(t["failed_checks"] for t in truths)           # a printed typo
    assert any(c["raw"] == "—" for t in truths for c in t["cells"])  # zeros written as —
    assert {t["pdf_variant"] for t in truths} == {"split", "split_repeat", "landscape"}


def test_broken_identity_is_named(db):
    con = duckdb.connect(db, read_only=True)
    rows = con.execute("SELECT d.status, c.check_key, c.scope, c.expected, c.actual FROM checks c "
                       "JOIN documents d USING (doc_id) WHERE NOT c.ok ORDER BY 2, 3").fetchall()
    con.close()
    # read from text, the typo is the report's own mistake: the reading is ok, the report has
    # a finding (report_status), and the failing identity is named in checks
    assert {r[0] for r in rows} == {"ok"}
    assert ("requests_row_total", "row=granted") in {(r[1], r[2]) for r in rows}
    assert all(r[3] != r[4] for r in rows)


def test_format_year_mismatch_is_recorded(db):
    con = duckdb.connect(db, read_only=True)
    row = con.execute("SELECT d.year, d.format, f.detail FROM flags f JOIN documents d USING (doc_id) "
                      "WHERE f.flag = 'format_year_mismatch'").fetchall()
    con.close()
    assert [(r[0], r[1]) for r in row] == [(2022, "gov2019")] * 2  # the dump and the PDF
