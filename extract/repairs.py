"""Repair suggestions: the value one wrong cell would need for its identities to hold.

When identities fail, a person must find the wrong cell. Often the arithmetic
already points at it: a cell that sits in every failing identity and in at least
two identities in all (say a row total and a column balance) can be solved for
from each of them; if every identity asks the same value of it, and no other
cell could be changed alone to the same effect, that value is *the* repair. It
is only ever a suggestion: nothing here changes a cell, and a person accepts it
(``reportdb correct … --accept``) or not.

Where several cells could each repair the failures alone (one failing row total
and nothing else), the identities do not pin the wrong cell and no suggestion
is made.
"""

from __future__ import annotations

from dataclasses import dataclass

from .checks import Identity, Key, check, identities, values
from .model import Cell
from .templates import FormatSpec


@dataclass(frozen=True)
class Suggestion:
    table_key: str
    row_key: str
    col_key: str
    current: float | None
    suggested: float
    because: tuple[str, ...]   # the identities ("check_key:scope") that pin it


def _solve(i: Identity, k: Key, v: dict) -> float | None:
    """The value of ``k`` that makes identity ``i`` hold, the rest as read."""
    others = [v.get(o) for o in i.operands if o != k]
    if any(x is None for x in others):
        return None
    parts = sum(v[o] for o in i.parts if o != k)
    totals = sum(v[o] for o in i.totals if o != k)
    return totals - parts if k in i.parts else parts - totals


def suggest(fmt: FormatSpec, cells: list[Cell]) -> list[Suggestion]:
    """The single-cell repairs the failing identities pin (see the module docstring)."""
    ids = identities(fmt)
    v = values(cells)
    failing = [i for i in ids if (r := check(i, v)) is not None and not r.ok]
    if not failing:
        return []
    candidates: list[Suggestion] = []
    suspects = sorted({k for i in failing for k in i.operands if k in v})
    for k in suspects:
        mine = [i for i in ids if k in i.operands and all(o in v for o in i.operands)]
        if len(mine) < 2 or not all(i in mine for i in failing):
            continue
        wanted = {_solve(i, k, v) for i in mine}
        if len(wanted) != 1 or None in wanted:
            continue
        x = wanted.pop()
        if x < 0 or x == v[k] or abs(x - round(x)) > 1e-9 and float(v[k] or 0).is_integer():
            continue
        candidates.append(Suggestion(*k, v[k], x, tuple(f"{i.check_key}:{i.scope}" for i in mine)))
    return candidates if len(candidates) == 1 else []
