"""Aligning a flattened table's token stream to the national template.

Why: once a table is flattened, the only reliable things left are the *order* of
what was printed and the fixed template the report had to fill in. The spec knows
every row label and how many values each row holds, so labels are anchors and the
values between two anchors fill the slots of the first. What the text leaves open
— blanks that collapsed, blanks that were never visible, digits glued together by
a crawler — is settled by the identities (勾稽关系) of ``extract.checks``, and only
when exactly one reading satisfies them; otherwise the row is flagged
``ambiguous_row`` and only what every reading agrees on is stored. One mechanism
serves every form.

For one row with ``n`` slots and a segment of ``k`` printed values:

* ``k`` values and the blanks shown make exactly ``n`` cells: taken as printed;
* ``k == n``: the blanks shown are layout residue (colspan ``|||``): the values in order;
* ``k < n``: every reading the template allows is a candidate — the values placed
  in order among the slots with as many blank cells in each gap as the print
  allows there (``gap_bounds``: blank lines of a one-cell-per-line copy, empty pipe
  cells, spaces a cell wide, or nothing shown at all), or, in a document that glues
  a label to its value, the glued strings cut into exactly ``n`` printable cells
  (numbers without a leading zero, zero marks ``—``); the row's own identity
  (总计 = the six applicant columns; each 总计 of table 4) filters them, then the
  column identities of table 3 filter the combinations of all rows;
* ``k > n``: ambiguous.

Where several readings remain, the cells on which all of them agree are stored
and the others left out (``ambiguous_row`` names them, ``cells_missing`` per cell).
A reading chosen among several is flagged ``split_by_identity`` (glued digits,
the glued text kept in the flag) or ``placed_by_identity`` (values placed among
collapsed blanks), both info. Blanks are then settled once for the table:
``zero_by_note`` where the report declares blanks or marks to be 0,
``blank_as_zero_by_identity`` where every identity the blank takes part in can be
evaluated and holds with it as 0; otherwise it stays NULL (``blank_cells``).

Not modelled: a glued row that also dropped blank cells (cells glued *and* blanks
gone); such a row has either no reading (ambiguous) or, rarely, one that the
identities accept — table 2, which has no identity, is never settled that way.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, replace

from rapidfuzz import fuzz

from .checks import Identity, identities
from .flattext import Hints, Run
from .layout import TableRow
from .model import Cell, Flag
from .numbers import fold, parse_cell
from .tables import Mapped, _Collector, _completeness
from .templates import FormatSpec, Label, TableSpec, core, enumerator, load_spec

CAP = 20000          # candidate readings of one row beyond which it is ambiguous
JOINT_CAP = 200000   # combinations of table-3 rows tried against the column identities

_VALID = re.compile(r"^-?(?:0|[1-9]\d{0,2}(?:,\d{3})+|[1-9]\d*)(?:\.\d+)?(?:万元|元)?$")
MARKS = ("-", "--", "/", "\\", "无")  # zero marks as the token stream carries them (folded)


@dataclass(frozen=True)
class Slot:
    """A template row: its label(s) and the (row, col) keys its values fill."""

    key: str
    labels: tuple[Label, ...]
    keys: tuple[tuple[str, str], ...]
    enum: str | None


def template(fmt: FormatSpec, table: str) -> list[Slot]:
    """The rows of ``table`` in printed order, with the other format's wording of
    the same row as an alias (a 2021 table printed with the 2019 label 规范性文件)."""
    spec = fmt.tables[table]
    other = [f for k, f in load_spec().items() if k != fmt.key]
    def aliases(key: str, lab: Label) -> tuple[Label, ...]:
        out = [lab]
        for f in other:
            for r in f.tables[table].rows:
                if r.key == key and r.core != lab.core:
                    out.append(r)
        return tuple(out)
    if spec.key == "appeals":
        return [Slot("appeals", (), tuple((r.key, c.key) for r in spec.rows for c in spec.cols), None)]
    if spec.blocks:
        return [Slot(r.key, aliases(r.key, r), tuple((r.key, c.key) for c in b.cols), None)
                for b in spec.blocks for r in b.rows]
    return [Slot(r.key, aliases(r.key, r), tuple((r.key, c.key) for c in spec.cols), enumerator(r.label))
            for r in spec.rows]


def _bare(text: str) -> str:
    """A run's text without brackets' content and spaces: for suffix matching."""
    t = re.sub(r"\([^()]*\)", "", fold(text))
    return re.sub(r"[\s\"'“”:：]+", "", t)


def matches(run: str, slot: Slot) -> bool:
    """Does a printed text run carry the label of ``slot``?"""
    c = core(run)
    e = enumerator(run)
    for lab in slot.labels:
        if slot.enum:
            if e is not None and e != slot.enum:
                continue
            if e is None and (c != lab.core or len(c) < 4):
                continue
            if c == lab.core or (len(c) >= 3 and (lab.core.startswith(c) or c.startswith(lab.core))) \
                    or fuzz.ratio(c, lab.core) >= 75:
                return True
        else:
            bare = _bare(run)
            if bare.endswith(lab.core) or (len(c) >= 3 and fuzz.ratio(c, lab.core) >= 85):
                return True
    return False


@dataclass
class Segment:
    slot: Slot
    anchor: str                  # the label as printed
    items: list[Run]


def align(slots: list[Slot], runs: list[Run]) -> tuple[list[Segment], list[str]]:
    """Anchors in template order; each anchor's values are the items up to the next
    text run. Returns the segments and the unplaced text runs that carried values
    (rows the template does not have)."""
    segs: list[Segment] = []
    extra: list[str] = []
    if slots and not slots[0].labels:  # table 4: one row of values under a header
        last_text = max((i for i, r in enumerate(runs) if r.kind == "text"), default=-1)
        items = [r for r in runs[last_text + 1:] if r.kind != "text"]
        return ([Segment(slots[0], "", items)] if any(r.kind == "num" for r in items) else []), []
    p = 0
    cur: Segment | None = None
    for r in runs:
        if r.kind != "text":
            if cur is not None:
                cur.items.append(r)
            continue
        hit = next((j for j in range(p, len(slots)) if matches(r.text, slots[j])), None)
        if hit is None:
            cur = Segment(Slot("", (), (), None), r.text, []) if segs else None
            if cur is not None:
                segs.append(cur)
            continue
        cur = Segment(slots[hit], r.text, [])
        segs.append(cur)
        p = hit + 1
    out = []
    for s in segs:
        if s.slot.key:
            out.append(s)
        elif any(x.kind == "num" for x in s.items):
            extra.append(s.anchor + " " + " ".join(x.text for x in s.items if x.kind == "num"))
    return out, extra


# ------------------------------------------------------------------ readings

def _allowed(raw: str, col: str, fmt: str) -> bool:
    if raw in MARKS:
        return True
    if not _VALID.match(raw):
        return False
    if raw.startswith("-") and not (fmt == "gov2019" and col == "change"):
        return False
    if ("." in raw or "元" in raw) and col != "amount":
        return False
    return True


INF = 10**6


def gap_bounds(items: list[Run], n: int, last: bool, soft: bool,
               exact_lines: bool = False) -> list[tuple[int, int]] | None:
    """How many blank cells each gap of a row may hold — before its first value,
    between two values, after its last — from what the print shows there:

    * blank lines of a one-cell-per-line copy: a run of ``b`` blank lines is at
      least ``b`` cells (blank lines may have been collapsed), exactly ``b`` where the
      table shows two blank lines in a row before a value (``exact_lines``: then
      nothing collapsed them); no blank line means no blank cell, except after the
      table's last value, where the blank lines before the next heading hide any;
    * empty pipe cells: exactly as many as shown when the count fits the template;
      when there are more than the template has room for they are colspan residue
      and say nothing; when fewer, a shown blank is at least that many cells and the
      row's edges are open;
    * spaces a cell wide (``soft``): exactly as shown, the end of the line open;
    * nothing shown (cells joined by single spaces): every gap is open.

    None when the print does not fit that reading at all."""
    vals = [x for x in items if x.kind == "num"]
    k = len(vals)
    shown = [0] * (k + 1)
    srcs: set[str] = set()
    g = 0
    for x in items:
        if x.kind == "num":
            g += 1
        elif x.src != "space" or soft:
            shown[g] += 1
            srcs.add(x.src or "pipe")
    b = sum(shown)
    open_all = [(0, INF)] * (k + 1)
    if not srcs and vals and all(x.own_line for x in vals):
        srcs.add("line")  # one cell per line and no blank line: no blank cell (but after the table's end)
    if not srcs:
        return open_all
    if "line" in srcs:
        if last:  # blank lines after the table's last value: cells or the gap before the next heading
            b -= shown[-1]
            shown[-1] = 0
        if k + b > n:
            return open_all
        out = [((s, s) if exact_lines else (s, INF)) if s else (0, 0) for s in shown]
        if last:
            out[-1] = (shown[-1], INF)
        return out
    if "pipe" in srcs:
        if k + b > n:
            return open_all
        if k + b == n:
            return [(s, s) for s in shown]
        out = [(s, INF) if s else (0, 0) for s in shown]
        out[0] = (shown[0], INF)
        out[-1] = (shown[-1], INF)
        return out
    # spaces a cell wide
    if k + b > n:
        return None
    out = [(s, s) for s in shown]
    out[-1] = (shown[-1], INF)
    return out


def _placements(n: int, k: int, bounds: list[tuple[int, int]]):
    """Slot positions of ``k`` values among ``n`` slots with gap sizes within bounds."""
    def rec(i: int, pos: int, acc: tuple[int, ...]):
        if i == k:
            lo, hi = bounds[k]
            if lo <= n - pos <= hi:
                yield acc
            return
        lo, hi = bounds[i]
        room = n - pos - (k - i)
        for gap in range(lo, min(hi, room) + 1):
            yield from rec(i + 1, pos + gap + 1, acc + (pos + gap,))
    yield from rec(0, 0, ())


_PIECE_OK = re.compile(r"-{1,2}|/|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:万元|元)?")


def _splits(s: str, parts: int):
    """Every way to cut a glued string into ``parts`` printable cells: numbers
    without a leading zero (``0`` alone), a sign, decimals or 元 where they stand,
    and the zero marks ``-`` ``--`` (``—`` ``——``) between them."""
    if parts == 1:
        if _PIECE_OK.fullmatch(s):
            yield (s,)
        return
    for i in range(1, len(s) - parts + 2):
        head = s[:i]
        if not _PIECE_OK.fullmatch(head):
            continue
        for rest in _splits(s[i:], parts - 1):
            yield (head,) + rest


def readings(seg: Segment, fmt: str, last: bool = False, split: bool = True,
             soft: bool = False, exact_lines: bool = False) -> tuple[list[tuple[str, ...]], str]:
    """The candidate readings of a row (tuples of raw cell texts, '' = blank) and
    how they were made: printed | split | placed | mixed | none. ``last``: the
    table's last row (blank lines after it are not seen); ``split``: the document
    glues digits (a label runs into its first value), so a number may be several
    cells; ``soft``: spaces a cell wide are empty cells in this table."""
    n = len(seg.slot.keys)
    cols = [c for _, c in seg.slot.keys]
    items = list(seg.items)
    first = next((x.index for x in items if x.kind == "num"), None)
    while items and items[0].kind == "blank" and items[0].src == "pipe" and first is not None \
            and items[0].index < first:
        items.pop(0)  # empty cells left of a header line's pipes: residue, not this row's blanks
    if not soft:
        items = [x for x in items if x.src != "space"]
    nums = [x.text for x in items if x.kind == "num"]
    k, b = len(nums), sum(1 for x in items if x.kind == "blank")
    ok = lambda cand: all(v == "" or _allowed(v, c, fmt) for v, c in zip(cand, cols))  # noqa: E731
    if k + b == n and k and all(_VALID.match(v) or v in MARKS for v in nums):
        cand = tuple(x.text if x.kind == "num" else "" for x in items)
        if ok(cand):
            return [cand], "printed"
    if k == n and ok(tuple(nums)):
        return [tuple(nums)], "printed"
    if k == 0:  # a label with no value after it: every cell blank
        return [("",) * n], ("printed" if b else "placed")
    out: list[tuple[str, ...]] = []
    how: set[str] = set()
    bounds = gap_bounds(items, n, last, soft, exact_lines)
    if bounds is not None and next(_placements(n, k, bounds), None) is None:
        bounds = [(0, INF)] * (k + 1)  # the print does not fit what its blanks say: they say nothing
    if k <= n and bounds is not None and all(_VALID.match(v) or v in MARKS for v in nums):
        for pos in _placements(n, k, bounds):
            cand = [""] * n
            for p, v in zip(pos, nums):
                cand[p] = v
            if ok(cand):
                out.append(tuple(cand))
                how.add("placed")
            if len(out) > CAP:
                return [], "none"
    # glued digits: distribute the n slots over the printed tokens (no blanks among them)
    if split and b == 0 and k < n:
        lens = [len(re.sub(r"[.元万]", "", v)) for v in nums]
        if sum(lens) >= n:
            for parts in _compositions(n, k, lens):
                pieces_per = [list(_splits(v, p)) for v, p in zip(nums, parts)]
                for combo in itertools.product(*pieces_per):
                    cand = tuple(x for t in combo for x in t)
                    if len(cand) == n and all(_allowed(x, c, fmt) for x, c in zip(cand, cols)):
                        if cand not in out:
                            out.append(cand)
                            how.add("split")
                    if len(out) > CAP:
                        return [], "none"
    return out, ("mixed" if len(how) > 1 else (how.pop() if how else "none"))


def _compositions(n: int, k: int, lens: list[int]):
    """Numbers of parts per token, each between 1 and the token's length, summing to n."""
    if k == 0:
        if n == 0:
            yield ()
        return
    for first in range(1, min(lens[0], n - (k - 1)) + 1):
        for rest in _compositions(n - first, k - 1, lens[1:]):
            yield (first,) + rest


def _value(raw: str) -> float:
    if raw == "":
        return 0.0
    v = parse_cell(raw).value
    return float(v) if v is not None else float("nan")


def _holds(ident: Identity, v: dict[tuple[str, str, str], float]) -> bool | None:
    try:
        parts = sum(v[k] for k in ident.parts)
        totals = sum(v[k] for k in ident.totals)
    except KeyError:
        return None
    return abs(parts - totals) <= 1e-6


def _row_ok(table: str, slot: Slot, cand: tuple[str, ...], idents: list[Identity]) -> bool:
    v = {(table, r, c): _value(x) for (r, c), x in zip(slot.keys, cand)}
    return all(_holds(i, v) is not False for i in idents)


# ---------------------------------------------------------------------- read

def _soft_trusted(segs: list[Segment]) -> bool:
    """Spaces a cell wide are empty cells in this table when some row shows them and
    no row shows more cells than the template gives it."""
    seen = False
    for seg in segs:
        k = sum(1 for x in seg.items if x.kind == "num")
        b = sum(1 for x in seg.items if x.kind == "blank" and x.src == "space")
        seen = seen or b > 0
        if b and k + b > len(seg.slot.keys):
            return False
    return seen


def _lines_not_collapsed(segs: list[Segment]) -> bool:
    """Two blank lines in a row before a value: this copy gives every blank cell its
    own line (nothing collapsed them)."""
    for seg in segs:
        run = 0
        for x in seg.items:
            if x.kind == "blank" and x.src == "line":
                run += 1
                continue
            if x.kind == "num" and run >= 2:
                return True
            run = 0
    return False


def read_table(fmt: FormatSpec, table: str, runs: list[Run], lines: list[tuple[int, str]],
               hints: Hints) -> Mapped:
    """One flattened table → cells and flags under the spec's keys."""
    spec: TableSpec = fmt.tables[table]
    slots = template(fmt, table)
    segs, extra = align(slots, runs)
    if not segs and slots and not slots[0].labels and "" in hints.zero_marks \
            and any(r.kind == "text" and "总计" in r.text for r in runs):
        # table 4's header and no value after it, in a report that declares blank cells 0: its one
        # row is printed blank (a row without label leaves nothing of itself when every cell is blank)
        segs = [Segment(slots[0], "", [])]
    col = _Collector(spec, "text")
    all_ids = [i for i in identities(fmt) if all(k[0] == table for k in i.operands)]
    for text in extra:
        col.flag("extra_row", core(text.split(" ")[0]) or "row",
                 f"a row the format does not have, not stored: {text}", "info")
    soft = _soft_trusted(segs)
    exact_lines = _lines_not_collapsed(segs)
    last_key = segs[-1].slot.key if segs else None
    chosen: dict[str, tuple[tuple[str, ...], str, Segment]] = {}
    pending: dict[str, list[tuple[str, ...]]] = {}
    for seg in segs:
        row_keys = {r for r, _ in seg.slot.keys}
        own = [i for i in all_ids if {k[1] for k in i.operands} <= row_keys]
        cands, how, fitting = [], "none", []
        for use_soft in ((True, False) if soft else (False,)):
            cands, how = readings(seg, fmt.key, last=seg.slot.key == last_key, split=hints.glued,
                                  soft=use_soft, exact_lines=exact_lines)
            fitting = _merge([c for c in cands if _row_ok(table, seg.slot, c, own)])
            if how == "printed" and cands:
                fitting = cands  # printed as is: a failing identity is the report's, found by the checks
            if fitting:
                break
        if len(fitting) == 1:
            chosen[seg.slot.key] = (fitting[0], how, seg)
        elif not fitting:
            n = sum(1 for x in seg.items if x.kind == "num")
            col.flag("ambiguous_row", seg.slot.key,
                     f"{n} values printed for {len(seg.slot.keys)} columns and no reading fits the "
                     "template and the identities: " + " ".join(x.text or "␣" for x in seg.items))
        else:
            pending[seg.slot.key] = fitting
            chosen[seg.slot.key] = ((), how, seg)
    if pending:
        _settle_jointly(table, chosen, pending, all_ids, col, spec)
    for key, (cand, how, seg) in chosen.items():
        if not any(v is not None for v in cand):
            continue
        if how != "printed":
            glued = " ".join(x.text for x in seg.items if x.kind == "num")
            n_printed = sum(1 for x in seg.items if x.kind == "num")
            kind = "split_by_identity" if sum(1 for v in cand if v) > n_printed else "placed_by_identity"
            col.flag(kind, key, f"printed {seg.anchor} {glued!r}; read as "
                     f"{' | '.join('?' if v is None else (v or '␣') for v in cand)}", "info")
        page = lines[seg.items[0].index][0] if seg.items else (lines[0][0] if lines else 1)
        row = TableRow(tuple(v or "" for v in cand), page)
        for i, (r, c) in enumerate(seg.slot.keys):
            if cand[i] is None:
                continue  # not settled: left out, flagged by its row and as a missing cell
            header = next((x.label for x in spec.cols if x.key == c), c)
            col.add(r, c, row, i, header)
    _settle_blanks(table, col, all_ids, hints)
    _completeness(spec, col)
    return col.out


def _merge(cands: list[tuple[str, ...]]) -> list[tuple[str, ...]]:
    """Readings that give the same values (a blank counted as 0) are one reading:
    where they disagree on what was printed in a cell (``0`` or blank), the cell's raw
    is left blank ('') — its value is the same either way."""
    groups: dict[tuple[float, ...], list[tuple[str, ...]]] = {}
    for c in cands:
        groups.setdefault(tuple(_value(x) for x in c), []).append(c)
    out = []
    for same in groups.values():
        out.append(tuple(col[0] if len(set(col)) == 1 else "" for col in zip(*same)))
    return out


def _common(options: list[tuple[str, ...]]) -> tuple[str | None, ...]:
    """The cells on which every reading agrees (by value; a blank counted as 0), the
    others None."""
    out = []
    for cells in zip(*options):
        vals = {_value(x) for x in cells}
        out.append((cells[0] if len(set(cells)) == 1 else "") if len(vals) == 1 else None)
    return tuple(out)


def _settle_jointly(table: str, chosen: dict, pending: dict[str, list[tuple[str, ...]]],
                    ids: list[Identity], col: _Collector, spec: TableSpec) -> None:
    """Rows with several readings: a reading is kept when it is the only one of its
    row that takes part in some assignment of all rows satisfying every evaluable
    identity. Table 3's column identities are linear and its values are
    non-negative, so the assignments are searched as sums (forward and backward
    reachable column sums), not one combination at a time. Where several readings
    remain, the cells on which all of them agree are settled and the others are left
    out (the row flagged ``ambiguous_row``, naming them)."""
    if table == "requests":
        feasible = _requests_feasible(chosen, pending, spec)
    else:
        feasible = {k: set(range(len(v))) for k, v in pending.items()}
    for k, options in pending.items():
        cand, how, seg = chosen[k]
        ok = feasible.get(k)
        if ok is not None and len(ok) == 1:
            chosen[k] = (options[next(iter(ok))], how, seg)
            continue
        why = ("too many combinations to try" if ok is None else
               "no reading fits the identities" if not ok else
               f"{len(ok)} readings fit the row and the identities do not settle which")
        common = _common([options[i] for i in sorted(ok)]) if ok else (None,) * len(seg.slot.keys)
        chosen[k] = (common, how, seg)
        open_cols = [c for (_, c), v in zip(seg.slot.keys, common) if v is None]
        col.flag("ambiguous_row", k, f"{why}: " + " ".join(x.text or "␣" for x in seg.items)
                 + (f"; not settled: {', '.join(open_cols)}" if len(open_cols) < len(common) else ""))


_FRAME = ("new", "carried_in", "results_total", "carried_out")
_STATES = 200000


def _vec(cand: tuple[str, ...]) -> tuple[int, ...] | None:
    v = [_value(x) for x in cand]
    if any(x != x or x < 0 or x != int(x) for x in v):
        return None
    return tuple(int(x) for x in v)


def _requests_feasible(chosen: dict, pending: dict, spec: TableSpec) -> dict[str, set[int] | None]:
    """For each pending row of table 3, the indexes of its readings that occur in a
    full assignment satisfying the balance and results-total identities of every
    column; None when the search is too large."""
    opts: dict[str, list[tuple[int, ...] | None] | None] = {}
    for r in spec.rows:
        if r.key in pending:
            opts[r.key] = [_vec(c) for c in pending[r.key]]
        elif r.key in chosen and chosen[r.key][0]:
            opts[r.key] = [_vec(chosen[r.key][0])]
        else:
            opts[r.key] = None  # not printed or not read: identities with it cannot be evaluated
    feas: dict[str, set[int]] = {k: set() for k in pending}
    outcome = [r.key for r in spec.rows if r.key not in _FRAME]
    frame_lists = [list(enumerate(opts[k])) if opts[k] is not None else [(None, None)] for k in _FRAME]
    n_frames = 1
    for fl in frame_lists:
        n_frames *= len(fl)
    if n_frames > 5000:
        return {k: None for k in pending}  # type: ignore[misc]
    for combo in itertools.product(*frame_lists):
        vecs = dict(zip(_FRAME, (v for _, v in combo)))
        if any(vecs[k] is None and opts[k] is not None for k in _FRAME):
            continue  # an invalid reading
        if all(opts[k] is not None for k in _FRAME) and any(
                a + b != c + d for a, b, c, d in zip(*(vecs[k] for k in _FRAME))):
            continue
        target = vecs["results_total"]
        rows = [opts[k] for k in outcome]
        if target is None or any(o is None for o in rows):
            ok_out = {k: set(range(len(pending[k]))) for k in outcome if k in pending}
        else:
            ok_out = _sums_feasible(outcome, rows, target, pending)
            if ok_out is None:
                return {k: None for k in pending}  # type: ignore[misc]
            if ok_out is False:
                continue
        for k, (i, _) in zip(_FRAME, combo):
            if k in pending and i is not None:
                feas[k].add(i)
        for k, idx in ok_out.items():
            feas[k] |= idx
    return feas  # type: ignore[return-value]


def _sums_feasible(keys: list[str], rows: list, target: tuple[int, ...], pending: dict):
    """Readings of the outcome rows whose values, one per row, can sum to
    ``target`` in every column: {row: indexes}; False when none can; None when
    the search is too large."""
    n = len(rows)
    def add(a, b):
        return tuple(x + y for x, y in zip(a, b))
    fwd = [{tuple(0 for _ in target)}]
    for opt in rows:
        nxt = {add(f, v) for f in fwd[-1] for v in opt if v is not None
               and all(x + y <= t for x, y, t in zip(f, v, target))}
        if len(nxt) > _STATES:
            return None
        fwd.append(nxt)
    if target not in fwd[-1]:
        return False
    bwd = [set() for _ in range(n + 1)]
    bwd[n] = {tuple(0 for _ in target)}
    for i in range(n - 1, -1, -1):
        bwd[i] = {add(b, v) for b in bwd[i + 1] for v in rows[i] if v is not None
                  and all(x + y <= t for x, y, t in zip(b, v, target))}
        if len(bwd[i]) > _STATES:
            return None
    out: dict[str, set[int]] = {}
    for i, k in enumerate(keys):
        if k not in pending:
            continue
        out[k] = set()
        for j, v in enumerate(rows[i]):
            if v is None:
                continue
            if any(tuple(t - x - y for t, x, y in zip(target, f, v)) in bwd[i + 1] for f in fwd[i]):
                out[k].add(j)
    return out


def _settle_blanks(table: str, col: _Collector, ids: list[Identity], hints: Hints) -> None:
    cells = col.out.cells
    present = {(c.table_key, c.row_key, c.col_key): c for c in cells}
    v = {k: (c.value if c.value is not None else (0.0 if c.raw == "" else None)) for k, c in present.items()}
    new = []
    for c in cells:
        k = (c.table_key, c.row_key, c.col_key)
        marked = c.raw in MARKS + ("—", "－", "／") and c.value == 0
        if c.raw == "" and "" in hints.zero_marks or marked and hints.zero_marks - {""}:
            col.flag("zero_by_note", f"{c.row_key}/{c.col_key}",
                     f"printed {c.raw or 'blank'!r}; the report says: {hints.zero_note}", "info")
            new.append(replace(c, value=0.0) if c.raw == "" else c)
            continue
        if c.raw == "" and c.value is None:
            mine = [i for i in ids if k in i.operands]
            vals = {kk: x for kk, x in v.items() if x is not None}
            if mine and all(_holds(i, vals) is True for i in mine):
                col.flag("blank_as_zero_by_identity", f"{c.row_key}/{c.col_key}",
                         f"printed blank; every identity it takes part in ({len(mine)}) holds with it as 0",
                         "info")
                new.append(replace(c, value=0.0))
                continue
        new.append(c)
    col.out.cells[:] = new
    for c in new:
        col.seen[(c.row_key, c.col_key)] = c
