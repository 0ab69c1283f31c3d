"""Research views over ``documents`` and ``cells``: the common questions as one
line of SQL. Each view is documented in the README with the question it answers.

Nothing here changes a value: sums over groups of rows (all 不予公开 reasons, all
regions of a province) are named as such, and every regional figure comes with
the number of documents it rests on. Failed documents are left out.
"""

from __future__ import annotations

import duckdb

# one report per agency and year: the same report ingested twice (a PDF and its
# text dump) must not count twice in sums; status ok is preferred, then the
# document with more cells, then the lowest doc_id (deterministic)
_ONE_PER_REPORT = """
    SELECT * EXCLUDE (rn) FROM (
        SELECT r.*, row_number() OVER (
            PARTITION BY r.agency, r.region_code, r.year
            ORDER BY (r.status = 'ok') DESC, r.cells DESC, r.doc_id) AS rn
        FROM v_requests r WHERE r.agency IS NOT NULL AND r.year IS NOT NULL)
    WHERE rn = 1
"""

VIEWS = {
    "v_requests": """
SELECT d.doc_id, d.year, d.format, d.status, d.agency, d.agency_kind,
       d.province, d.city, d.county, d.township, d.region_code, d.region_level, d.region_status,
       count(c.value) AS cells,
       max(c.value) FILTER (WHERE c.row_key = 'new' AND c.col_key = 'total')            AS new_requests,
       max(c.value) FILTER (WHERE c.row_key = 'new' AND c.col_key = 'natural_person')   AS new_from_persons,
       max(c.value) FILTER (WHERE c.row_key = 'carried_in' AND c.col_key = 'total')     AS carried_in,
       max(c.value) FILTER (WHERE c.row_key = 'granted' AND c.col_key = 'total')        AS granted,
       max(c.value) FILTER (WHERE c.row_key = 'partial' AND c.col_key = 'total')        AS partial,
       sum(c.value) FILTER (WHERE c.row_key LIKE 'denied\\_%' ESCAPE '\\' AND c.col_key = 'total')   AS denied,
       sum(c.value) FILTER (WHERE c.row_key LIKE 'unable\\_%' ESCAPE '\\' AND c.col_key = 'total')   AS unable,
       sum(c.value) FILTER (WHERE c.row_key LIKE 'rejected\\_%' ESCAPE '\\' AND c.col_key = 'total') AS not_processed,
       sum(c.value) FILTER (WHERE (c.row_key = 'other' OR c.row_key LIKE 'other\\_%' ESCAPE '\\')
                            AND c.col_key = 'total')                                   AS other_handling,
       max(c.value) FILTER (WHERE c.row_key = 'results_total' AND c.col_key = 'total')  AS handled,
       max(c.value) FILTER (WHERE c.row_key = 'carried_out' AND c.col_key = 'total')    AS carried_out
FROM documents d
LEFT JOIN cell_values c ON c.doc_id = d.doc_id AND c.table_key = 'requests'
WHERE d.status <> 'failed'
GROUP BY ALL
""",
    "v_outcomes": """
SELECT r.doc_id, r.year, r.format, r.status, r.agency, r.agency_kind, r.province, r.city,
       r.county, r.region_code, o.outcome, o.n, r.handled,
       CASE WHEN r.handled > 0 THEN o.n / r.handled END AS share
FROM v_requests r,
     LATERAL (VALUES ('granted', r.granted), ('partial', r.partial), ('denied', r.denied),
                     ('unable', r.unable), ('not_processed', r.not_processed),
                     ('other_handling', r.other_handling)) AS o(outcome, n)
WHERE o.n IS NOT NULL
""",
    "v_appeals": """
SELECT d.doc_id, d.year, d.format, d.status, d.agency, d.agency_kind, d.province, d.city,
       d.county, d.region_code, c.row_key AS route,
       max(c.value) FILTER (WHERE c.col_key = 'upheld')    AS upheld,
       max(c.value) FILTER (WHERE c.col_key = 'corrected') AS corrected,
       max(c.value) FILTER (WHERE c.col_key = 'other')     AS other,
       max(c.value) FILTER (WHERE c.col_key = 'pending')   AS pending,
       max(c.value) FILTER (WHERE c.col_key = 'total')     AS total,
       max(c.value) FILTER (WHERE c.col_key = 'corrected')
         / nullif(coalesce(max(c.value) FILTER (WHERE c.col_key = 'upheld'), 0)
                  + coalesce(max(c.value) FILTER (WHERE c.col_key = 'corrected'), 0)
                  + coalesce(max(c.value) FILTER (WHERE c.col_key = 'other'), 0), 0)
         AS correction_rate
FROM documents d JOIN cell_values c ON c.doc_id = d.doc_id AND c.table_key = 'appeals'
WHERE d.status <> 'failed'
GROUP BY ALL
""",
    "v_proactive": """
SELECT d.doc_id, d.year, d.format, d.status, d.agency, d.agency_kind, d.province, d.city,
       d.county, d.region_code, c.row_key AS item, c.col_key AS measure, c.value, c.unit, c.raw
FROM documents d JOIN cell_values c ON c.doc_id = d.doc_id AND c.table_key = 'proactive'
WHERE d.status <> 'failed'
""",
    "v_region_year": f"""
WITH r AS ({_ONE_PER_REPORT})
SELECT year,
       CASE WHEN grouping(county) = 0 THEN 'county'
            WHEN grouping(city) = 0 THEN 'prefecture' ELSE 'province' END AS level,
       province, city, county,
       count(*)                 AS reports,
       count(new_requests)      AS reports_with_new,
       sum(new_requests)        AS new_requests,
       count(handled)           AS reports_with_handled,
       sum(handled)             AS handled,
       sum(granted)             AS granted,
       count(carried_out)       AS reports_with_carried_out,
       sum(carried_out)         AS carried_out
FROM r
WHERE province IS NOT NULL
GROUP BY GROUPING SETS ((year, province), (year, province, city), (year, province, city, county))
""",
    "v_carryover": f"""
WITH r AS ({_ONE_PER_REPORT})
SELECT a.agency, a.region_code, a.province, a.year, a.carried_out,
       b.year AS next_year, b.carried_in AS next_carried_in,
       b.carried_in - a.carried_out AS difference,
       (a.carried_out IS DISTINCT FROM b.carried_in) AS mismatch,
       a.doc_id, b.doc_id AS next_doc_id
FROM r a JOIN r b
  ON b.agency = a.agency AND b.region_code IS NOT DISTINCT FROM a.region_code AND b.year = a.year + 1
""",
    # pre-2019 annexes (extract.legacy): one row per indicator value, the path split
    # into the indicator's own name and the groups above it; values as printed
    "v_legacy_stats": """
SELECT d.doc_id, d.year, d.format, d.status, d.agency, d.agency_kind, d.province, d.city,
       d.county, d.region_code, c.row_key AS path,
       regexp_extract(c.row_key, '[^/]+$') AS indicator,
       nullif(regexp_replace(c.row_key, '/?[^/]+$', ''), '') AS parent,
       c.col_key AS measure, c.value, c.unit, c.raw
FROM documents d JOIN cell_values c ON c.doc_id = d.doc_id AND c.table_key = 'legacy_stats'
WHERE d.status <> 'failed'
""",
}


from .findings import VIEWS as _FINDINGS  # noqa: E402 — they build on the views above

VIEWS.update(_FINDINGS)

from .corrections import VIEWS as _COPIES  # noqa: E402 — copies of a report, corrections offered

VIEWS.update(_COPIES)


def create_views(con: duckdb.DuckDBPyConnection) -> None:
    """(Re)create every research view; views hold no data, so this is cheap."""
    for name, sql in VIEWS.items():
        con.execute(f"CREATE OR REPLACE VIEW {name} AS {sql}")
