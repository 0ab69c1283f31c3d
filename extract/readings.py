"""OCR'd values settled with the table's own arithmetic.

An OCR'd cell arrives with a confidence (how far its readings agreed) and the
readings it did not take. Two things follow, and both are recorded as flags:

* where an identity fails and exactly one other reading of one of its cells
  makes every identity that cell takes part in hold again (and breaks none),
  that reading is taken (``reading_chosen_by_identity``): it is still what the
  page shows, read another way, and the flag names both readings;
* a cell read with low confidence is unsure (``low_confidence``, the document
  needs review) unless the identities it takes part in all hold
  (``confirmed_by_identity``); a cell no identity covers needs a higher
  confidence to pass, since nothing else vouches for it. Identities vouch only
  if they rule out the other readings: a glyph misread alike in a row's value
  and its total (*twins*: same reading, same alternatives) keeps the sum true
  either way (``1 + 0 = 1`` read as ``4 + 0 = 4``), so that cell stays unsure.

Nothing here invents a value: only readings the OCR produced are ever chosen.
"""

from __future__ import annotations

from dataclasses import replace

from .checks import Identity, check, identities, values
from .model import Cell, Flag
from .numbers import parse_cell
from .templates import FormatSpec

LOW = 0.75          # below: unsure unless the identities vouch for it
UNCOVERED = 0.9     # a cell no identity covers must be at least this sure


def _key(c: Cell) -> tuple[str, str, str]:
    return (c.table_key, c.row_key, c.col_key)


def _failing(ids: list[Identity], v: dict) -> set[Identity]:
    out = set()
    for i in ids:
        r = check(i, v)
        if r is not None and not r.ok:
            out.add(i)
    return out


def choose_readings(fmt: FormatSpec, cells: list[Cell]) -> tuple[list[Cell], list[Flag]]:
    """Replace a cell's reading by one of its alternatives where that alone
    repairs the identities it takes part in (see the module docstring)."""
    ids = identities(fmt)
    by_key = {_key(c): c for c in cells}
    flags: list[Flag] = []
    for _ in range(3):  # a few rounds: one repair can make the next one unique
        v = values(list(by_key.values()))
        failing = _failing(ids, v)
        if not failing:
            break
        suspects = {k for i in failing for k in i.operands if k in by_key and by_key[k].alternatives}
        changed = False
        for k in sorted(suspects):
            cell = by_key[k]
            mine = [i for i in ids if k in i.operands]
            broken_before = {i for i in mine if i in failing}
            fixes = []
            for alt in cell.alternatives:
                q = parse_cell(alt)
                if q.value is None:
                    continue
                trial = dict(v)
                trial[k] = q.value
                if not _failing(mine, trial):
                    fixes.append((alt, q.value))
            if len(fixes) == 1 and broken_before:
                alt, value = fixes[0]
                by_key[k] = replace(cell, value=value, raw=alt,
                                    alternatives=tuple(a for a in (cell.raw, *cell.alternatives) if a != alt))
                flags.append(Flag("reading_chosen_by_identity", f"{k[0]}:{k[1]}/{k[2]}",
                                  f"read {cell.raw!r} or {alt!r}; {alt!r} makes "
                                  + ", ".join(f"{i.check_key}:{i.scope}" for i in sorted(
                                      broken_before, key=lambda i: (i.check_key, i.scope))) + " hold",
                                  "info"))
                changed = True
                v = values(list(by_key.values()))
        if not changed:
            break
    return [by_key[_key(c)] for c in cells], flags


def unsure_cells(fmt: FormatSpec, cells: list[Cell]) -> list[Flag]:
    """Flags for OCR'd cells read with low confidence (see the module docstring)."""
    ids = identities(fmt)
    v = values(cells)
    by_key = {_key(c): c for c in cells}
    flags = []
    for c in cells:
        if c.origin not in ("ocr", "mixed") or c.confidence >= UNCOVERED:
            continue
        k = _key(c)
        mine = [i for i in ids if k in i.operands]
        results = [check(i, v) for i in mine]
        evaluated = [r for r in results if r is not None]
        scope = f"{c.table_key}:{c.row_key}/{c.col_key}"
        alts = f" (also read as {', '.join(repr(a) for a in c.alternatives)})" if c.alternatives else ""
        held = bool(evaluated) and all(r.ok for r in evaluated)
        twin = _undecided_with_twin(c, [i for i, r in zip(mine, results) if r is not None], v, by_key) \
            if held else None
        if held and twin is None:
            flags.append(Flag("confirmed_by_identity", scope,
                              f"read {c.raw!r} at confidence {c.confidence:.2f}{alts}; "
                              f"{len(evaluated)} identities hold with it", "info"))
        elif c.confidence < LOW or not evaluated or twin is not None:
            why = (f"; its identities hold with {twin[1]!r} too, read the same unsure way in "
                   f"{twin[0][1]}/{twin[0][2]}") if twin else ""
            flags.append(Flag("low_confidence", scope,
                              f"read {c.raw!r} at confidence {c.confidence:.2f}{alts}{why}"))
    return flags


def _undecided_with_twin(c: Cell, mine: list[Identity], v: dict, by_key: dict) -> tuple | None:
    """(twin key, alternative) when some alternative reading, given to this cell
    and to its twins — cells read the same unsure way, whose errors would agree —
    keeps every identity holding: then the identities cannot tell the readings
    apart. None when they exclude every alternative."""
    k = _key(c)
    twins = {o for i in mine for o in i.operands if o != k and o in by_key and _twin(c, by_key[o])}
    if not twins:
        return None
    for alt in c.alternatives:
        q = parse_cell(alt)
        if q.value is None or q.value == c.value:
            continue
        trial = dict(v)
        for o in (k, *twins):
            trial[o] = q.value
        if not _failing(mine, trial):
            return (sorted(twins)[0], alt)
    return None


def _twin(a: Cell, b: Cell) -> bool:
    """Two OCR'd cells read the same unsure way: their errors would agree."""
    return (b.origin in ("ocr", "mixed") and b.confidence < UNCOVERED and bool(a.alternatives)
            and a.raw == b.raw and set(a.alternatives) == set(b.alternatives))
