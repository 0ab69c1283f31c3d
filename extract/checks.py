"""The identities between cells (勾稽关系) from the spec, evaluated on what was printed.

An identity is evaluated only when every cell it needs was printed with a value;
a blank or missing cell is reported by the table stage instead. Nothing here
changes a value: a failed identity is a finding, for a person to judge.
"""

from __future__ import annotations

from .model import Cell, Check
from .templates import FormatSpec

APPLICANT_PARTS = ("natural_person", "business", "research", "ngo", "legal_services", "other_org")
APPEAL_PARTS = ("upheld", "corrected", "other", "pending")
_NOT_OUTCOMES = {"new", "carried_in", "results_total", "carried_out"}
TOLERANCE = 1e-6


def _cmp(key: str, scope: str, parts: list[float | None], actual: float | None) -> Check | None:
    if actual is None or any(p is None for p in parts):
        return None
    expected = float(sum(parts))  # type: ignore[arg-type]
    return Check(key, scope, expected, float(actual), abs(expected - actual) <= TOLERANCE)


def evaluate(fmt: FormatSpec, cells: list[Cell]) -> list[Check]:
    """Every identity of the spec that the printed cells allow to evaluate."""
    v = {(c.table_key, c.row_key, c.col_key): c.value for c in cells}
    out: list[Check | None] = []
    req = fmt.tables["requests"]
    cols = [c.key for c in req.cols]
    outcome_rows = [r.key for r in req.rows if r.key not in _NOT_OUTCOMES]
    for c in cols:
        g = lambda r: v.get(("requests", r, c))  # noqa: E731
        if None not in (g("results_total"), g("carried_out")):
            # 一 + 二 (expected) against （七） + 四 (actual), as the table's note prints it
            out.append(_cmp("requests_balance", f"col={c}", [g("new"), g("carried_in")],
                            g("results_total") + g("carried_out")))
        out.append(_cmp("requests_results_total", f"col={c}",
                        [g(r) for r in outcome_rows], g("results_total")))
    for r in req.rows:
        out.append(_cmp("requests_row_total", f"row={r.key}",
                        [v.get(("requests", r.key, p)) for p in APPLICANT_PARTS],
                        v.get(("requests", r.key, "total"))))
    for r in fmt.tables["appeals"].rows:
        out.append(_cmp("appeals_total", f"row={r.key}",
                        [v.get(("appeals", r.key, p)) for p in APPEAL_PARTS],
                        v.get(("appeals", r.key, "total"))))
    return [c for c in out if c is not None]
