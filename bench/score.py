"""Scoring what reportdb loaded against the generator's ground truth.

* cells: every ground-truth cell must be in the database with the same value;
  a *silent error* is a wrong or missing value in a document marked ``ok``;
* narrative CER: the page text as read, against the text layer of the
  born-digital PDF the scan was made from (table cells left out on both sides),
  whitespace removed; *strict* as is, *lenient* after NFKC and with CJK and
  ASCII punctuation unified.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz.distance import Levenshtein


@dataclass
class CellScore:
    total: int = 0
    exact: int = 0
    wrong: list[str] = field(default_factory=list)
    status: str | None = None
    truth_status: str | None = None

    @property
    def silent(self) -> int:
        return len(self.wrong) if self.status == "ok" else 0


def score_cells(con, doc_id: str, truth: dict) -> CellScore:
    got = {(t, r, c): (v, raw) for t, r, c, v, raw in con.execute(
        "SELECT table_key, row_key, col_key, value, raw FROM cells WHERE doc_id = ?", [doc_id]).fetchall()}
    status = con.execute("SELECT status FROM documents WHERE doc_id = ?", [doc_id]).fetchone()
    s = CellScore(status=status[0] if status else None, truth_status=truth["status"])
    for c in truth["cells"]:
        s.total += 1
        g = got.get((c["table"], c["row"], c["col"]))
        if g is not None and g[0] == c["value"]:
            s.exact += 1
        else:
            s.wrong.append(f"{c['table']}:{c['row']}/{c['col']} truth {c['raw']!r} read "
                           f"{g[1] if g else None!r}")
    return s


_PUNCT = str.maketrans("，。：；（）！？“”‘’、〈〉【】－—", ",.:;()!?\"\"''、<>[]--")


def _squash(text: str, lenient: bool) -> str:
    t = re.sub(r"\s+", "", text)
    if lenient:
        t = unicodedata.normalize("NFKC", t).translate(_PUNCT)
    return t


def reference_text(pdf: Path) -> list[str]:
    """Per page, the born-digital PDF's text outside its tables."""
    import pdfplumber

    from ocr.pdf import read_page

    with pdfplumber.open(str(pdf)) as doc:
        return ["\n".join(ln.text for ln in read_page(p, i).lines) for i, p in enumerate(doc.pages, 1)]


def cer(read: list[str], reference: list[str], lenient: bool = False) -> tuple[int, int]:
    """(edit distance, reference length), pooled over pages."""
    a = _squash("".join(read), lenient)
    b = _squash("".join(reference), lenient)
    return Levenshtein.distance(a, b), len(b)


def load_truth(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))
