"""Findings: what the published report itself gets wrong, kept apart from doubts
about the reading.

``flags`` say "we are not sure we read this" (a low confidence, an unreadable cell,
a table not found). A *finding* says "the agency published this": an identity that
fails on values read with certainty, a break between one year's report and the
next, a sentence whose figure disagrees with the table it states, a table that was
not printed. Evaluators score reports on these; archivists verify readings on flags.

Everything here is a view over the stored readings (``cell_values``: corrections
applied), so a finding follows a person's correction and a newly loaded year at
once, and nothing here changes a value. ``refresh_report_status`` writes the
summary into ``documents.report_status`` (``consistent`` | ``findings``).

A value counts as read with certainty when it came from text (a text dump, a PDF
text layer, a web page, a Word file) or from a person's correction; an identity
that fails on an OCR'd value may be the reading's fault, so it stays a doubt
(``needs_review``) and is not a finding until a person has confirmed the value.
"""

from __future__ import annotations

import duckdb

from .paths import stored_path

# one document per report: the same report ingested twice (a PDF and its text dump)
# counts once; ok preferred, then more cells, then the lowest doc_id (deterministic)
_REPORTS = """
SELECT * EXCLUDE (rn) FROM (
    SELECT d.doc_id, d.agency, d.region_code, d.year, d.format, d.status, d.agency_kind,
           row_number() OVER (PARTITION BY d.agency, d.region_code, d.year
                              ORDER BY (d.status = 'ok') DESC,
                                       (SELECT count(*) FROM cells c WHERE c.doc_id = d.doc_id) DESC,
                                       d.doc_id) AS rn
    FROM documents d
    WHERE d.status <> 'failed' AND d.agency IS NOT NULL AND d.year IS NOT NULL)
WHERE rn = 1
"""

# cells of a table read with certainty (see the module's docstring)
_CERTAIN = "origin NOT IN ('ocr', 'mixed')"

# narrative figures that state one table value: the words just before the figure
# (back to the last punctuation) and the cell they name, per format. Only phrasings
# that name one cell without doubt; 行政诉讼 (two rows of table 4) is left out.
PROSE_LINKS = (
    # (pattern on the words before the figure, table, row, col, formats)
    (r"(新收|收到|受理|共收到|新增)[^，。；]*申请(共计|共|合计)?$", "requests", "new", "total", None),
    (r"上年(度)?结转(政府信息公开)?(申请)?(共计|共)?$", "requests", "carried_in", "total", None),
    (r"结转(至|到)?下(一)?年度?(继续)?(办理)?(申请)?(共计|共)?$", "requests", "carried_out", "total", None),
    (r"(申请)?行政复议(案件)?(共计|共)?$", "appeals", "review", "total", None),
    (r"行政处罚(决定)?(共计|共)?$", "proactive", "penalty", "decisions", "gov2021"),
    (r"行政许可(决定)?(共计|共)?$", "proactive", "licensing", "decisions", "gov2021"),
)


def _n(expr: str) -> str:
    """A stored number as printed: 41 for 41.0, 2.5 for 2.5."""
    return f"regexp_replace(CAST({expr} AS VARCHAR), '\\.0$', '')"


def _prose_links_sql() -> str:
    rows = ", ".join(
        f"('{p}', '{t}', '{r}', '{c}', {('NULL' if f is None else repr(f))})" for p, t, r, c, f in PROSE_LINKS)
    return f"SELECT * FROM (VALUES {rows}) AS l(pattern, table_key, row_key, col_key, format)"


VIEWS = {
    "v_reports": _REPORTS,
    # 结转下年度 (t) = 上年结转 (t+1), per applicant column, for the same agency
    "v_cross_year_carryover": f"""
WITH r AS (SELECT * FROM v_reports)
SELECT a.agency, a.region_code, a.year, b.year AS next_year, c1.col_key,
       c1.value AS carried_out, c2.value AS next_carried_in,
       c2.value - c1.value AS difference, a.doc_id, b.doc_id AS next_doc_id,
       c1.raw AS carried_out_raw, c2.raw AS next_carried_in_raw
FROM r a JOIN r b ON b.agency = a.agency AND b.region_code IS NOT DISTINCT FROM a.region_code
                 AND b.year = a.year + 1
JOIN cell_values c1 ON c1.doc_id = a.doc_id AND c1.table_key = 'requests' AND c1.row_key = 'carried_out'
JOIN cell_values c2 ON c2.doc_id = b.doc_id AND c2.table_key = 'requests' AND c2.row_key = 'carried_in'
                   AND c2.col_key = c1.col_key
WHERE c1.value IS NOT NULL AND c2.value IS NOT NULL
""",
    # table 2 (2021 format): 现行有效件数 (t) = 现行有效件数 (t−1) + 本年制发 (t) − 本年废止 (t)
    "v_cross_year_stock": f"""
WITH r AS (SELECT * FROM v_reports WHERE format = 'gov2021'),
v AS (SELECT doc_id, row_key,
             max(value) FILTER (WHERE col_key = 'issued')   AS issued,
             max(value) FILTER (WHERE col_key = 'repealed') AS repealed,
             max(value) FILTER (WHERE col_key = 'in_force') AS in_force
      FROM cell_values WHERE table_key = 'proactive' AND row_key IN ('rules', 'normative_docs')
      GROUP BY ALL)
SELECT a.agency, a.region_code, a.year AS prev_year, b.year, vb.row_key,
       va.in_force AS prev_in_force, vb.issued, vb.repealed, vb.in_force,
       va.in_force + vb.issued - vb.repealed AS expected_in_force,
       vb.in_force - (va.in_force + vb.issued - vb.repealed) AS difference,
       a.doc_id AS prev_doc_id, b.doc_id
FROM r a JOIN r b ON b.agency = a.agency AND b.region_code IS NOT DISTINCT FROM a.region_code
                 AND b.year = a.year + 1
JOIN v va ON va.doc_id = a.doc_id
JOIN v vb ON vb.doc_id = b.doc_id AND vb.row_key = va.row_key
WHERE va.in_force IS NOT NULL AND vb.issued IS NOT NULL AND vb.repealed IS NOT NULL
  AND vb.in_force IS NOT NULL
""",
    # 2019 format: 上一年项目数量 (t+1) = 上一年项目数量 (t) + 本年增/减 (t)
    "v_cross_year_items": f"""
WITH r AS (SELECT * FROM v_reports WHERE format = 'gov2019'),
v AS (SELECT doc_id, row_key,
             max(value) FILTER (WHERE col_key = 'prev_items') AS prev_items,
             max(value) FILTER (WHERE col_key = 'change')     AS change
      FROM cell_values WHERE table_key = 'proactive' GROUP BY ALL)
SELECT a.agency, a.region_code, a.year, b.year AS next_year, va.row_key,
       va.prev_items, va.change, vb.prev_items AS next_prev_items,
       va.prev_items + va.change AS expected_next_prev_items,
       vb.prev_items - (va.prev_items + va.change) AS difference,
       a.doc_id, b.doc_id AS next_doc_id
FROM r a JOIN r b ON b.agency = a.agency AND b.region_code IS NOT DISTINCT FROM a.region_code
                 AND b.year = a.year + 1
JOIN v va ON va.doc_id = a.doc_id
JOIN v vb ON vb.doc_id = b.doc_id AND vb.row_key = va.row_key
WHERE va.prev_items IS NOT NULL AND va.change IS NOT NULL AND vb.prev_items IS NOT NULL
""",
    # narrative figures linked to the cell they state (PROSE_LINKS); a figure printed
    # twice in its sentence is left unlinked (which one is meant is not certain)
    "v_prose_table": f"""
WITH links AS ({_prose_links_sql()}),
m AS (SELECT m.*, d.format,
             regexp_extract(substr(m.text, 1, strpos(m.text, m.raw) - 1), '[^，。；：,;]*$') AS before
      FROM mentions m JOIN documents d USING (doc_id)
      WHERE d.status <> 'failed' AND strpos(m.text, m.raw) > 0
        AND length(m.text) - length(replace(m.text, m.raw, '')) = length(m.raw))
SELECT m.doc_id, m.seq, m.page, m.section, m.text, m.raw, m.value AS stated, m.qualifier,
       l.table_key, l.row_key, l.col_key, c.value AS tabled, c.raw AS tabled_raw, c.origin,
       CASE WHEN c.value IS NULL THEN NULL
            WHEN m.qualifier IS NULL THEN m.value <> c.value
            -- 余 多 超过 逾: more than the figure; 近 约: about it (a tenth either way)
            WHEN m.qualifier IN ('余', '多', '超过', '逾') THEN c.value < m.value OR c.value > m.value * 1.5 + 10
            ELSE abs(c.value - m.value) > greatest(1, m.value * 0.1) END AS disagrees
FROM m JOIN links l ON regexp_matches(m.before, l.pattern) AND (l.format IS NULL OR l.format = m.format)
LEFT JOIN cell_values c ON c.doc_id = m.doc_id AND c.table_key = l.table_key
                       AND c.row_key = l.row_key AND c.col_key = l.col_key
""",
    # per section, the share of sentences copied from the same agency's report of the
    # year before (digits and Chinese numerals masked); sentences that reports of three
    # or more agencies print (the template's own) are left out
    "v_text_reuse": """
WITH s AS (
    SELECT p.doc_id, p.section, trim(u.sentence) AS sentence,
           regexp_replace(regexp_replace(trim(u.sentence), '[0-9０-９.．]+|[零〇一二三四五六七八九十百千万亿两]+', '#', 'g'),
                          '\\s+', '', 'g') AS norm
    FROM paragraphs p, LATERAL unnest(regexp_split_to_array(p.text, '[。；！？]')) AS u(sentence)
    WHERE p.kind = 'para' AND length(trim(u.sentence)) >= 8),
boiler AS (SELECT s.norm FROM s JOIN documents d USING (doc_id)
           GROUP BY s.norm HAVING count(DISTINCT d.agency) >= 3),
r AS (SELECT * FROM v_reports),
cur AS (SELECT r.agency, r.region_code, r.year, s.* FROM s JOIN r USING (doc_id)
        WHERE s.norm NOT IN (SELECT norm FROM boiler))
SELECT a.agency, a.region_code, a.year, b.year AS prev_year, a.section,
       count(*) AS sentences,
       count(*) FILTER (WHERE EXISTS (SELECT 1 FROM s p WHERE p.doc_id = b.doc_id AND p.norm = a.norm)) AS copied,
       round(count(*) FILTER (WHERE EXISTS (SELECT 1 FROM s p WHERE p.doc_id = b.doc_id AND p.norm = a.norm))
             / count(*), 3) AS share,
       a.doc_id, b.doc_id AS prev_doc_id
FROM cur a JOIN r b ON b.agency = a.agency AND b.region_code IS NOT DISTINCT FROM a.region_code
                   AND b.year = a.year - 1
GROUP BY a.agency, a.region_code, a.year, b.year, a.section, a.doc_id, b.doc_id
""",
    # publication against the legal deadline, where the file says when it was published
    # (documents.published_on: a web page's 发布时间, a crawler's field; never the
    # sign-off date). From the 2019 reports on (条例 as revised in 2019, 第四十九/五十条)
    # a department publishes by 1月31日 and a government (township and street offices
    # with it) by 3月31日 of the next year; before, every body by 3月31日
    "v_publication": """
SELECT d.doc_id, d.year, d.agency, d.agency_kind, d.province, d.region_code, d.published_on,
       d.published_basis,
       make_date(d.year + 1, CASE WHEN d.year >= 2019 AND d.agency_kind IN ('department', 'office')
                                  THEN 1 ELSE 3 END, 31) AS deadline,
       date_diff('day', make_date(d.year + 1, CASE WHEN d.year >= 2019 AND d.agency_kind IN ('department', 'office')
                                                   THEN 1 ELSE 3 END, 31), d.published_on) AS days_late,
       d.published_on <= make_date(d.year + 1, CASE WHEN d.year >= 2019 AND d.agency_kind IN ('department', 'office')
                                                    THEN 1 ELSE 3 END, 31) AS on_time
FROM documents d
WHERE d.status <> 'failed' AND d.year IS NOT NULL
""",
    # the prose sections of a 2019+ report (一 总体情况, 五 问题及改进, 六 其他事项) as printed:
    # whether the heading is there, how much text follows it, and whether that text is
    # only 无 (无, 暂无, 没有, 无其他需要报告的事项 …)
    "v_sections": f"""
WITH d AS (SELECT doc_id, format FROM documents WHERE status <> 'failed' AND format IN ('gov2021', 'gov2019')),
n AS (SELECT * FROM (VALUES (1), (5), (6)) AS n(section)),
p AS (SELECT g.doc_id, g.section, count(*) FILTER (WHERE g.kind = 'heading') AS headings,
             -- the sign-off under section 六 (the body's name, the date) is not its text
             string_agg(CASE WHEN g.kind = 'para' AND g.text IS DISTINCT FROM o.agency
                              AND NOT regexp_full_match(trim(g.text), '\\d{{4}}年\\d{{1,2}}月\\d{{1,2}}日')
                             THEN g.text END, '' ORDER BY g.seq) AS body
      FROM paragraphs g JOIN documents o USING (doc_id) GROUP BY ALL)
SELECT d.doc_id, d.format, n.section, coalesce(p.headings, 0) > 0 OR p.body IS NOT NULL AS printed,
       length(regexp_replace(coalesce(p.body, ''), '\\s', '', 'g')) AS characters,
       regexp_matches(regexp_replace(coalesce(p.body, ''), '[\\s。，、；：:.（）()]', '', 'g'),
                      '^(无|暂无|没有|本年度无|无其他需要报告的事项|无需要报告的其他事项|本机关无其他需要报告的事项)?$') AS says_nothing,
       p.body AS text
FROM d CROSS JOIN n LEFT JOIN p ON p.doc_id = d.doc_id AND p.section = n.section
WHERE NOT EXISTS (SELECT 1 FROM pages g WHERE g.doc_id = d.doc_id AND g.source NOT IN ('text', 'text_layer', 'html', 'docx'))
""",
    # the standard measures, each with the count it rests on
    "v_measures": """
SELECT r.doc_id, r.year, r.format, r.agency, r.agency_kind, r.province, r.city, r.county,
       r.region_code, r.region_level,
       r.handled                                                          AS decided,
       (coalesce(r.granted, 0) + coalesce(r.partial, 0)) / nullif(r.handled, 0) AS disclosure_rate,
       r.unable / nullif(r.handled, 0)                                    AS unable_share,
       n.not_held / nullif(r.handled, 0)                                  AS not_held_share,
       r.denied / nullif(r.handled, 0)                                    AS denied_share,
       r.new_requests                                                     AS applications,
       a.correction_rate                                                  AS review_correction_rate,
       coalesce(a.upheld, 0) + coalesce(a.corrected, 0) + coalesce(a.other, 0) AS reviews_decided,
       s.corrected / nullif(s.decided, 0)                                 AS suit_correction_rate,
       s.decided                                                          AS suits_decided,
       p.published_on, p.deadline, p.on_time
FROM v_requests r
LEFT JOIN (SELECT doc_id, max(value) AS not_held FROM cell_values
           WHERE table_key = 'requests' AND row_key = 'unable_not_held' AND col_key = 'total'
           GROUP BY doc_id) n ON n.doc_id = r.doc_id
LEFT JOIN v_appeals a ON a.doc_id = r.doc_id AND a.route = 'review'
LEFT JOIN v_publication p ON p.doc_id = r.doc_id
LEFT JOIN (SELECT doc_id, sum(corrected) AS corrected,
                  sum(coalesce(upheld, 0) + coalesce(corrected, 0) + coalesce(other, 0)) AS decided
           FROM v_appeals WHERE route IN ('suit_direct', 'suit_after_review') GROUP BY doc_id) s
       ON s.doc_id = r.doc_id
""",
    # 不予公开 by ground: each ground's share of the refusals (denied = the 8 grounds summed)
    "v_refusal_grounds": """
SELECT r.doc_id, r.year, r.format, r.agency, r.agency_kind, r.province, r.region_code,
       c.row_key AS ground, c.value AS n, r.denied, c.value / nullif(r.denied, 0) AS share
FROM v_requests r JOIN cell_values c ON c.doc_id = r.doc_id AND c.table_key = 'requests'
     AND c.row_key LIKE 'denied\\_%' ESCAPE '\\' AND c.col_key = 'total'
""",
    # applications per agency, by the level and kind of body and year (one report per
    # agency and year: v_reports), with how many reports each mean rests on
    "v_applications_by_level": """
SELECT r.year, d.region_level, d.agency_kind, count(*) AS reports, count(q.new_requests) AS reports_with_new,
       sum(q.new_requests) AS applications, avg(q.new_requests) AS applications_per_agency,
       median(q.new_requests) AS median_per_agency
FROM v_reports r JOIN documents d USING (doc_id) JOIN v_requests q USING (doc_id)
GROUP BY ALL
""",
    # every finding, one row each: what the report gets wrong, with its evidence (JSON)
    "findings": f"""
-- an identity that fails on values read with certainty
SELECT k.doc_id, 'identity_failed' AS finding, trim(k.check_key || ' ' || coalesce(k.scope, '')) AS scope,
       format('{{}} ({{}}): the parts add up to {{}}, the total printed is {{}}', k.check_key,
              coalesce(k.scope, ''), {_n('k.expected')}, {_n('k.actual')}) AS detail,
       'error' AS severity,
       json_object('check', k.check_key, 'scope', k.scope, 'expected', k.expected, 'actual', k.actual)::VARCHAR AS evidence
FROM checks k JOIN documents d USING (doc_id)
WHERE NOT k.ok AND d.status <> 'failed'
  AND NOT EXISTS (SELECT 1 FROM cell_values c WHERE c.doc_id = k.doc_id AND NOT ({_CERTAIN}))
UNION ALL
SELECT next_doc_id, 'carryover_break', 'requests carried_in ' || col_key,
       format('the {{}} report carries {{}} over (结转下年度, {{}}), the {{}} report brings in {{}} (上年结转)',
              year, {_n('carried_out')}, col_key, next_year, {_n('next_carried_in')}),
       'error',
       json_object('doc_id', doc_id, 'cell', 'requests/carried_out/' || col_key, 'value', carried_out,
                   'next_doc_id', next_doc_id, 'next_cell', 'requests/carried_in/' || col_key,
                   'next_value', next_carried_in)::VARCHAR
FROM v_cross_year_carryover WHERE difference <> 0
UNION ALL
SELECT doc_id, 'stock_break', 'proactive ' || row_key || ' in_force',
       format('{{}}: 现行有效件数 {{}}, but {{}}''s {{}} + 本年制发 {{}} − 本年废止 {{}} = {{}}',
              year, {_n('in_force')}, prev_year, {_n('prev_in_force')}, {_n('issued')}, {_n('repealed')},
              {_n('expected_in_force')}),
       'error',
       json_object('prev_doc_id', prev_doc_id, 'prev_cell', 'proactive/' || row_key || '/in_force',
                   'doc_id', doc_id, 'cells', ['proactive/' || row_key || '/issued',
                   'proactive/' || row_key || '/repealed', 'proactive/' || row_key || '/in_force'])::VARCHAR
FROM v_cross_year_stock WHERE difference <> 0
UNION ALL
SELECT next_doc_id, 'prev_items_break', 'proactive ' || row_key || ' prev_items',
       format('{{}}: 上一年项目数量 {{}}, but {{}}''s {{}} + 本年增/减 {{}} = {{}}',
              next_year, {_n('next_prev_items')}, year, {_n('prev_items')}, {_n('change')},
              {_n('expected_next_prev_items')}),
       'error',
       json_object('doc_id', doc_id, 'cells', ['proactive/' || row_key || '/prev_items',
                   'proactive/' || row_key || '/change'], 'next_doc_id', next_doc_id,
                   'next_cell', 'proactive/' || row_key || '/prev_items')::VARCHAR
FROM v_cross_year_items WHERE difference <> 0
UNION ALL
SELECT doc_id, 'prose_table_mismatch', table_key || ' ' || row_key || ' ' || col_key,
       format('the text says {{}} (“{{}}”), the table {{}}', raw, text,
              coalesce(tabled_raw, {_n('tabled')})),
       'error',
       json_object('mention_seq', seq, 'page', page, 'cell', table_key || '/' || row_key || '/' || col_key,
                   'stated', stated, 'tabled', tabled)::VARCHAR
FROM v_prose_table WHERE disagrees AND {_CERTAIN}
UNION ALL
-- a table of the format not printed, in a report read from text (on a scan the table
-- may be there and not found: that stays a doubt)
SELECT f.doc_id, 'table_not_printed', f.scope, 'table ' || f.scope || ' is not in the report', 'error', NULL
FROM flags f JOIN documents d USING (doc_id)
WHERE f.flag = 'table_missing' AND d.status <> 'failed'
  AND NOT EXISTS (SELECT 1 FROM pages p WHERE p.doc_id = f.doc_id
                  AND p.source NOT IN ('text', 'text_layer', 'html', 'docx'))
UNION ALL
-- the statistics period printed for another year than the title's
SELECT f.doc_id, 'period_wrong', f.scope, f.detail, 'warning', NULL
FROM flags f JOIN documents d USING (doc_id)
WHERE f.flag = 'year_mismatch' AND d.status <> 'failed'
  AND NOT EXISTS (SELECT 1 FROM pages p WHERE p.doc_id = f.doc_id
                  AND p.source NOT IN ('text', 'text_layer', 'html', 'docx'))
UNION ALL
-- a prose section of the format not printed, or printed empty or as 无 (五: the problems
-- and how they were addressed; 一: the overall account); 六 may say 无, unless the
-- report charged fees (table 3 counts applications dropped for fees not paid), which
-- 六 must account for (信息处理费, 国办函〔2020〕109号)
SELECT doc_id, 'section_missing', 'section ' || section,
       'section ' || ['一', '', '', '', '五', '六'][section] || ' is not in the report', 'error', NULL
FROM v_sections WHERE NOT printed
UNION ALL
SELECT doc_id, 'section_empty', 'section ' || section,
       'section ' || ['一', '', '', '', '五', '六'][section] || ' says nothing'
       || CASE WHEN characters > 0 THEN ' (“' || text || '”)' ELSE ' (no text under its heading)' END,
       'error', json_object('text', text)::VARCHAR
FROM v_sections WHERE printed AND says_nothing AND section IN (1, 5)
UNION ALL
SELECT s.doc_id, 'fees_not_reported', 'section 6',
       format('section 六 says nothing{{}}, but table 3 counts {{}} applications dropped for fees not paid '
              '(申请人逾期未按收费通知要求缴纳费用)',
              CASE WHEN s.characters > 0 THEN ' (“' || s.text || '”)' ELSE '' END, {_n('c.value')}),
       'error', json_object('text', s.text, 'cell', 'requests/other_unpaid_fee/total', 'value', c.value)::VARCHAR
FROM v_sections s JOIN cell_values c ON c.doc_id = s.doc_id AND c.table_key = 'requests'
     AND c.row_key = 'other_unpaid_fee' AND c.col_key = 'total'
WHERE s.section = 6 AND s.says_nothing AND c.value > 0
UNION ALL
-- published after the legal deadline, where the file says when it was published
SELECT doc_id, 'published_late', 'published_on',
       format('published {{}}, {{}} days after the deadline {{}} ({{}})', published_on, days_late, deadline,
              published_basis),
       'warning', json_object('published_on', published_on, 'deadline', deadline, 'basis', published_basis)::VARCHAR
FROM v_publication WHERE published_on IS NOT NULL AND NOT on_time
UNION ALL
-- a township or street office reports 规章, which it cannot make
SELECT c.doc_id, 'rules_by_township', 'proactive rules ' || c.col_key,
       format('a {{}} reports 规章 {{}} = {{}}', d.agency_kind, c.col_key, c.raw), 'warning', NULL
FROM cell_values c JOIN documents d USING (doc_id)
WHERE d.agency_kind IN ('township', 'street') AND c.table_key = 'proactive' AND c.row_key = 'rules'
  AND c.value > 0 AND d.status <> 'failed'
""",
}


def refresh_report_status(con: duckdb.DuckDBPyConnection) -> None:
    """Write ``documents.report_status`` from the findings: ``findings`` where the
    report has any, ``consistent`` where it has none, NULL for failed documents.
    Run after every load run and every correction (cross-year findings change when
    another year of the agency arrives)."""
    con.execute("""
        UPDATE documents SET report_status = CASE
            WHEN status = 'failed' THEN NULL
            WHEN doc_id IN (SELECT doc_id FROM findings) THEN 'findings'
            ELSE 'consistent' END""")


AUDIT_COLUMNS = ("finding", "severity", "doc_id", "source_path", "agency", "year", "scope", "detail", "evidence")


class NoSuchDocument(LookupError):
    """The reference names no document, or more than one."""


def audit(db: str, ref: str | None = None) -> list[dict]:
    """The findings of one document (doc_id, a unique prefix of it, or its source
    path) or, with ``ref`` None, of every document: one dict per finding, grouped by
    kind (``AUDIT_COLUMNS``). Opens the database read-only."""
    from .query import open_read_only

    con = open_read_only(db)
    try:
        where, params = "", []
        if ref is not None:
            ref = stored_path(ref)  # a path as the file system gave it: as it was stored
            ids = [r[0] for r in con.execute(
                "SELECT doc_id FROM documents WHERE doc_id = ? OR source_path = ? "
                "UNION SELECT doc_id FROM documents WHERE starts_with(doc_id, ?) "
                "AND NOT EXISTS (SELECT 1 FROM documents WHERE doc_id = ? OR source_path = ?)",
                [ref, ref, ref, ref, ref]).fetchall()]
            if len(ids) != 1:
                raise NoSuchDocument(f"no single document matches {ref!r}")
            where, params = "WHERE f.doc_id = ?", ids
        cur = con.execute(f"""
            SELECT {', '.join('d.' + c if c in ('source_path', 'agency', 'year') else 'f.' + c
                              for c in AUDIT_COLUMNS)}
            FROM findings f JOIN documents d USING (doc_id) {where}
            ORDER BY f.finding, d.agency, d.year, f.doc_id, f.scope""", params)
        return [dict(zip(AUDIT_COLUMNS, r)) for r in cur.fetchall()]
    finally:
        con.close()
