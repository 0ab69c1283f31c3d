"""The DuckDB schema: reportdb's public contract with researchers.

Names here are kept stable across versions; new columns may be added, none
renamed. ``SCHEMA_VERSION`` is stored in ``meta`` so an older database can be
recognised.
"""

from __future__ import annotations

import duckdb

SCHEMA_VERSION = "1"

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
    origin VARCHAR                   -- text | text_layer | ocr | correction
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
    source VARCHAR                   -- text | text_layer | ocr
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

CREATE TABLE IF NOT EXISTS runs (
    run_id INTEGER PRIMARY KEY,
    started_at TIMESTAMP,
    finished_at TIMESTAMP,
    files_seen INTEGER,
    files_loaded INTEGER,
    files_failed INTEGER
);

CREATE TABLE IF NOT EXISTS failures (
    run_id INTEGER,
    source_path VARCHAR,
    stage VARCHAR,                   -- read | extract | load
    error VARCHAR
);

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

DOC_TABLES = ("cells", "checks", "mentions", "pages", "paragraphs", "flags", "region_candidates")


def connect(path: str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the database; a writable open also creates or upgrades the schema."""
    con = duckdb.connect(path, read_only=read_only)
    if not read_only:
        con.execute(DDL)
        con.execute("INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)", [SCHEMA_VERSION])
        from .views import create_views
        create_views(con)
    return con
