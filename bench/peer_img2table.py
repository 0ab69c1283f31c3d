"""Peer baseline: ruled-table extraction + Tesseract OCR with img2table 2.0.0.

Usage:  python peer_img2table.py IN.json OUT.json

IN.json  : JSON list of {"image": "/path/page.png", "id": <any>}
OUT.json : JSON list, one entry per input image:
  {"id", "image",
   "seconds_ocr":       wall time of extract_tables(ocr=TesseractOCR(...)),
   "seconds_structure": wall time of extract_tables(ocr=None) (line detection only),
   "tables": [{"bbox": [x1,y1,x2,y2], "title": str|None, "n_rows", "n_cols",
               "cells": [{"row", "col", "text", "bbox": [x1,y1,x2,y2]}, ...]}, ...],
   "structure_tables": number of tables found structure-only,
   "structure_cells":  total cells over those structure-only tables,
   "error": null or "ExcType: message"}

Settings: TesseractOCR(n_threads=1, lang="chi_sim+eng", psm=11), implicit_rows=False,
borderless_tables=False, min_confidence=50. Cells come from ExtractedTable.content
(row index -> list of TableCell), so a merged cell is repeated at every (row, col)
position it covers. img2table joins OCR words with str(), so a word whose value is
None shows up as the token "None"; such tokens are removed.  Each Image is decoded
inside the timed call (a fresh Image object per run, so nothing is cached between
the structure-only and OCR runs).  An exception on one image is recorded in "error"
and the run continues.
"""
import os

# Must be set before TesseractOCR() is built: it snapshots os.environ for its subprocesses.
os.environ["OMP_THREAD_LIMIT"] = "1"

import json  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402

from img2table.document import Image  # noqa: E402
from img2table.ocr import TesseractOCR  # noqa: E402

EXTRACT_KW = dict(implicit_rows=False, borderless_tables=False, min_confidence=50)
_NONE_TOKEN = re.compile(r"(?<!\S)None(?!\S)")


def clean_text(value):
    """Cell value -> str: '' for None, with stray 'None' word tokens removed."""
    if value is None:
        return ""
    lines = [re.sub(r"[ \t]+", " ", _NONE_TOKEN.sub("", ln)).strip() for ln in str(value).split("\n")]
    return "\n".join(ln for ln in lines if ln)


def bbox_list(b):
    return [int(b.x1), int(b.y1), int(b.x2), int(b.y2)]


def table_to_json(tb):
    cells = []
    for r, row in enumerate(tb.content.values()):
        for c, cell in enumerate(row):
            cells.append({"row": r, "col": c, "text": clean_text(cell.value), "bbox": bbox_list(cell.bbox)})
    return {
        "bbox": bbox_list(tb.bbox),
        "title": clean_text(tb.title) or None,
        "n_rows": len(tb.content),
        "n_cols": max((len(row) for row in tb.content.values()), default=0),
        "cells": cells,
    }


def process(item, ocr):
    out = {"id": item.get("id"), "image": item.get("image"), "seconds_ocr": None,
           "seconds_structure": None, "tables": [], "structure_tables": None,
           "structure_cells": None, "error": None}
    try:
        path = item["image"]
        t0 = time.perf_counter()
        struct = Image(src=path).extract_tables(ocr=None, **EXTRACT_KW)
        out["seconds_structure"] = round(time.perf_counter() - t0, 3)
        out["structure_tables"] = len(struct)
        out["structure_cells"] = sum(len(row) for tb in struct for row in tb.content.values())

        t0 = time.perf_counter()
        tables = Image(src=path).extract_tables(ocr=ocr, **EXTRACT_KW)
        out["seconds_ocr"] = round(time.perf_counter() - t0, 3)
        out["tables"] = [table_to_json(tb) for tb in tables]
    except Exception as exc:  # never abort the batch
        out["error"] = f"{type(exc).__name__}: {exc}"
        traceback.print_exc(file=sys.stderr)
    return out


def main(argv):
    if len(argv) != 3:
        sys.exit("usage: python peer_img2table.py IN.json OUT.json")
    with open(argv[1], encoding="utf-8") as f:
        items = json.load(f)
    try:
        ocr, init_err = TesseractOCR(n_threads=1, lang="chi_sim+eng", psm=11), None
    except Exception as exc:  # e.g. tesseract or chi_sim missing: record on every item
        ocr, init_err = None, f"TesseractOCR init: {type(exc).__name__}: {exc}"
    results = []
    for item in items:
        res = process(item, ocr) if init_err is None else {
            "id": item.get("id"), "image": item.get("image"), "seconds_ocr": None,
            "seconds_structure": None, "tables": [], "structure_tables": None,
            "structure_cells": None, "error": init_err}
        results.append(res)
        n_cells = sum(len(t["cells"]) for t in res["tables"])
        print(f"[{res['id']}] tables={len(res['tables'])} cells={n_cells} "
              f"ocr={res['seconds_ocr']}s structure={res['seconds_structure']}s "
              f"error={res['error']}", file=sys.stderr)
    with open(argv[2], "w", encoding="utf-8") as f:
        json.dump(results, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main(sys.argv)
