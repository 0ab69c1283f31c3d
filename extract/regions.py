"""Issuing body → its place in the official hierarchy, and what kind of body it is.

The agency string (from the title, else the line under it or the signature) is
scanned for full names of divisions in the division table of the report's year;
when a name is missing from that year's table, the neighbouring years are tried
and the table that explains the most of the string wins (襄樊市 in a 2012 report is
found in the 2009 table, with the code it had then). A township or street is then
looked up under the county found (9-digit codes from the civil-affairs list).

A name shared by several units (朝阳区, 西湖区, 鼓楼区, 和平区 …) is settled by the
other place names of the agency string, then of the title, the signature line,
the 发布机构 metadata and the body, in that order. When none of them settles it
every candidate is kept and nothing is guessed.

Departments (济南市历下区教育局) take the region of their government; ``kind`` says
what the body is: government, office, department, township, street or
development_zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import divisions as dv

KINDS = ("government", "office", "department", "township", "street", "development_zone")
_MAX_NAME = 20
_YEAR_WINDOW = 15
_BODY_CHARS = 3000

_ZONE = re.compile(r"开发区|高新区|新区|园区|管委会|管理委员会|示范区|试验区|保税区|合作区")
_OFFICE = re.compile(r"(?:人民)?政府办公[室厅]|(?:人民)?政府办|党政办公室|党政综合办公室|综合办公室")
_GOV = re.compile(r"(?:人民)?政府")
_STREET_OFFICE = re.compile(r"(?:街道)?办事处|街道办")
_LONE_PAIR = re.compile(r"[^本该全我各每一二两三四五六七八九十此县]县")  # 雄县, 沛县 (not 全县)
_TOWNSHIP_LIKE = re.compile(r"^([\u4e00-\u9fff]{1,8}?(?:乡|镇|街道))(?:人民政府|办事处|$)")


@dataclass(frozen=True)
class Place:
    province: str
    province_code: str
    prefecture: str | None = None
    prefecture_code: str | None = None
    county: str | None = None
    county_code: str | None = None
    township: str | None = None
    township_code: str | None = None

    @property
    def region_code(self) -> str:
        return self.township_code or self.county_code or self.prefecture_code or self.province_code

    @property
    def level(self) -> str:
        return ("township" if self.township_code else "county" if self.county_code
                else "prefecture" if self.prefecture_code else "province")

    @property
    def label(self) -> str:
        return "".join(x for x in (self.province, self.prefecture, self.county, self.township) if x)


@dataclass(frozen=True)
class Resolution:
    """What was decided about one issuing body. ``place`` is set only when a single
    place fits; otherwise ``candidates`` holds every place that does."""

    kind: str | None
    place: Place | None
    candidates: tuple[Place, ...] = ()
    basis: str | None = None         # agency | title | signature | publisher | body
    table_year: int | None = None    # the year of the division table that matched
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def status(self) -> str:
        return "resolved" if self.place else "ambiguous" if self.candidates else "unresolved"


@dataclass(frozen=True)
class _Match:
    start: int
    end: int
    name: str
    level: int               # 1–3 from the year's table, 4 a township name
    divisions: tuple = ()


def _scan(text: str, tab: dv.Table, townships: bool = True) -> list[_Match]:
    """Names of divisions in ``text``, longest first at each position, left to right.
    Two-character names (城区, 矿区, 夏镇) count only right after another match."""
    out: list[_Match] = []
    i, n = 0, len(text)
    while i < n:
        hit = None
        for length in range(min(_MAX_NAME, n - i), 1, -1):
            s = text[i:i + length]
            if length == 2 and not (out and out[-1].end == i) and not _LONE_PAIR.fullmatch(s):
                break
            ds = tab.get(s)
            if ds:
                hit = _Match(i, i + length, s, max(d.level for d in ds), ds)
                break
            if townships and dv.townships_named(s):
                hit = _Match(i, i + length, s, 4)
                break
        if hit:
            out.append(hit)
            i = hit.end
        else:
            i += 1
    return out


def _place(d: dv.Division) -> Place:
    pref = d.prefecture if d.level == 3 else (d.name, d.code) if d.level == 2 else None
    return Place(d.province[0], d.province[1], pref[0] if pref else None, pref[1] if pref else None,
                 d.name if d.level == 3 else None, d.code if d.level == 3 else None)


def _fits(p: Place, m: _Match) -> bool:
    """Does a matched name agree with place ``p`` (is it ``p`` or one of its ancestors)?"""
    codes = {d.code for d in m.divisions}
    return bool(codes & {p.province_code, p.prefecture_code, p.county_code})


def _with_township(p: Place, t: dv.Township) -> Place:
    return Place(p.province, p.province_code, p.prefecture, p.prefecture_code,
                 p.county, p.county_code, t.name, t.code)


def _candidates(text: str, tab: dv.Table) -> tuple[list[Place], list[_Match]]:
    """Every place the names in ``text`` can denote, consistent with each other."""
    ms = _scan(text, tab)
    upper = [m for m in ms if m.level < 4]
    towns = [m for m in ms if m.level == 4]
    places: list[Place] = []
    if upper:
        top = max(upper, key=lambda m: (m.level, m.start))
        places = [_place(d) for d in top.divisions if d.level == top.level]
        for other in upper:
            if other is top or other.level >= top.level:
                continue
            kept = [p for p in places if _fits(p, other)]
            places = kept or places
        if towns:
            names = {m.name for m in towns if m.start >= top.end}
            with_town = []
            for p in places:
                if p.county_code:
                    pool = dv.townships_of(p.county_code)
                elif p.prefecture_code:
                    pool = [t for c in tab.counties_of_prefecture.get(p.prefecture_code, ())
                            for t in dv.townships_of(c.code)]
                else:
                    pool = [t for t in (x for n in names for x in dv.townships_named(n))
                            if t.code.startswith(p.province_code[:2])]
                for t in pool:
                    if t.name in names:
                        county = dv.county(t.county_code, tab.year)
                        base = _place(county) if county and not p.county_code else p
                        with_town.append(_with_township(base, t))
            places = with_town or places
    elif towns:
        m = towns[-1]
        for t in dv.townships_named(m.name):
            county = dv.county(t.county_code, tab.year)
            if county:
                places.append(_with_township(_place(county), t))
    return places, ms


def _years(year: int | None) -> list[int]:
    y = min(max(year or dv.LAST_YEAR, dv.FIRST_YEAR), dv.LAST_YEAR)
    order = [y]
    for k in range(1, _YEAR_WINDOW + 1):
        order += [x for x in (y - k, y + k) if dv.FIRST_YEAR <= x <= dv.LAST_YEAR]
    return order


def _best_table(text: str, year: int | None) -> tuple[dv.Table, list[Place], list[_Match]]:
    """The division table (the report's year first, then its neighbours) whose names
    cover most of ``text``."""
    best = None
    for y in _years(year):
        tab = dv.table(y)
        places, ms = _candidates(text, tab)
        cover = sum(m.end - m.start for m in ms if m.level < 4)
        if best is None or cover > best[0]:
            best = (cover, tab, places, ms)
        if best[0] and _all_placed(text, best[3]):
            break
    _, tab, places, ms = best
    return tab, places, ms


def _all_placed(text: str, ms: list[_Match]) -> bool:
    """No unmatched place-like word (…市 …县 …区 …旗 …州 …盟) is left in ``text``:
    if one is, older or newer tables may know it."""
    if not ms:
        return False
    rest, prev = [], 0
    for m in ms:
        rest.append(text[prev:m.start])
        prev = m.end
    rest.append(text[prev:])
    return not any(re.search(r"[市县区旗州盟]", g) for g in rest)


def _narrow(places: list[Place], text: str, tab: dv.Table) -> list[Place]:
    """The places of which ``text`` names an ancestor (province, prefecture, county)."""
    ms = _scan(text, tab, townships=False)
    return [p for p in places if any(m.level < _depth(p) and _fits(p, m) for m in ms)]


def _depth(p: Place) -> int:
    return 4 if p.township_code else 3 if p.county_code else 2 if p.prefecture_code else 1


def agency_kind(agency: str, ms: list[_Match] | None = None) -> str:
    """What kind of body ``agency`` is, from the words after its last place name."""
    last = ms[-1] if ms else None
    rest = agency[last.end:] if last else agency
    if _ZONE.search(rest):
        return "development_zone"
    town_name = last.name if last and last.level == 4 else None
    if not last:
        m = re.search(r"(乡|镇|街道)(人民政府|办事处|街道办)?$", agency)
        if m and not re.search(r"[局委厅办室]", agency[:m.start()][-1:]):
            town_name = agency[:m.end(1)]
            rest = agency[m.end(1):]
        else:
            rest = re.sub(r"^[我本]?[省市县区旗州盟]", "", agency)
    if rest == "" or _GOV.fullmatch(rest):
        if town_name:
            return "street" if town_name.endswith("街道") else "township"
        return "government"
    if town_name and _STREET_OFFICE.fullmatch(rest):
        return "street"
    if _OFFICE.fullmatch(rest):
        return "office"
    return "department"


def resolve(agency: str | None, year: int | None,
            context: list[tuple[str, str | None]] = ()) -> Resolution:
    """Place ``agency`` (an issuing body as printed) for a report of ``year``.

    ``context`` is a list of (source, text) pairs in the order they may be used —
    title, signature, publisher, body — to find or narrow the place."""
    notes: list[str] = []
    ctx = [(s, t[:_BODY_CHARS] if s == "body" else t) for s, t in context if t]
    basis = "agency"
    kind = None
    tab, places, ms = (None, [], [])
    if agency:
        tab, places, ms = _best_table(agency, year)
        kind = agency_kind(agency, ms)
    if not places:
        for source, text in ctx:
            if source == "body" or text == agency:
                continue
            t2, p2, _ = _best_table(text, year)
            if p2:
                tab, places, basis = t2, p2, source
                break
    if not places:
        body = next((t for s, t in ctx if s == "body"), None)
        if body:
            t2, p2, _ = _best_table(body, year)
            if len(p2) == 1:
                tab, places, basis = t2, p2, "body"
        if not places:
            if agency:
                notes.append(f"no division name of the official lists found in {agency!r}")
            return Resolution(kind, None, (), None, None, tuple(notes))
    if year and tab and tab.year != min(max(year, dv.FIRST_YEAR), dv.LAST_YEAR):
        notes.append(f"names found in the {tab.year} division table, not in that of {year}")
    if len(places) > 1:
        for source, text in ctx:
            kept = _narrow(places, text, tab)
            if kept and len(kept) < len(places):
                places, basis = kept, source
                if len(places) == 1:
                    notes.append(f"same-name unit settled by the {source}")
                    break
    if agency and ms and not any(m.level == 4 for m in ms):
        rest = agency[ms[-1].end:]
        m = _TOWNSHIP_LIKE.match(rest)
        if m:
            notes.append(f"{m.group(1)} is not in the {dv.township_vintage()} township list")
    unique = list(dict.fromkeys(places))
    if len(unique) == 1:
        return Resolution(kind, unique[0], (), basis, tab.year, tuple(notes))
    return Resolution(kind, None, tuple(unique), basis, tab.year, tuple(notes))


# --- one document -------------------------------------------------------------

_PUBLISHER = re.compile(r"发布机构\s*[:：]\s*([^\s|｜，,。]{2,30})")


def place_document(agency: str | None, year: int | None, title: str | None,
                   texts: list[str], signature: str | None) -> Resolution:
    """Resolve a document's issuing body with its own title, signature line,
    发布机构 metadata and body (``texts``: its paragraphs in order) as context."""
    body = "\n".join(texts)
    pub = _PUBLISHER.search(body)
    context = [("title", title), ("signature", signature),
               ("publisher", pub.group(1) if pub else None), ("body", body)]
    return resolve(agency, year, context)


def region_flags(res: Resolution, agency: str | None) -> list:
    """Flags that say how the region was decided (nothing derived goes unmarked)."""
    from .model import Flag
    out = []
    if res.status == "ambiguous":
        shown = "; ".join(f"{p.label} {p.region_code}" for p in res.candidates[:6])
        more = f" and {len(res.candidates) - 6} more" if len(res.candidates) > 6 else ""
        out.append(Flag("region_ambiguous", "document",
                        f"{agency!r} fits {len(res.candidates)} places ({shown}{more}); "
                        "all are in region_candidates"))
    elif res.status == "unresolved" and agency:
        out.append(Flag("region_unresolved", "document",
                        f"no official division found for {agency!r}"))
    if res.basis and res.basis != "agency":
        out.append(Flag("region_from_context", "document",
                        f"region taken or narrowed from the {res.basis}", "info"))
    for note in res.notes:
        if note.startswith("names found in the"):
            out.append(Flag("region_old_table", "document", note, "info"))
        elif "township list" in note:
            out.append(Flag("township_not_listed", "document", note, "info"))
    return out


def mend_names(text: str, place: Place) -> str:
    """``text`` (an OCR'd agency name or title) with each official name of
    ``place`` put back where OCR misread some of its glyphs: 成者市武候区玉林街道办事处
    → 成都市武侯区玉林街道办事处 once the region is known to be 成都市武侯区, and
    西安市砍塔区小察路街道办事处 → 西安市雁塔区小寨路街道办事处. A window of the name's
    length is mended when it differs from the name in at most a third of its glyphs
    (one in 成都市, two in 小寨路街道办事处), at least two glyphs agree, and no other
    window of the text comes as close: the division list settles what the print
    left unreadable, never more than the reading supports."""
    for name in (place.province, place.prefecture, place.county, place.township):
        if not name or len(name) < 3 or name in text:
            continue
        allowed = max(1, len(name) // 3)
        dist = {i: sum(a != b for a, b in zip(text[i:i + len(name)], name))
                for i in range(len(text) - len(name) + 1)}
        best = min(dist.values(), default=len(name))
        hits = [i for i, d in dist.items() if d == best]
        if 0 < best <= allowed and len(name) - best >= 2 and len(hits) == 1:
            i = hits[0]
            text = text[:i] + name + text[i + len(name):]
    return text
