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

import re
from dataclasses import dataclass, field

from ocr.model import Line, Page, Source

from . import flattext
from .align import read_table
from .model import Flag
from .numbers import fold
from .tables import Mapped
from .templates import FORMATS, detect_format, load_spec

_ANNEX_HEAD = re.compile(r"政府信息公开(?:工作)?(?:情况)?统计(?:表|情况表)")
_UNIT = r"(?:万元|人次|条|件|次|篇|个|人|项|期|场|元)"
_ANNEX_ROW = re.compile(rf"^(?P<name>.*?[^\d\s|])\s*(?P<unit>{_UNIT})?\s*(?P<vals>(?:-?\d+(?:\.\d+)?\s*)*)$")


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
        for key, (s, e) in flattext.regions(lines).items():
            runs = flattext.tokens(lines, s, e)
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


def _annex_rows(lines: list[tuple[int, str]], flags: list[Flag]) -> list[tuple[int, str]]:
    """The annex after its heading as tab-separated rows, where each printed row
    gives one indicator, its unit and as many values as the header has measures."""
    sq = [re.sub(r"\s+", "", fold(t)) for _, t in lines]
    head = next((i for i, s in enumerate(sq) if _ANNEX_HEAD.search(s) and len(s) <= 40), None)
    if head is None:
        return lines
    hdr = next((i for i in range(head, min(head + 6, len(lines))) if "统计指标" in sq[i] or "指标名称" in sq[i]), None)
    if hdr is None:
        return lines
    header_cells = [c for c in re.split(r"\s*\|\s*|\s+", fold(lines[hdr][1]).strip()) if c]
    measures = max(1, len(header_cells) - 2)
    out = list(lines[:hdr]) + [(lines[hdr][0], "\t".join(header_cells))]
    for i in range(hdr + 1, len(lines)):
        page, t = lines[i]
        f = fold(t).strip()
        if not f:
            out.append((page, t))
            continue
        if "。" in f and len(f) > 30:
            out.extend(lines[i:])
            break
        if "|" in f:
            cells = [c.strip() for c in f.strip("|").split("|")]
            out.append((page, "\t".join(cells)))
            continue
        m = _ANNEX_ROW.match(f)
        if not m:
            out.append((page, t))
            continue
        vals = m.group("vals").split()
        name, unit = m.group("name").strip(), m.group("unit") or ""
        if len(vals) == 1 and measures > 1 and not re.search(r"\s", m.group("vals").strip()) \
                and len(vals[0]) > 1 and unit:
            flags.append(Flag("ambiguous_row", f"legacy_stats:{name}",
                              f"{vals[0]!r} holds {measures} values glued together; not split"))
            out.append((page, "\t".join([name, unit] + [""] * measures)))
            continue
        if vals and len(vals) != measures:
            flags.append(Flag("ambiguous_row", f"legacy_stats:{name}",
                              f"{len(vals)} values printed for {measures} measures"))
            out.append((page, "\t".join([name, unit] + [""] * measures)))
            continue
        out.append((page, "\t".join([name, unit] + (vals or [""] * measures))))
    return out


def annex_flags(forms: TextForms | None, annex_text: bool, cells: list) -> list[Flag]:
    """``annex_unread`` when a statistics annex was announced but none of it was read."""
    heading = (forms.annex_heading if forms is not None else False) or annex_text
    if heading and not any(c.table_key == "legacy_stats" and c.value is not None for c in cells):
        return [Flag("annex_unread", "legacy_stats",
                     "the report prints a statistics annex (政府信息公开情况统计表) whose values were not read")]
    return []
