"""The DuckDB schema: reportdb's public contract with researchers.

Names here are kept stable across versions; new columns may be added, none
renamed. ``SCHEMA_VERSION`` is stored in ``meta`` so an older database can be
recognised.
"""

from __future__ import annotations

import duckdb

SCHEMA_VERSION = "2"  # 2: page_images, corrections, cell_values

DDL = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);

CREATE TABLE IF NOT EXISTS documents (
    doc_id VARCHAR PRIMARY KEY,      -- first 16 hex digits of the file's SHA-256
    source_path VARCHAR NOT NULL,
    sha256 VARCHAR,
    media_type VARCHAR,
    pages INTEGER,
    title VARCHAR,
    agency VARCHAR,
    province VARCHAR,
    city VARCHAR,
    county VARCHAR,
    township VARCHAR,
    region_code VARCHAR,
    year INTEGER,
    format VARCHAR,                  -- gov2021 | gov2019 | legacy | NULL
    status VARCHAR NOT NULL,         -- ok | needs_review | failed
    pipeline_version VARCHAR,
    ingested_at TIMESTAMP
);

CREATE TABLE IF NOT EXISTS cells (
    doc_id VARCHAR NOT NULL,
    table_key VARCHAR NOT NULL,      -- proactive | requests | appeals
    row_key VARCHAR NOT NULL,
    col_key VARCHAR NOT NULL,
    value DOUBLE,                    -- NULL: printed blank (raw '') or unreadable
    raw VARCHAR,                     -- the text as printed
    unit VARCHAR,
    page INTEGER,
    bbox DOUBLE[],                   -- x0, y0, x1, y1 in page units, origin top left
    confidence DOUBLE,
    origin VARCHAR                   -- text | text_layer | ocr | html | docx | mixed | correction
);

CREATE TABLE IF NOT EXISTS checks (
    doc_id VARCHAR NOT NULL,
    check_key VARCHAR NOT NULL,
    scope VARCHAR,
    expected DOUBLE,
    actual DOUBLE,
    ok BOOLEAN
);

CREATE TABLE IF NOT EXISTS mentions (
    doc_id VARCHAR NOT NULL,
    seq INTEGER,
    page INTEGER,
    section INTEGER,
    value DOUBLE,
    unit VARCHAR,
    qualifier VARCHAR,               -- 余 多 近 约 超过 逾: the value is a bound, not exact
    text VARCHAR,                    -- the sentence
    raw VARCHAR                      -- the quantity as printed
);

CREATE TABLE IF NOT EXISTS pages (
    doc_id VARCHAR NOT NULL,
    page INTEGER,
    text VARCHAR,
    source VARCHAR                   -- text | text_layer | ocr | html | docx
);

CREATE TABLE IF NOT EXISTS paragraphs (
    doc_id VARCHAR NOT NULL,
    seq INTEGER,
    section INTEGER,                 -- 0 before 一、, then 1 … 6
    page INTEGER,
    kind VARCHAR,                    -- title | heading | para
    text VARCHAR
);

CREATE TABLE IF NOT EXISTS flags (
    doc_id VARCHAR NOT NULL,
    flag VARCHAR NOT NULL,
    scope VARCHAR,
    detail VARCHAR,
    severity VARCHAR                 -- review | info
);

-- one ingest or batch run; the counts are the run's printed summary:
-- files_seen = files_loaded + files_unchanged + files_failed + files_failed_before
CREATE TABLE IF NOT EXISTS runs (
    run_id INTEGER PRIMARY KEY,
    started_at TIMESTAMP,
    finished_at TIMESTAMP,           -- NULL: the run was killed or stopped (exit 3)
    files_seen INTEGER,              -- documents found (batch) or given (ingest)
    files_loaded INTEGER,            -- read and loaded by this run (ok or needs_review)
    files_failed INTEGER             -- tried by this run and failed
);

-- a file without a loaded document at the end of a run: each run lists the files it
-- failed and (batch) the files that failed before and were not tried again
CREATE TABLE IF NOT EXISTS failures (
    run_id INTEGER,
    source_path VARCHAR,
    stage VARCHAR,                   -- read | extract | load | worker
    error VARCHAR
);

-- the OCR'd page as the cells' boxes refer to it (straightened, turned upright),
-- scaled down for review: box × scale = pixel in this image
CREATE TABLE IF NOT EXISTS page_images (
    doc_id VARCHAR NOT NULL,
    page INTEGER,
    width INTEGER,
    height INTEGER,
    scale DOUBLE,
    jpeg BLOB
);

-- a person's verdict on a cell; kept apart from what the machine read, so it
-- survives re-ingesting the file and re-processing it with a new pipeline
CREATE SEQUENCE IF NOT EXISTS correction_ids;
CREATE TABLE IF NOT EXISTS corrections (
    correction_id INTEGER PRIMARY KEY DEFAULT nextval('correction_ids'),
    sha256 VARCHAR NOT NULL,         -- the input's content: stable across re-ingests
    doc_id VARCHAR NOT NULL,
    table_key VARCHAR NOT NULL,
    row_key VARCHAR NOT NULL,
    col_key VARCHAR NOT NULL,
    old_value DOUBLE,
    old_raw VARCHAR,
    new_value DOUBLE,
    new_raw VARCHAR,
    corrected_by VARCHAR NOT NULL,
    corrected_at TIMESTAMP NOT NULL,
    note VARCHAR,
    kind VARCHAR                     -- manual | confirmed (the reading as printed) | suggestion (an identity's repair, accepted) | added (a cell the machine missed) | copy (taken over from a copy of the report)
);

-- what researchers query: the extracted cells with the latest correction applied
CREATE OR REPLACE VIEW cell_values AS
WITH latest AS (
    SELECT * EXCLUDE (rn) FROM (
        SELECT *, row_number() OVER (PARTITION BY sha256, table_key, row_key, col_key
                                     ORDER BY corrected_at DESC, correction_id DESC) AS rn
        FROM corrections) WHERE rn = 1
)
SELECT c.doc_id, c.table_key, c.row_key, c.col_key,
       CASE WHEN l.correction_id IS NULL THEN c.value ELSE l.new_value END AS value,
       CASE WHEN l.correction_id IS NULL THEN c.raw ELSE l.new_raw END AS raw,
       c.unit, c.page, c.bbox,
       CASE WHEN l.correction_id IS NULL THEN c.confidence ELSE 1.0 END AS confidence,
       CASE WHEN l.correction_id IS NULL THEN c.origin ELSE 'correction' END AS origin,
       c.value AS extracted_value, l.correction_id
FROM cells c
JOIN documents d USING (doc_id)
LEFT JOIN latest l ON l.sha256 = d.sha256 AND l.table_key = c.table_key
                  AND l.row_key = c.row_key AND l.col_key = c.col_key
UNION ALL  -- cells the machine missed, added by a person from the paper
SELECT d.doc_id, l.table_key, l.row_key, l.col_key, l.new_value, l.new_raw,
       CAST(NULL AS VARCHAR), CAST(NULL AS INTEGER), CAST(NULL AS DOUBLE[]), 1.0, 'correction',
       CAST(NULL AS DOUBLE), l.correction_id
FROM latest l
JOIN documents d ON d.sha256 = l.sha256 AND d.status <> 'failed'
WHERE l.kind = 'added' AND NOT EXISTS (
    SELECT 1 FROM cells c WHERE c.doc_id = d.doc_id AND c.table_key = l.table_key
                            AND c.row_key = l.row_key AND c.col_key = l.col_key);

-- where the issuing body sits in the official hierarchy (extract.regions)
ALTER TABLE documents ADD COLUMN IF NOT EXISTS agency_kind VARCHAR;     -- government | office | department | township | street | development_zone
ALTER TABLE documents ADD COLUMN IF NOT EXISTS province_code VARCHAR;
ALTER TABLE documents ADD COLUMN IF NOT EXISTS city_code VARCHAR;        -- the prefecture (地级)
ALTER TABLE documents ADD COLUMN IF NOT EXISTS county_code VARCHAR;
ALTER TABLE documents ADD COLUMN IF NOT EXISTS township_code VARCHAR;    -- 9 digits
ALTER TABLE documents ADD COLUMN IF NOT EXISTS region_level VARCHAR;     -- province | prefecture | county | township
ALTER TABLE documents ADD COLUMN IF NOT EXISTS region_status VARCHAR;    -- resolved | ambiguous | unresolved
ALTER TABLE documents ADD COLUMN IF NOT EXISTS region_basis VARCHAR;     -- agency | title | signature | publisher | body
ALTER TABLE documents ADD COLUMN IF NOT EXISTS region_source VARCHAR;    -- division table year and township list vintage
-- what read the document, as JSON: reportdb's version, the OCR engine with its version
-- and language files' SHA-256 (when a page was OCR'd), each reader's libraries;
-- e.g. json_extract_string(engines, '$.tesseract')
ALTER TABLE documents ADD COLUMN IF NOT EXISTS engines VARCHAR;
-- the report itself, apart from its reading (warehouse.findings): consistent | findings
ALTER TABLE documents ADD COLUMN IF NOT EXISTS report_status VARCHAR;
-- when the report was published, where the file says so (a web page's 发布时间, a
-- crawler's field; never the sign-off date), and which field said it
ALTER TABLE documents ADD COLUMN IF NOT EXISTS published_on DATE;
ALTER TABLE documents ADD COLUMN IF NOT EXISTS published_basis VARCHAR;
-- runs: the rest of the summary (issue 20)
ALTER TABLE runs ADD COLUMN IF NOT EXISTS files_unchanged INTEGER;      -- loaded before, same bytes
ALTER TABLE runs ADD COLUMN IF NOT EXISTS files_failed_before INTEGER;  -- failed in an earlier run, not tried again
ALTER TABLE runs ADD COLUMN IF NOT EXISTS command VARCHAR;              -- batch | ingest
-- failures: which content, and which run tried it (< run_id: failed before, not tried again)
ALTER TABLE failures ADD COLUMN IF NOT EXISTS sha256 VARCHAR;
ALTER TABLE failures ADD COLUMN IF NOT EXISTS tried_run_id INTEGER;

-- corrections attach to the report, not only to one file (warehouse.corrections):
-- the file a correction was made on and the report it belongs to, so it follows a
-- changed file of the same report; where it was carried from, and which copy's
-- correction a person took over
ALTER TABLE corrections ADD COLUMN IF NOT EXISTS source_path VARCHAR;    -- the file it was made on
ALTER TABLE corrections ADD COLUMN IF NOT EXISTS report_key VARCHAR;     -- agency|region_code|year|format
ALTER TABLE corrections ADD COLUMN IF NOT EXISTS carried_from VARCHAR;   -- sha256 of the earlier file it was made on
ALTER TABLE corrections ADD COLUMN IF NOT EXISTS copied_from INTEGER;    -- the correction of a copy it repeats

CREATE TABLE IF NOT EXISTS region_candidates (
    doc_id VARCHAR NOT NULL,
    seq INTEGER,
    province VARCHAR, province_code VARCHAR,
    city VARCHAR, city_code VARCHAR,
    county VARCHAR, county_code VARCHAR,
    township VARCHAR, township_code VARCHAR,
    region_code VARCHAR
);
"""

# the report a document is a reading of: one agency (name and region code), one year,
# one format; NULL when the agency or the year was not read
REPORT_KEY = ("CASE WHEN d.agency IS NULL OR d.year IS NULL THEN NULL ELSE d.agency || '|' || "
              "coalesce(d.region_code, '') || '|' || d.year || '|' || coalesce(d.format, '') END")

DOC_TABLES = ("cells", "checks", "mentions", "pages", "paragraphs", "flags", "page_images",
              "region_candidates")


def connect(path: str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the database; a writable open also creates or upgrades the schema."""
    con = duckdb.connect(path, read_only=read_only)
    if not read_only:
        con.execute(DDL)
        con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [SCHEMA_VERSION])
        from .views import create_views
        create_views(con)
        # corrections from before they named their report: named now, from their file
        con.execute(f"""UPDATE corrections k SET source_path = d.source_path, report_key = {REPORT_KEY}
                        FROM documents d WHERE d.sha256 = k.sha256 AND k.report_key IS NULL
                        AND d.status <> 'failed'""")
        # a database from before report_status: its documents get one now
        if con.execute("SELECT count(*) FROM documents WHERE report_status IS NULL "
                       "AND status <> 'failed'").fetchone()[0]:
            from .findings import refresh_report_status
            refresh_report_status(con)
    return con
