"""Batch speed-up: the same mixed folder taken in with 1 and with 2 workers.

    python -m bench.batch [--corpus 20] [--workers 1 2]

The folder: ``--corpus`` synthetic reports as text dump and born-digital PDF
(``fixtures.generate``), plus the committed scans (image PDF, JPEG page set,
G4 TIFF, PNG page set), so 2 × corpus + 4 documents. Each run starts from an
empty database. Prints a Markdown table and the pages per hour per core.
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from pathlib import Path

import duckdb

from fixtures.generate import corpus
from pipeline.batch import batch

ROOT = Path(__file__).resolve().parent.parent


def build(folder: Path, n: int) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    corpus(folder, n)
    for t in folder.glob("*.truth.json"):
        t.unlink()
    scans = folder / "scans"
    scans.mkdir()
    for f in (ROOT / "fixtures" / "scans").iterdir():
        if not f.name.endswith(".json"):
            shutil.copy(f, scans / f.name)


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.batch", description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=int, default=20)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "batch")
    args = ap.parse_args()
    folder = args.out / "inbox"
    build(folder, args.corpus)
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    seconds = {}
    print("| workers | documents | loaded | failed | wall s | text/PDF pages | OCR pages | speed-up |")
    print("|---|---|---|---|---|---|---|---|")
    for w in args.workers:
        db = args.out / f"w{w}.duckdb"
        for suffix in ("", ".wal", ".lock"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        t0 = time.perf_counter()
        s = batch(folder, str(db), workers=w)
        seconds[w] = time.perf_counter() - t0
        con = duckdb.connect(str(db), read_only=True)
        plain, ocr = con.execute(
            "SELECT coalesce(sum(pages) FILTER (WHERE media_type NOT LIKE 'image/%' AND doc_id NOT IN "
            "(SELECT DISTINCT doc_id FROM page_images)), 0), "
            "coalesce(sum(pages) FILTER (WHERE media_type LIKE 'image/%' OR doc_id IN "
            "(SELECT DISTINCT doc_id FROM page_images)), 0) FROM documents").fetchone()
        con.close()
        base = seconds[args.workers[0]]
        print(f"| {w} | {len(s.results)} | {s.count('loaded')} | {s.count('failed')} | "
              f"{seconds[w]:.1f} | {plain} | {ocr} | {base / seconds[w]:.2f}× |")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
