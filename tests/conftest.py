from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT.parent / "shared" / "seeds" / "000_f3987e0d89fa98e7.txt"
SAMPLES = ROOT / "fixtures" / "samples"


@pytest.fixture(scope="session")
def seed_path() -> Path:
    if not SEED.exists():
        pytest.fail(f"the real seed report is expected at {SEED} (CI has ../shared beside the repo)")
    return SEED


LEGACY = ROOT / "fixtures" / "legacy_samples"
FORMS = ROOT / "fixtures" / "forms"
SCANS = ROOT / "fixtures" / "scans"
CLEAN_SCAN = "2023_lixia_typo_clean.pdf"  # 300 dpi image-only PDF: read exactly (bench: 100 %)
DOC_FROM = "2022_gengma_template2019.docx"  # made into an old Word .doc by LibreOffice


@pytest.fixture(scope="session")
def mixed(tmp_path_factory):
    """Every form an archive holds in one folder, loaded by one ``reportdb ingest``
    (this tree's console script, a real DuckDB file): the national samples as text
    dumps and PDFs, the pre-2019 samples, the web pages (one saved with its
    ``_files`` folder) and Word documents, an old Word ``.doc`` made from a
    ``.docx`` by LibreOffice, and a 300 dpi scan. Returns (folder, database)."""
    import shutil
    import subprocess
    import sys

    base = tmp_path_factory.mktemp("mixed")
    folder = base / "inbox"
    folder.mkdir()
    for src in [*SAMPLES.iterdir(), *LEGACY.iterdir()]:
        if src.suffix in (".txt", ".pdf"):
            shutil.copy(src, folder / src.name)
    for src in FORMS.iterdir():
        if src.is_dir():
            shutil.copytree(src, folder / src.name)
        elif not src.name.endswith(".json"):
            shutil.copy(src, folder / src.name)
    shutil.copy(SCANS / CLEAN_SCAN, folder / CLEAN_SCAN)
    conv = base / "doc"
    p = subprocess.run(["soffice", "--headless", f"-env:UserInstallation={(base / 'profile').as_uri()}",
                        "--convert-to", "doc", "--outdir", str(conv), str(FORMS / DOC_FROM)],
                       capture_output=True, text=True, timeout=180)
    made = conv / DOC_FROM.replace(".docx", ".doc")
    assert made.exists(), f"LibreOffice made no .doc (scripts/install-system.sh installs it): {p.stderr}"
    shutil.copy(made, folder / made.name)
    db = base / "mixed.duckdb"
    reportdb = Path(sys.executable).parent / "reportdb"
    run = subprocess.run([str(reportdb), "ingest", str(folder), "--db", str(db)], capture_output=True,
                         text=True, env={"COLUMNS": "200", "PATH": "/usr/bin:/bin", "HOME": str(base)})
    n = sum(1 for f in folder.iterdir() if f.is_file())
    assert run.returncode == 0 and f"{n} files: {n} loaded" in run.stdout, run.stdout + run.stderr
    return folder, db
