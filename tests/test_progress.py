"""Progress in pages (issue 18 item 4): pages counted before anything is read, a
scan's pages told one by one from the worker that reads them, a bar whose total
is pages in a terminal, plain lines on stderr elsewhere."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from io import StringIO
from pathlib import Path

from PIL import Image
from rich.console import Console

from pipeline.progress import PageProgress, count_pages, pages_of

from .conftest import SAMPLES, SCANS

SCAN = SCANS / "2023_lixia_typo_clean.pdf"  # 5 pages, image only: every page is OCR'd
REPORTDB = Path(sys.executable).parent / "reportdb"


def _env(**extra) -> dict:
    return {"COLUMNS": "200", "PATH": "/usr/bin:/bin", "HOME": os.environ.get("HOME", "/tmp"),
            "PYTHONPATH": os.environ.get("PYTHONPATH", ""), **extra}


def test_pages_are_counted_before_reading(tmp_path):
    tif = tmp_path / "three.tif"
    frames = [Image.new("L", (64, 64), 255) for _ in range(3)]
    frames[0].save(tif, save_all=True, append_images=frames[1:])
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\n1 0 obj")
    assert count_pages(str(SCAN)) == 5
    assert count_pages(str(tif)) == 3
    assert count_pages(str(tif), cap=2) == 2          # never past the page limit
    assert count_pages(str(SAMPLES / "2023_lixia_typo.txt")) == 1
    assert count_pages(str(broken)) == 1               # the reader says why it is broken
    assert count_pages("set_p*.png", ("a.png", "b.png", "c.png", "d.png")) == 4
    # the same in a process of its own (the writer reads no document)
    assert pages_of([(str(SCAN), (), 500), (str(tif), (), 500), (str(broken), (), 500),
                     (str(SAMPLES / "2023_lixia_typo.txt"), (), 500)]) == [5, 3, 1, 1]


def test_the_bar_counts_pages_and_names_the_file():
    console = Console(file=StringIO(), force_terminal=True, width=160)
    now = [0.0]
    p = PageProgress(console=console, live=True, clock=lambda: now[0])
    p.plan({"scan.pdf": 50, "a.txt": 1})
    assert p.total == 51 and p._bar.tasks[0].total == 51
    p.page("scan.pdf", 0, None)
    assert p._bar.tasks[0].description == "0/2 files · scan.pdf (50 pages)"
    now[0] = 20.0
    p.page("scan.pdf", 10, 50)
    assert p._bar.tasks[0].completed == 10 and p.eta() == 82.0  # 2 s a page, 41 pages left
    assert p._bar.tasks[0].description == "0/2 files · scan.pdf page 11 of 50"
    p.finish("scan.pdf")
    p.finish("a.txt")
    assert p._bar.tasks[0].completed == 51
    p.stop()
    assert "51/51 pages" in console.file.getvalue()


def test_ingest_prints_plain_progress_lines_when_not_a_terminal(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(SCAN, src / SCAN.name)
    shutil.copy(SAMPLES / "2024_dongwu_town.txt", src / "town.txt")
    p = subprocess.run([str(REPORTDB), "ingest", str(src), "--db", str(tmp_path / "p.duckdb"), "--no-snapshot"],
                       capture_output=True, text=True, env=_env(REPORTDB_PROGRESS_EVERY="0"), timeout=600)
    assert p.returncode == 0, p.stderr
    lines = [ln for ln in p.stderr.splitlines() if ln.startswith("progress: ")]
    # 6 pages in all: the scan's 5 and the text dump's 1; the scan's told page by page
    assert all(" of 6 pages" in ln for ln in lines), lines
    done = [int(re.match(r"progress: (\d+) of", ln).group(1)) for ln in lines]
    assert done == sorted(done) and done[-1] == 6
    for n in range(1, 5):
        assert any(f"{SCAN.name} page {n + 1} of 5" in ln and ln.startswith(f"progress: {n} of 6 pages")
                   for ln in lines), (n, lines)
    assert any("elapsed, about" in ln and "left" in ln for ln in lines)
    # stdout stays one line a file and the summary
    assert len(p.stdout.strip().splitlines()) == 3
    # -q: failures and the summary only, no progress lines
    q = subprocess.run([str(REPORTDB), "-q", "ingest", str(src / "town.txt"), "--db", str(tmp_path / "q.duckdb"),
                        "--no-snapshot"], capture_output=True, text=True,
                       env=_env(REPORTDB_PROGRESS_EVERY="0"), timeout=300)
    assert q.returncode == 0 and "progress:" not in q.stderr


def test_batch_shows_a_bar_of_pages_in_a_terminal(tmp_path):
    """``script`` gives the batch a terminal: the bar's total is the pages."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in ("2023_lixia_typo.pdf", "2024_dongwu_town.txt"):
        shutil.copy(SAMPLES / name, inbox / name)
    cmd = f"{REPORTDB} batch {inbox} --db {tmp_path / 'b.duckdb'} --no-snapshot --workers 1"
    p = subprocess.run(["script", "-qefc", cmd, "/dev/null"], capture_output=True, text=True,
                       env=_env(TERM="xterm"), timeout=300)
    assert p.returncode == 0, p.stdout
    pages = count_pages(str(SAMPLES / "2023_lixia_typo.pdf")) + 1
    assert f"pages to read" in p.stdout and f"{pages} pages to read" in p.stdout
    assert f"{pages}/{pages} pages" in p.stdout
