"""Born-digital benchmark: pages per second on one core, split into text-layer
reading, table finding, extraction (layout, mapping, checks, mentions) and load.

    python -m bench.run [--reports 20] [--out bench/out]

Generates a corpus of synthetic PDF reports (deterministic), runs each stage in
this one process, and prints a Markdown table to paste into bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from datetime import date
from pathlib import Path

import pdfplumber

from extract.document import extract
from fixtures.generate import corpus
from ocr.model import Page, Source
from ocr.pdf import page_grids, page_lines, page_words, text_layer_usable
from warehouse.load import load_document
from warehouse.schema import connect


def read_timed(path: Path, t: dict) -> Source:
    """``ocr.pdf.read_page``, stage by stage, with the time of each stage added to ``t``."""
    pages = []
    with pdfplumber.open(path) as pdf:
        for i, p in enumerate(pdf.pages, start=1):
            a = time.perf_counter()
            words = page_words(p)
            b = time.perf_counter()
            grids = page_grids(p, i, words)
            c = time.perf_counter()
            lines = page_lines(words, grids)
            src = "text_layer" if text_layer_usable(" ".join(w["text"] for w in words)) else "needs_ocr"
            pages.append(Page(i, lines, src, float(p.width), float(p.height), grids))
            d = time.perf_counter()
            t["text"] += (b - a) + (d - c)
            t["tables"] += c - b
    return Source(str(path), "0" * 64, "application/pdf", pages)


def compare_camelot(pdfs: list[Path]) -> None:
    """pdfplumber's table finder against camelot lattice on the same pages: distinct
    cells found (a merged cell counts once) and seconds. camelot is a bench extra
    (``pip install -e '.[bench]'``); without it this comparison is skipped, said so."""
    try:
        import camelot
    except ImportError:
        print("\ncamelot not installed: table-finder comparison skipped (pip install -e '.[bench]')")
        return
    a = time.perf_counter()
    n_plumber = n_pages = 0
    for path in pdfs:
        with pdfplumber.open(path) as pdf:
            for i, p in enumerate(pdf.pages, start=1):
                n_plumber += sum(len(g.cells) for g in page_grids(p, i, page_words(p)))
                n_pages += 1
    b = time.perf_counter()
    n_camelot = 0
    for path in pdfs:
        for t in camelot.read_pdf(str(path), pages="all", flavor="lattice", backend="pdfium"):
            n_camelot += sum(1 for row in t.cells for c in row
                             if not (c.hspan and not c.left) and not (c.vspan and not c.top))
    c = time.perf_counter()
    print(f"\n| table finder ({n_pages} pages) | cells found | seconds | s / page |\n|---|---|---|---|")
    print(f"| pdfplumber find_tables (+ words) | {n_plumber} | {b - a:.2f} | {(b - a) / n_pages:.3f} |")
    print(f"| camelot {camelot.__version__} lattice, pdfium | {n_camelot} | {c - b:.2f} | {(c - b) / n_pages:.3f} |")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reports", type=int, default=20)
    ap.add_argument("--out", type=Path, default=Path("bench/out"))
    args = ap.parse_args(argv)
    corpus_dir = args.out / "born_digital"
    if not corpus_dir.exists():
        corpus(corpus_dir, args.reports)
    pdfs = sorted(corpus_dir.glob("*.pdf"))
    db = args.out / "bench.duckdb"
    db.unlink(missing_ok=True)
    con = connect(str(db))
    t = dict.fromkeys(("text", "tables", "extract", "load"), 0.0)
    n_pages = n_cells = 0
    for i, path in enumerate(pdfs):
        src = read_timed(path, t)
        a = time.perf_counter()
        x = extract(src)
        b = time.perf_counter()
        load_document(con, path=str(path), sha256=f"{i:064x}", media_type="application/pdf",
                      n_pages=len(src.pages), x=x, version="bench")
        c = time.perf_counter()
        t["extract"] += b - a
        t["load"] += c - b
        n_pages += len(src.pages)
        n_cells += len(x.cells)
    con.close()
    total = sum(t.values())
    print(f"## Born-digital PDFs — {date.today()} — {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, one process\n")
    print(f"{len(pdfs)} reports, {n_pages} pages, {n_cells} cells\n")
    print("| stage | seconds | ms / page | share |\n|---|---|---|---|")
    for k, v in t.items():
        print(f"| {k} | {v:.2f} | {1000 * v / n_pages:.1f} | {100 * v / total:.0f} % |")
    print(f"| **all** | {total:.2f} | {1000 * total / n_pages:.1f} | — |\n")
    print(f"**{n_pages / total:.1f} pages/s** on one core (text + tables + extraction + load).")
    compare_camelot(pdfs)


if __name__ == "__main__":
    main()
