"""The identities between cells (勾稽关系) from the spec, evaluated on what was printed.

An identity is evaluated only when every cell it needs was printed with a value;
a blank or missing cell is reported by the table stage instead. Nothing here
changes a value: a failed identity is a finding, for a person to judge.
``identities`` lists each identity with its operands, so other stages can ask
which identities a cell takes part in.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import Cell, Check
from .templates import FormatSpec

APPLICANT_PARTS = ("natural_person", "business", "research", "ngo", "legal_services", "other_org")
APPEAL_PARTS = ("upheld", "corrected", "other", "pending")
_NOT_OUTCOMES = {"new", "carried_in", "results_total", "carried_out"}
TOLERANCE = 1e-6
Key = tuple[str, str, str]  # table, row, col


@dataclass(frozen=True)
class Identity:
    """sum(parts) must equal sum(totals)."""

    check_key: str
    scope: str
    parts: tuple[Key, ...]
    totals: tuple[Key, ...]

    @property
    def operands(self) -> tuple[Key, ...]:
        return self.parts + self.totals


def identities(fmt: FormatSpec) -> list[Identity]:
    """Every identity of the spec, with the cells it adds up."""
    out: list[Identity] = []
    req = fmt.tables["requests"]
    outcome_rows = [r.key for r in req.rows if r.key not in _NOT_OUTCOMES]
    for c in [x.key for x in req.cols]:
        k = lambda r: ("requests", r, c)  # noqa: E731
        # 一 + 二 (expected) against （七） + 四 (actual), as the table's note prints it
        out.append(Identity("requests_balance", f"col={c}", (k("new"), k("carried_in")),
                            (k("results_total"), k("carried_out"))))
        out.append(Identity("requests_results_total", f"col={c}", tuple(k(r) for r in outcome_rows),
                            (k("results_total"),)))
    for r in req.rows:
        out.append(Identity("requests_row_total", f"row={r.key}",
                            tuple(("requests", r.key, p) for p in APPLICANT_PARTS),
                            (("requests", r.key, "total"),)))
    for r in fmt.tables["appeals"].rows:
        out.append(Identity("appeals_total", f"row={r.key}",
                            tuple(("appeals", r.key, p) for p in APPEAL_PARTS),
                            (("appeals", r.key, "total"),)))
    return out


def check(identity: Identity, v: dict[Key, float | None]) -> Check | None:
    """The identity on values ``v``; None when an operand was not printed."""
    parts = [v.get(k) for k in identity.parts]
    totals = [v.get(k) for k in identity.totals]
    if any(x is None for x in parts + totals):
        return None
    expected, actual = float(sum(parts)), float(sum(totals))  # type: ignore[arg-type]
    return Check(identity.check_key, identity.scope, expected, actual, abs(expected - actual) <= TOLERANCE)


def values(cells: list[Cell]) -> dict[Key, float | None]:
    return {(c.table_key, c.row_key, c.col_key): c.value for c in cells}


def evaluate(fmt: FormatSpec, cells: list[Cell]) -> list[Check]:
    """Every identity of the spec that the printed cells allow to evaluate."""
    v = values(cells)
    return [c for c in (check(i, v) for i in identities(fmt)) if c is not None]
