"""The locked set-up: the environment is the lock, and the program says what it is.

These run against the project's own venv (the one ``make setup`` built from
``requirements.lock``), so a venv that drifted from the lock fails here by name.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import cv2
import duckdb
import pytest

from pipeline.ingest import ingest

from .conftest import SAMPLES

ROOT = Path(__file__).resolve().parents[1]
CHECK = ROOT / "scripts" / "check_env.py"
LOCKS = [ROOT / "requirements.lock", ROOT / "requirements" / "build.lock"]


def _check(*locks: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(CHECK), *map(str, locks)], capture_output=True, text=True)


def test_the_venv_is_exactly_the_lock():
    p = _check(*LOCKS)
    assert p.returncode == 0, p.stderr
    assert re.search(r"environment matches the lock: \d+ packages", p.stdout)


def test_every_lock_entry_is_pinned_with_hashes():
    for lock in LOCKS:
        entries = re.split(r"\n(?=[A-Za-z0-9])", lock.read_text(encoding="utf-8"))
        reqs = [e for e in entries if not e.startswith("#") and e.strip()]
        assert reqs, lock
        for e in reqs:
            assert re.match(r"^[A-Za-z0-9._-]+==\S+", e), e.splitlines()[0]
            assert "--hash=sha256:" in e, f"{lock.name}: {e.splitlines()[0]} has no hash"


def test_a_drifted_venv_is_named(tmp_path):
    """A package at another version than the lock's, and one the lock does not
    hold, are both reported, and the check fails."""
    text = LOCKS[0].read_text(encoding="utf-8")
    drifted = re.sub(r"^duckdb==\S+", "duckdb==0.0.1", text, flags=re.M)
    drifted = re.sub(r"^(pytest==\S+ \\\n(?:\s+--hash=\S+(?: \\)?\n)+)", "", drifted, flags=re.M)
    (tmp_path / "drift.lock").write_text(drifted, encoding="utf-8")
    p = _check(tmp_path / "drift.lock", LOCKS[1])
    assert p.returncode == 1
    assert f"version: duckdb is {duckdb.__version__}, the lock says 0.0.1" in p.stderr
    assert f"not in the lock: pytest=={version('pytest')}" in p.stderr


def test_version_names_the_engines():
    p = subprocess.run([sys.executable, "-m", "pipeline.cli", "--version"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    fields = dict(re.findall(r"^\s+(\S+)\s+(.+)$", p.stdout, flags=re.M))
    assert p.stdout.startswith(f"reportdb {version('reportdb')}\n")
    import tesserocr
    from ocr.engines import tessdata_dir
    assert fields["tesseract"] == tesserocr.tesseract_version().split()[1]
    data = Path(tessdata_dir()) / "chi_sim.traineddata"
    assert fields["chi_sim.traineddata"] == "sha256:" + hashlib.sha256(data.read_bytes()).hexdigest()
    assert fields["opencv-python-headless"] == version("opencv-python-headless")
    assert cv2.__version__.startswith(".".join(fields["opencv-python-headless"].split(".")[:3]))
    assert fields["duckdb"] == duckdb.__version__


@pytest.mark.parametrize("name, read_by, not_read_by", [
    ("2023_lixia_typo.pdf", "pdfplumber", "ocr_engine"),
    ("2023_lixia_typo.txt", None, "pdfplumber"),
])
def test_each_document_records_what_read_it(tmp_path, name, read_by, not_read_by):
    """A born-digital PDF names its text-layer readers and no OCR engine; a text
    dump names reportdb alone. (Scans: tests/test_scans.py.)"""
    src = SAMPLES / name
    db = str(tmp_path / "e.duckdb")
    ingest([str(src)], db)
    engines = json.loads(duckdb.connect(db, read_only=True).execute("SELECT engines FROM documents").fetchone()[0])
    assert engines["reportdb"] == version("reportdb")
    if read_by:
        assert engines[read_by] == version(read_by)
    assert not_read_by not in engines
