"""Hostile inputs at full size (issue 20), against the default limits.

    python -m bench.hostile [--only NAME ...] [--memory-gib 4]

Each case of issue 20 is made at the size that once cost minutes or gigabytes
(``fixtures/hostile.py``) and read alone by ``reportdb ingest`` into a fresh
database: the seconds it took (a process start, about 1.5 s, included), its
one-line reason, and whether the line names the file. Then all of them go into
one inbox with two good files for one ``reportdb batch``; and the PDF whose
content stream inflates to gigabytes is read with a good file by
``reportdb ingest`` under ``prlimit --as`` — once against the content cap, once
with the cap lifted so the worker's memory limit has to stop it. Prints Markdown
for ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from fixtures import hostile as H

ROOT = Path(__file__).resolve().parent.parent
GOOD = ROOT / "fixtures" / "samples" / "2024_dongwu_town.txt"
GOOD_PDF = ROOT / "fixtures" / "samples" / "2019_xihu_gov2019.pdf"


def _utf16(p: Path) -> Path:
    p.write_bytes(GOOD.read_text(encoding="utf-8").encode("utf-16-le"))
    return p


CASES = {  # name → (what it is, how it is made)
    "blank5000.pdf": ("5,000 blank pages", lambda p: H.blank_pdf(p, 5000)),
    "blank400.pdf": ("400 blank pages (under the page cap)", lambda p: H.blank_pdf(p, 400)),
    "deep10000.html": ("HTML nested 10,000 deep", lambda p: H.deep_html(p, 10_000)),
    "deeptable5000.html": ("tables in tables 5,000 deep", lambda p: H.deep_html(p, 5_000, "table")),
    "frames1000.tif": ("TIFF of 1,000 A4 frames (200 dpi)", lambda p: H.many_frame_tiff(p, 1000, (1654, 2339))),
    "frames400.tif": ("TIFF of 400 blank A4 frames (under the cap)",
                      lambda p: H.many_frame_tiff(p, 400, (1654, 2339))),
    "stream.pdf": ("one page, content stream inflating to 2 GB", lambda p: H.huge_stream_pdf(p, 2048)),
    "inches200.pdf": ("a 200 × 200 inch page", lambda p: H.big_page_pdf(p, 200)),
    "userunit.pdf": ("/UserUnit 75000 on an A4 box", lambda p: H.big_page_pdf(p, user_unit=75000)),
    "pixel.png": ("a 1-pixel PNG", H.tiny_png),
    "pixels.tif": ("a TIFF of three 1-pixel frames", lambda p: H.many_frame_tiff(p, 3, (1, 1))),
    "noise.png": ("grey noise, A4 at 150 dpi", H.noise_png),
    "notice.pdf": ("a legible budget report, not a disclosure report", H.notice_pdf),
    "utf16.txt": ("a report in UTF-16 without a byte-order mark (good)", _utf16),
}

REPORTDB = [sys.executable, "-m", "pipeline.cli"]


def run(args: list[str], prefix: tuple[str, ...] = (), env: dict | None = None) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    p = subprocess.run([*prefix, *REPORTDB, *args], capture_output=True, text=True, cwd=ROOT,
                       env={**os.environ, "COLUMNS": "400", **(env or {})})
    return time.perf_counter() - t0, p


def line_for(p: subprocess.CompletedProcess, name: str) -> str:
    return next((ln for ln in p.stdout.splitlines() if f"/{name}" in ln), "(no line)")


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.hostile", description=__doc__.split("\n")[0])
    ap.add_argument("--only", nargs="*", help="these cases only")
    ap.add_argument("--memory-gib", type=float, default=4.0, help="prlimit --as for the memory runs")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "hostile")
    args = ap.parse_args()
    if args.out.exists():
        shutil.rmtree(args.out)
    inbox = args.out / "inbox"
    inbox.mkdir(parents=True)
    names = args.only or list(CASES)
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    print("| input | file size | seconds | exit | line |")
    print("|---|---|---|---|---|")
    for name in names:
        what, make = CASES[name]
        make(inbox / name)
        db = args.out / f"{name}.duckdb"
        seconds, p = run(["ingest", str(inbox / name), "--db", str(db), "--no-snapshot"])
        size = (inbox / name).stat().st_size
        line = " ".join(line_for(p, name).split())
        print(f"| {what} | {size / 1024:,.0f} kB | {seconds:.1f} | {p.returncode} | `{line}` |", flush=True)
    shutil.copy(GOOD, inbox / "good.txt")
    shutil.copy(GOOD_PDF, inbox / "good.pdf")
    db = args.out / "all.duckdb"
    seconds, p = run(["batch", str(inbox), "--db", str(db), "--workers", "2"])
    con = duckdb.connect(str(db), read_only=True)
    good = dict(con.execute("SELECT regexp_extract(source_path, '[^/]+$'), status FROM documents "
                            "WHERE status <> 'failed'").fetchall())
    con.close()
    print(f"\none batch of all {len(names)} cases and two good files, 2 workers: {seconds:.0f} s, exit "
          f"{p.returncode}; loaded: {good}")
    print(p.stdout.strip().splitlines()[-2])

    mem = int(args.memory_gib * (1 << 30))
    pair = args.out / "pair"
    pair.mkdir()
    H.huge_stream_pdf(pair / "a_stream.pdf", 2048)
    shutil.copy(GOOD, pair / "b_good.txt")
    for label, env in (("content cap (default)", {}), ("content cap lifted", {"REPORTDB_MAX_PAGE_CONTENT_MB": "100000"})):
        db = args.out / f"pair-{len(env)}.duckdb"
        seconds, p = run(["ingest", str(pair / "a_stream.pdf"), str(pair / "b_good.txt"), "--db", str(db),
                          "--no-snapshot"], prefix=("prlimit", f"--as={mem}"), env=env)
        lines = " / ".join(" ".join(ln.split()) for ln in p.stdout.splitlines()[:2])
        print(f"\nprlimit --as={args.memory_gib:g}G reportdb ingest stream.pdf good.txt, {label}: "
              f"{seconds:.1f} s, exit {p.returncode}: `{lines}`")
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
