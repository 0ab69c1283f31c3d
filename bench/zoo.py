"""The rendering zoo at length: random reports in every flattened text form, read
by the extraction stage, each truth cell scored exact, flagged or wrong.

    python -m bench.zoo --n 10000            # renderings per form (the long run)
    python -m bench.zoo --n 50 --seed 7      # a short sample

A cell is *exact* when the stored value equals the truth; *flagged* when it is
absent or NULL and a review flag names it (its cell, its row or its table);
*open* when the print does not determine it (the zoo's truth says so) and it is
flagged; *wrong* otherwise. "exact of determined" is the share the issue asks to
be 100 %. A wrong value in a document whose status is ``ok`` is the
failure that must never happen (``wrong_in_ok``).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter

from extract.document import extract
from extract.model import Extraction
from fixtures.zoo import FORMS, make
from ocr.model import Source
from ocr.text import read_text_pages


def read(text: str) -> Extraction:
    data = text.encode("utf-8")
    return extract(Source("zoo.txt", "0" * 64, "text/plain", read_text_pages(data, "zoo.txt")))


def covered(x: Extraction, table: str, row: str, col: str) -> bool:
    """Does a review flag name this cell, its row or its table?"""
    for f in x.flags:
        if f.severity != "review":
            continue
        s = f.scope
        if s == table or s in (f"{table}:{row}/{col}", f"{table}:{row}", f"{table}:all", f"{table}:values",
                               f"{table}:{row}/values") or s.startswith(f"{table}:{row}/") and s.endswith(col):
            return True
        if f.flag == "annex_unread" and table == "legacy_stats":
            return True
        if f.flag in ("ambiguous_row",) and s == f"{table}:{row}":
            return True
    return False


def score(truth: dict, x: Extraction) -> Counter:
    """Each truth cell: *exact* (the stored value is the truth's), *flagged* (absent or
    NULL and a review flag names it), or *wrong*; a cell the print leaves open
    (``determined: false`` in the truth, ``fixtures.decidable``) is *open* when flagged —
    a reader can do no better — and still wrong when a different value is stored."""
    got = {(c.table_key, c.row_key, c.col_key): c for c in x.cells}
    n: Counter = Counter()
    for c in truth["cells"]:
        key = (c["table"], c["row"], c["col"])
        have = got.get(key)
        want = c["value"]
        det = c.get("determined", True)
        n["cells"] += 1
        n["determined"] += det
        if have is not None and have.value is not None and want is not None and abs(have.value - want) < 1e-9:
            n["exact"] += 1
            n["exact_determined"] += det
        elif have is not None and have.value is None and want is None:
            n["exact"] += 1
            n["exact_determined"] += det
        elif (have is None or have.value is None) and covered(x, *key):
            n["flagged" if det else "open"] += 1
        else:
            n["wrong"] += 1
            n["wrong_in_ok"] += x.status == "ok"
    if x.agency != truth["metadata"]["agency"]:
        n["agency_wrong"] += 1
    n["docs"] += 1
    n["ok_docs"] += x.status == "ok"
    return n


def run(n: int, seed: int, forms: str = FORMS) -> dict[str, Counter]:
    out: dict[str, Counter] = {}
    for form in forms:
        tot: Counter = Counter()
        t0 = time.perf_counter()
        for i in range(n):
            rend = make(seed * 100003 + i, form)
            try:
                x = read(rend.text)
            except Exception as exc:  # a crash is a finding, counted
                tot["crashed"] += 1
                print(f"form {form} seed {seed * 100003 + i}: {exc!r}", file=sys.stderr)
                continue
            tot += score(rend.truth, x)
        tot["seconds"] = round(time.perf_counter() - t0)
        out[form] = tot
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=10000, help="renderings per form")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--forms", default=FORMS)
    a = ap.parse_args(argv)
    res = run(a.n, a.seed, a.forms)
    print("| form | docs | ok docs | cells | determined | exact of determined | flagged | open (flagged) "
          "| wrong | wrong in ok docs | agency wrong | s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for f, c in res.items():
        pct = 100 * c["exact_determined"] / c["determined"] if c["determined"] else 0
        print(f"| {f} | {c['docs']} | {c['ok_docs']} | {c['cells']} | {c['determined']} "
              f"| {c['exact_determined']} ({pct:.2f} %) | {c['flagged']} | {c['open']} | {c['wrong']} "
              f"| {c['wrong_in_ok']} | {c['agency_wrong']} | {c['seconds']} |")
    return 1 if any(c["wrong_in_ok"] or c["crashed"] for c in res.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
