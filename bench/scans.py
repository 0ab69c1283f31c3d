"""Benchmark of the scanned-report path (on demand: ``make bench-scans``).

    python -m bench.scans [--docs 3] [--kinds clean,skew,...] [--engine tesseract]
                          [--workers 2] [--peer] [--out bench/out/scans]

Generates ``--docs`` reports, "scans" each in every degradation kind (so each
kind is measured on the same reports), reads every scanned document with
reportdb (documents spread over ``--workers`` processes, Tesseract on one
thread each) and scores it against the generator's ground truth:

* cell exact-match over every ground-truth cell, and *silent errors* (a wrong
  or missing value in a document that came out ``ok``);
* narrative CER, strict and lenient (``bench.score``);
* kind ``digital``: the born-digital PDF itself, read from its text layer (no OCR);
* seconds per page (the work of one worker, summed from the page timings),
  against the raw ``tesseract page.png out -l chi_sim+eng`` command on the same
  page images (the floor for any Tesseract pipeline), run two at a time too;
* with ``--peer``: img2table 2.0.0 with Tesseract on the same table pages (in
  its own virtualenv ``.venv-peer``, since it needs another OpenCV build), its
  value cells scored by grid position against the born-digital PDF's grid, and
  reportdb's grid cells scored the same way.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

os.environ.setdefault("OMP_THREAD_LIMIT", "1")

import cv2  # noqa: E402

from extract.document import extract  # noqa: E402
from extract.model import NotAReport  # noqa: E402
from fixtures import generate, scan  # noqa: E402
from fixtures.report import BODIES, make_report  # noqa: E402
from ocr.cells import normalise_value  # noqa: E402
from ocr.errors import ReadError  # noqa: E402
from ocr.images import group_page_sets  # noqa: E402
from ocr.read import OcrOptions, read_source  # noqa: E402

from .score import cer, reference_text  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CONTAINER_FOR = {"clean": "pdf", "skew": "png-set", "noise": "jpg-set", "blur": "tiff", "jpeg": "jpg-set",
                 "illum": "png-set", "scan": "jpg-set", "seal": "png-set", "rotated": "tiff-g4",
                 "gray150": "png-set", "yellow200": "jpg-set", "phone": "jpg-set"}
PATHS = ("reportlab", "office")


def _sources(out: Path, docs: int, seed: int, path: str) -> list[tuple[str, Path, object]]:
    """(name, born-digital PDF, report) for ``docs`` reports made by ``path``: our own
    reportlab typesetter, or the official template in Word exported by LibreOffice."""
    rng = random.Random(seed)
    made = []
    if path == "office":
        from fixtures import office
        for pdf, _ in office.write([seed + i for i in range(docs)], out / "src", prefix="o"):
            made.append((pdf.stem, pdf, office.report_for(int(pdf.stem.split("_")[1]))))
        return made
    for i in range(docs):
        year = rng.randint(2019, 2025)
        r = make_report(seed + i, year=year, body=rng.choice(BODIES), typo=(i % 3 == 2),
                        dashes=rng.random() < 0.3, busy=True)
        name = f"d{i:02d}_{year}"
        generate.write(r, out / "src", name, kinds=("pdf",))
        made.append((name, out / "src" / f"{name}.pdf", r))
    return made


DIGITAL = "digital"  # not a scan: the source PDF as made, for the born-digital reading of each path


def make_inputs(out: Path, docs: int, kinds: list[str], seed: int, paths: tuple[str, ...] = ("reportlab",)
                ) -> list[dict]:
    items = []
    for path in paths:
        for name, pdf, r in _sources(out, docs, seed, path):
            for kind in kinds:
                stem = f"{name}_{kind}"
                if kind == DIGITAL:  # the born-digital PDF itself, read from its text layer
                    items.append({"name": stem, "kind": f"{path}/{kind}" if len(paths) > 1 else kind,
                                  "files": [str(pdf)], "pdf": str(pdf), "pages": [], "rotations": [],
                                  "truth": str(out / "src" / f"{name}.truth.json")})
                    continue
                files, spec = scan.scan(pdf, out / "scans", stem, kind, CONTAINER_FOR[kind], r.seed, r.body.agency)
                pages = scan.degrade(scan.render_pages(pdf, spec.dpi), spec, pdf, r.body.agency)
                page_files = []
                for k, img in enumerate(pages, 1):  # the same pixels as PNG, for the floor and the peer
                    p = out / "pages" / f"{stem}_{k}.png"
                    p.parent.mkdir(parents=True, exist_ok=True)
                    cv2.imwrite(str(p), img)
                    page_files.append(str(p))
                items.append({"name": stem, "kind": f"{path}/{kind}" if len(paths) > 1 else kind,
                              "files": [str(f) for f in files], "pdf": str(pdf),
                              "truth": str(out / "src" / f"{name}.truth.json"), "pages": page_files,
                              "rotations": list(spec.rotations)})
    return items


def run_reportdb(item: dict, engine: str) -> dict:
    files = [Path(f) for f in item["files"]]
    t0 = time.perf_counter()
    try:
        parts = group_page_sets(files)[0] if len(files) > 1 else None
        src = read_source(files[0], parts, OcrOptions(engine=engine))
        x = extract(src)
    except (ReadError, NotAReport) as exc:
        return {"name": item["name"], "error": str(exc), "seconds": time.perf_counter() - t0}
    wall = time.perf_counter() - t0
    truth = json.loads(Path(item["truth"]).read_text(encoding="utf-8"))
    got = {(c.table_key, c.row_key, c.col_key): c for c in x.cells}
    wrong = []
    for c in truth["cells"]:
        g = got.get((c["table"], c["row"], c["col"]))
        if g is None or g.value != c["value"]:
            wrong.append(f"{c['table']}:{c['row']}/{c['col']} {c['raw']!r}→{g.raw if g else None!r}")
    ref = reference_text(Path(item["pdf"]))
    read = [p.text for p in src.pages]
    grids = [[(c.row, c.col, c.text) for c in g.cells] for p in src.pages for g in p.grids]
    # on a scan, an identity the report breaks fails on OCR'd values: a doubt a person must look
    # at (needs_review), where the same report read from its text is ok with a finding
    expected = "needs_review" if truth.get("failed_checks") and not item["name"].endswith("_" + DIGITAL) \
        else truth["status"]
    return {"name": item["name"], "kind": item["kind"], "status": x.status, "truth_status": expected,
            "cells": len(truth["cells"]), "wrong": wrong, "silent": len(wrong) if x.status == "ok" else 0,
            "cer": cer(read, ref), "cer_lenient": cer(read, ref, lenient=True),
            "mentions": mentions_found(truth.get("mentions", []), x.mentions),
            "pages": len(src.pages), "seconds": wall, "timings": src.timings,
            "page_seconds": src.page_seconds,
            "grid_pages": {p.number: [[(c.row, c.col, c.text) for c in g.cells] for g in p.grids]
                           for p in src.pages}, "n_grids": len(grids),
            "flags": sorted({f.flag for f in x.flags if f.severity == "review"})}


def mentions_found(truth: list[dict], got) -> tuple[int, int]:
    """(narrative figures found, figures in the truth): each truth figure (value, unit,
    qualifier) matched once by one the reading stated."""
    pool: dict[tuple, int] = {}
    for m in got:
        k = (float(m.value) if m.value is not None else None, m.unit, m.qualifier)
        pool[k] = pool.get(k, 0) + 1
    found = 0
    for t in truth:
        k = (float(t["value"]) if t["value"] is not None else None, t["unit"], t["qualifier"])
        if pool.get(k):
            pool[k] -= 1
            found += 1
    return found, len(truth)


def raw_tesseract(page: str) -> float:
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        subprocess.run(["tesseract", page, str(Path(d) / "out"), "-l", "chi_sim+eng"],
                       check=True, capture_output=True, env={**os.environ, "OMP_THREAD_LIMIT": "1"})
        return time.perf_counter() - t0


@functools.lru_cache(maxsize=None)
def truth_grids(pdf: str) -> dict[int, list[dict[tuple[int, int], str]]]:
    import pdfplumber

    from ocr.pdf import read_page
    with pdfplumber.open(pdf) as doc:
        return {i: [{(c.row, c.col): c.text for c in g.cells} for g in read_page(p, i).grids]
                for i, p in enumerate(doc.pages, 1)}


def grid_score(truth: list[dict], found: list[dict]) -> tuple[int, int]:
    """(value cells right, value cells) of a page, by grid position: each truth grid
    against the found grid of the same size (or the best-scoring one)."""
    right = total = 0
    for t in truth:
        vals = {k: normalise_value(v) for k, v in t.items() if normalise_value(v).replace("-", "").isdigit()
                or normalise_value(v) == "-"}
        total += len(vals)
        best = 0
        for f in found:
            best = max(best, sum(1 for k, v in vals.items() if normalise_value(f.get(k, "") or "") == v))
        right += best
    return right, total


def run_peer(items: list[dict], out: Path) -> dict[str, dict]:
    py = ROOT / ".venv-peer" / "bin" / "python"
    script = ROOT / "bench" / "peer_img2table.py"
    if not py.exists():
        print("peer skipped: .venv-peer missing (make bench-peer)", file=sys.stderr)
        return {}
    pages = []
    for it in items:
        tg = truth_grids(it["pdf"])
        for k, p in enumerate(it["pages"], 1):
            if tg.get(k):
                pages.append({"id": f"{it['name']}|{k}", "image": p})
    halves = [pages[0::2], pages[1::2]]
    procs = []
    for i, half in enumerate(halves):  # both cores, like reportdb
        (out / f"peer_in{i}.json").write_text(json.dumps(half))
        procs.append(subprocess.Popen([str(py), str(script), str(out / f"peer_in{i}.json"),
                                       str(out / f"peer_out{i}.json")]))
    for p in procs:
        p.wait()
    res = {}
    for i in range(2):
        f = out / f"peer_out{i}.json"
        if f.exists():
            for r in json.loads(f.read_text()):
                res[r["id"]] = r
    return res


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.scans", description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=3)
    ap.add_argument("--kinds", default=",".join(scan.KINDS),
                    help=f"any of {','.join(scan.ALL_KINDS)}, and {DIGITAL} (the born-digital PDF "
                         "itself, read from its text layer)")
    ap.add_argument("--paths", default="reportlab",
                    help="how the born-digital reports are made: reportlab, office (Word template "
                         "exported by LibreOffice), or both: reportlab,office")
    ap.add_argument("--engine", default="tesseract")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--seed", type=int, default=7000)
    ap.add_argument("--peer", action="store_true")
    ap.add_argument("--no-floor", action="store_true")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "scans")
    args = ap.parse_args(argv)
    kinds = args.kinds.split(",")
    args.out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    items = make_inputs(args.out, args.docs, kinds, args.seed, tuple(args.paths.split(",")))
    print(f"generated {len(items)} scanned documents in {time.perf_counter() - t0:.0f} s", flush=True)
    t0 = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool:
        results = list(pool.map(run_reportdb, items, [args.engine] * len(items)))
        wall = time.perf_counter() - t0
        floor = {}
        if not args.no_floor:
            pages = [p for it in items for p in it["pages"]]
            t1 = time.perf_counter()
            floor = dict(zip(pages, pool.map(raw_tesseract, pages)))
            floor_wall = time.perf_counter() - t1
    peer = run_peer(items, args.out) if args.peer else {}
    report = summarise(items, results, floor, peer, wall, floor_wall if floor else None, args)
    (args.out / "results.json").write_text(json.dumps({"results": results, "floor": floor, "peer": peer,
                                                       "summary": report}, ensure_ascii=False, default=str))
    print(report)


def _seconds(rs, by_name, floor) -> tuple[float, float, float, float]:
    """Mean seconds a page, reportdb and raw tesseract, over all pages and over
    the pages with a table (raw 0 where the floor was not run)."""
    pages = sum(r["pages"] for r in rs)
    secs = sum(sum(r["page_seconds"].values()) for r in rs)
    raw = [floor[p] for r in rs for p in by_name[r["name"]]["pages"] if p in floor]
    tg_pages, rd_t, raw_t = 0, 0.0, 0.0
    for r in rs:
        it = by_name[r["name"]]
        tg = truth_grids(it["pdf"])
        for k, p in enumerate(it["pages"], 1):
            if tg.get(k):
                tg_pages += 1
                raw_t += floor.get(p, 0.0)
                rd_t += float(r["page_seconds"].get(k, r["page_seconds"].get(str(k), 0.0)))
    return (secs / max(1, pages), (sum(raw) / len(raw)) if raw else 0.0,
            rd_t / max(1, tg_pages), raw_t / max(1, tg_pages))


def _row(kind, rs, errs, by_name, floor, peer) -> str:
    """One line of the summary table: the documents ``rs`` of one kind (or all)."""
    cells = sum(r["cells"] for r in rs)
    wrong = sum(len(r["wrong"]) for r in rs)
    silent = sum(r["silent"] for r in rs)
    status_ok = sum(1 for r in rs if r["status"] == r["truth_status"] or
                    (r["truth_status"] == "ok" and r["status"] == "needs_review" and r["wrong"]))
    needless = sum(1 for r in rs if r["truth_status"] == "ok" and r["status"] == "needs_review"
                   and not r["wrong"])
    ment = (sum(r.get("mentions", (0, 0))[0] for r in rs), sum(r.get("mentions", (0, 0))[1] for r in rs))
    d = sum(r["cer"][0] for r in rs), sum(r["cer"][1] for r in rs)
    dl = sum(r["cer_lenient"][0] for r in rs), sum(r["cer_lenient"][1] for r in rs)
    secs, raw, table_secs, table_raw = _seconds(rs, by_name, floor)
    peer_right = peer_total = rd_right = rd_total = 0
    for r in rs:
        it = by_name[r["name"]]
        tg = truth_grids(it["pdf"])
        for k in range(1, len(it["pages"]) + 1):
            if not tg.get(k):
                continue
            grids = r["grid_pages"].get(k, r["grid_pages"].get(str(k), []))  # str: read back from JSON
            found = [{(a, b): t for a, b, t in g} for g in grids]
            a, b = grid_score(tg[k], found)
            rd_right, rd_total = rd_right + a, rd_total + b
            pr = peer.get(f"{r['name']}|{k}")
            if pr is not None:
                pf = [{(c["row"], c["col"]): c["text"] for c in t["cells"]} for t in pr.get("tables", [])]
                a2, b2 = grid_score(tg[k], pf)
                peer_right, peer_total = peer_right + a2, peer_total + b2
    nan = float("nan")
    return (f"| {kind} | {len(rs)}{f' (+{len(errs)} failed)' if errs else ''} | "
            f"{100 * (cells - wrong) / max(1, cells):.2f} % | {wrong} | {silent} | {status_ok}/{len(rs)} | "
            f"{needless} | {100 * ment[0] / max(1, ment[1]):.1f} % | "
            f"{100 * d[0] / max(1, d[1]):.2f} / {100 * dl[0] / max(1, dl[1]):.2f} % | "
            f"{secs:.2f} | {raw or nan:.2f} | {table_secs:.2f} / {table_raw:.2f} | "
            + (f"{100 * peer_right / max(1, peer_total):.1f} % | " if peer else "— | ")
            + (f"{100 * rd_right / rd_total:.1f} % |" if rd_total else "— |"))


def summarise(items, results, floor, peer, wall, floor_wall, args) -> str:
    by_name = {it["name"]: it for it in items}
    lines = [f"engine {args.engine}; {len(results)} documents, "
             f"{sum(r.get('pages', 0) for r in results)} pages; {args.workers} workers; "
             f"reportdb wall {wall:.0f} s" + (f", raw tesseract wall {floor_wall:.0f} s" if floor_wall else ""),
             "",
             "| kind | docs | cells exact | wrong | silent errors | status right | needless flags "
             "| narrative figures | CER strict / lenient "
             "| s/page reportdb | s/page raw tesseract | table pages: reportdb / raw | img2table cells "
             "| reportdb cells (same pages) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    kinds = list(dict.fromkeys(it["kind"] for it in items))
    for kind in kinds:
        rs = [r for r in results if r.get("kind") == kind]
        errs = [r for r in results if r.get("error") and r["name"].endswith("_" + kind)]
        lines.append(_row(kind, rs, errs, by_name, floor, peer))
    everything = [r for r in results if r.get("kind")]
    lines.append(_row("**all**", everything, [r for r in results if r.get("error")], by_name, floor, peer))
    secs, raw, table_secs, table_raw = _seconds(everything, by_name, floor)
    if raw and table_raw:
        lines += ["", f"all pages: reportdb {secs:.2f} s a page against raw tesseract {raw:.2f} s "
                      f"({secs / raw:.2f}×); table pages: {table_secs:.2f} s against {table_raw:.2f} s "
                      f"({table_secs / table_raw:.2f}×)"]
    bad = [f"- {r['name']}: " + "; ".join(r["wrong"][:6]) for r in results if r.get("wrong")]
    failed = [f"- {r['name']}: failed: {r['error']}" for r in results if r.get("error")]
    if bad or failed:
        lines += ["", "wrong cells (first six per document):"] + bad + failed
    return "\n".join(lines)


if __name__ == "__main__":
    main()
