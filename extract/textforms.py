"""The hook between a text dump whose tables were flattened and the extraction recipe.

Why: the tab-separated dump (the seed's form) keeps its table rows and is read by
``extract.tables`` as before; every other text form loses the rows, and its tables
would otherwise reach the layout as paragraphs and be reported ``table_missing``.
For a text document without tab-separated rows, ``prepare`` cleans the lines
(``extract.flattext``), reads tables 2–4 of the format its labels print by
alignment (``extract.align``), and hands the layout the lines *without* those
tables, so prose, metadata and mentions are read as from any other dump. A
pre-2019 statistics annex in these forms is turned back into tab-separated rows
where its shape allows (pipes, spaces, one value glued to its unit), for
``extract.legacy``; ``annex_flags`` says when an annex heading was printed but no
value of it could be read (``annex_unread``), so such a report is never ``ok``.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field

from ocr.model import Line, Page, Source

from . import flattext, legacy
from .align import read_table
from .layout import TableRow
from .model import Flag
from .numbers import fold
from .tables import Mapped
from .templates import FORMATS, detect_format, load_spec

_ANNEX_HEAD = re.compile(r"政府信息公开(?:工作)?(?:情况)?统计(?:表|情况表)")
_UNIT = r"(?:万元|人次|条|件|次|篇|个|人|项|期|场|元)"


@dataclass
class TextForms:
    pages: list[Page]                        # what the layout reads: tables taken out
    tables: dict[str, Mapped] = field(default_factory=dict)
    hints: flattext.Hints = field(default_factory=flattext.Hints)
    flags: list[Flag] = field(default_factory=list)
    annex_heading: bool = False
    format: str | None = None


def format_of(text: str) -> str | None:
    """The format from the marker labels; when table 2 (which holds most markers) is
    not printed, from table 3's own labels: （六）其他处理 with sub-rows is 2021's."""
    found = detect_format(text).format
    if found is not None:
        return found
    flat = re.sub(r"\s+", "", fold(text))
    if "本年新收政府信息公开申请" in flat and "本年度办理结果" in flat:
        return "gov2021" if re.search(r"逾期不补正|逾期未按收费|3\.其他(?!法律)", flat) else "gov2019"
    return None


def _has_tab_rows(source: Source) -> bool:
    return any("\t" in ln.text for p in source.pages for ln in p.lines)


def prepare(source: Source) -> TextForms | None:
    """None unless ``source`` is a text dump without tab-separated table rows."""
    if not source.pages or any(p.source != "text" or p.grids for p in source.pages) or _has_tab_rows(source):
        return None
    raw = [(p.number, ln.text) for p in source.pages for ln in p.lines]
    lines, hints = flattext.clean_lines(raw)
    text = "\n".join(t for _, t in lines)
    fmt_key = format_of(text)
    out = TextForms([], hints=hints, format=fmt_key, annex_heading=bool(_ANNEX_HEAD.search(re.sub(r"\s+", "", fold(text)))))
    taken: set[int] = set()
    if fmt_key in FORMATS:
        fmt = load_spec()[fmt_key]
        lead_pipe = flattext.leading_pipes(lines)
        streams = {key: (s, e, flattext.tokens(lines, s, e, lead_pipe))
                   for key, (s, e) in flattext.regions(lines).items()}
        # digits glued to their label anywhere: any number of the document may be several cells
        hints.glued = any(r.tight for _, _, runs in streams.values() for r in runs)
        for key, (s, e, runs) in streams.items():
            mapped = read_table(fmt, key, runs, lines, hints)
            if mapped.cells or any(f.flag == "ambiguous_row" for f in mapped.flags):
                out.tables[key] = mapped
                taken.update(range(s, e))
    elif out.annex_heading:
        lines = _annex_rows(lines, out.flags)
    for i, r in enumerate(hints.removed[:50]):
        out.flags.append(Flag("furniture_removed", f"line={i}", r[:80], "info"))
    by_page: dict[int, list[Line]] = {p.number: [] for p in source.pages}
    for i, (page, t) in enumerate(lines):
        if i not in taken:
            by_page.setdefault(page, []).append(Line(t))
    out.pages = [Page(p.number, by_page.get(p.number, []), p.source, p.width, p.height, [])
                 for p in source.pages]
    return out


_MARK = r"(?:-+|/|\\|无)"
_VALUE = rf"(?:-?\d+(?:\.\d+)?|{_MARK})"
_ENUMERATED = re.compile(r"^(?:[一二三四五六七八九十]+[、.]|\([一二三四五六七八九十\d]+\)|\d+[.、](?!\d)|其中|[①-⑳])")


def _split_cells(text: str) -> list[str]:
    f = fold(text).strip()
    if "|" in f:
        cells = [c.strip() for c in f.split("|")]
        while cells and not cells[0]:
            cells.pop(0)
        while cells and not cells[-1]:
            cells.pop()
        return cells
    return f.split()


def _header_word(cell: str) -> bool:
    c = re.sub(r"\s+", "", cell)
    return c in legacy._INDICATOR_HEADS + legacy._UNIT_HEADS + legacy._CODE_HEADS \
        or legacy._head_key(c) is not None


def _annex_header(lines: list[tuple[int, str]], start: int) -> tuple[int, int, legacy.Columns, list[str]] | None:
    """The annex's column header after ``start``: (first line, line after it, columns,
    header cells). On one line (pipes or spaces), or one cell per line."""
    for i in range(start, min(start + 12, len(lines))):
        cells = _split_cells(lines[i][1])
        if not cells:
            continue
        cols = legacy.read_header(TableRow(tuple(cells), lines[i][0]))
        if cols is not None:
            return i, i + 1, cols, cells
        if len(cells) == 1 and _header_word(cells[0]):  # one cell per line: header words below
            got, j = list(cells), i + 1
            while j < len(lines) and len(got) < 8:
                nxt = _split_cells(lines[j][1])
                if len(nxt) != 1 or not _header_word(nxt[0]):
                    break
                got += nxt
                j += 1
            cols = legacy.read_header(TableRow(tuple(got), lines[i][0]))
            if cols is not None and len(got) > 1:
                return i, j, cols, got
    return None


def _only_split(raw: str, parts: int) -> tuple[str, ...] | None:
    """Values glued together (``08`` for two measures): the one way to cut them into
    ``parts`` printable values, when there is exactly one — the glued string read as
    one value with the other cells blank counts as a way too."""
    s = re.sub(r"\s+", "", raw)
    ok = re.compile(r"-{1,2}|/|-?(?:0|[1-9]\d*)(?:\.\d+)?")

    def cuts(t: str, n: int):
        if n == 1:
            if ok.fullmatch(t):
                yield (t,)
            return
        for i in range(1, len(t) - n + 2):
            if ok.fullmatch(t[:i]):
                for rest in cuts(t[i:], n - 1):
                    yield (t[:i],) + rest
    found = set(itertools.islice(cuts(s, parts), 3))
    if ok.fullmatch(s) and " " not in raw.strip():
        found |= {tuple(s if j == i else "" for j in range(parts)) for i in range(parts)}
    return found.pop() if len(found) == 1 else None


def _per_line_row(lines: list[tuple[int, str]], i: int, cols: legacy.Columns,
                  measures: int) -> tuple[str, str, str, list[str], int] | None:
    """The row of a one-cell-per-line annex that starts at line ``i``: (code, name,
    unit, values, the line after it), or None."""
    at = lambda j: fold(lines[j][1]).strip() if j < len(lines) else None  # noqa: E731
    code = ""
    if cols.code is not None and re.fullmatch(r"\d{1,3}", at(i) or ""):
        code, i = at(i), i + 1
    name = at(i)
    if not name or re.fullmatch(rf"{_UNIT}|{_VALUE}", name):
        return None
    j = i + 1
    unit = ""
    if cols.unit is not None:
        unit = at(j)
        if unit is None or not (unit == "" or re.fullmatch(_UNIT, unit)):
            return None
        j += 1
    vals = []
    for _ in range(measures):
        v = at(j)
        if v is None or not (v == "" or re.fullmatch(_VALUE, v)):
            return None
        vals.append(v)
        j += 1
    if not unit and not any(vals) and not _ENUMERATED.match(name):
        return None
    return code, name, unit, vals, j


_ONE_VALUE_ROW = re.compile(rf"^.*?[^\d\s|.\-/]\s*\|?\s*{_UNIT}\s*\|?\s*(?:-?\d+(?:\.\d+)?|-+|/|无)\s*\|?$")


def _assumed_header(lines: list[tuple[int, str]], sq: list[str]) -> tuple[int, int, legacy.Columns, list[str]] | None:
    """No header after the annex heading, but rows of a name, a unit and one value
    (three or more of the first eight lines): the national set's three columns."""
    for i, s in enumerate(sq):
        if not (_ANNEX_HEAD.search(s) and len(s) <= 40):
            continue
        body = [k for k in range(i + 1, min(i + 30, len(lines))) if sq[k]][:8]
        if sum(1 for k in body if _ONE_VALUE_ROW.match(fold(lines[k][1]).strip())) >= 3:
            cells = ["统计指标", "单位", "统计数"]
            cols = legacy.read_header(TableRow(tuple(cells), lines[body[0]][0]))
            return body[0], body[0], cols, cells
    return None


def _annex_rows(lines: list[tuple[int, str]], flags: list[Flag]) -> list[tuple[int, str]]:
    """The annex after its heading as tab-separated rows for ``extract.legacy``: the
    header is recognised by the annex reader's own header words (``legacy.read_header``)
    and each printed row — pipes, spaces, one cell per line, or a name glued to its
    unit and value (``主动公开政府信息数条1017``) — becomes code | name | unit | values.
    A row whose values cannot be told apart (several measures glued into one digit
    string, or fewer values than measures with nothing showing which) is not guessed:
    its cells are left blank and flagged ``ambiguous_row``."""
    sq = [re.sub(r"\s+", "", fold(t)) for _, t in lines]
    found = None
    for i, s in enumerate(sq):
        if _ANNEX_HEAD.search(s) and len(s) <= 40:
            found = _annex_header(lines, i)
            if found is not None:
                break
    assumed = False
    if found is None:
        found = _assumed_header(lines, sq)
        if found is None:
            return lines
        assumed = True
        flags.append(Flag("annex_header_assumed", "legacy_stats",
                          "the annex prints no column header; its rows give a name, a unit and one value "
                          "each, read as 统计指标 | 单位 | 统计数 (the national indicator set's columns)", "info"))
    first, after, cols, header_cells = found
    measures = len(cols.values)
    heads = (["代码"] if cols.code is not None else []) + ["统计指标", "单位"] + [h for _, _, h in cols.values]
    out = list(lines[:first]) + [(lines[first][0], "\t".join(heads))]
    if assumed:
        after = first  # the line the header was assumed before is a row of its own
    unit_rx = rf"(?P<unit>{_UNIT})" if cols.unit is not None else r"(?P<unit>(?!))"
    row_rx = re.compile(rf"^(?P<code>\d{{1,3}}(?=\s*\D))?\s*(?P<name>[^\d\s.、].*?[^\d\s|.\-/]|\d+[.、].*?[^\d\s|.\-/])\s*{unit_rx}?"
                        rf"\s*(?P<vals>(?:{_VALUE}\s*)*)$") if cols.code is not None else \
        re.compile(rf"^(?P<code>(?!))?(?P<name>.*?[^\d\s|.\-/])\s*{unit_rx}?\s*(?P<vals>(?:{_VALUE}\s*)*)$")

    def emit(page: int, code: str, name: str, unit: str, vals: list[str], glued: str | None) -> None:
        if glued is not None:
            flags.append(Flag("ambiguous_row", f"legacy_stats:{legacy.clean_name(name)}",
                              f"{glued!r} printed for {measures} measures; values not told apart, not guessed"))
            vals = [""] * measures
        cells = ([code] if cols.code is not None else []) + [name, unit] + (vals or [""] * measures)
        out.append((page, "\t".join(cells)))

    def parse(page: int, text: str) -> bool:
        f = fold(text).strip()
        m = row_rx.match(f)
        if not m:
            return False
        name, unit, raw_vals = m.group("name").strip(), m.group("unit") or "", m.group("vals").strip()
        vals = re.findall(_VALUE, raw_vals)
        if not vals and not unit and not _ENUMERATED.match(name):
            return False  # a line of text, not an annex row
        glued = None
        if vals and len(vals) != measures:
            only = _only_split(raw_vals, measures)
            if only is not None:
                flags.append(Flag("split_by_identity", f"legacy_stats:{legacy.clean_name(name)}",
                                  f"printed {raw_vals!r}; the only way to read {measures} values in it: "
                                  + " | ".join(only), "info"))
                vals = list(only)
            else:
                glued = raw_vals
        emit(page, m.group("code") or "", name, unit, vals, glued)
        return True

    per_line = len(header_cells) > 1 and all("|" not in lines[k][1] for k in range(first, after)) \
        and after - first > 1
    i = after
    while i < len(lines):
        page, t = lines[i]
        f = fold(t).strip()
        if not f:
            i += 1
            continue
        if "。" in f and len(f) > 30:
            break
        if per_line:
            # one cell per line, read by position: [code] name, unit, one line per measure
            # (a blank line a blank cell); a line that does not start such a row is passed on
            row = _per_line_row(lines, i, cols, measures)
            if row is None:
                out.append((page, t))
                i += 1
                continue
            code, name, unit, vals, i = row
            emit(lines[i - 1][0], code, name, unit, vals, None)
            continue
        if "|" in f:
            cells = _split_cells(f)
            n_cols = (1 if cols.code is not None else 0) + 2 + measures
            if len(cells) == n_cols:
                out.append((page, "\t".join(cells)))
            elif len(cells) == 1 and _ENUMERATED.match(cells[0]):
                emit(page, "", cells[0], "", [], None)
            elif not parse(page, " ".join(cells)):
                out.append((page, t))
            i += 1
            continue
        if not parse(page, t):
            out.append((page, t))
        i += 1
    out.extend(lines[i:])
    return out


def annex_flags(forms: TextForms | None, annex_text: bool, cells: list) -> list[Flag]:
    """``annex_unread`` when a statistics annex was announced but none of it was read."""
    heading = (forms.annex_heading if forms is not None else False) or annex_text
    if heading and not any(c.table_key == "legacy_stats" and c.value is not None for c in cells):
        return [Flag("annex_unread", "legacy_stats",
                     "the report prints a statistics annex (政府信息公开情况统计表) whose values were not read")]
    return []
