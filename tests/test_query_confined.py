"""``reportdb query`` reads only the database (issues 20.4 and 21.2): a real
subprocess on a real DuckDB file; every refusal is one clear line, exit 1, and
afterwards the row counts and the file system are as they were."""

from __future__ import annotations

import os
import subprocess
import sys

import duckdb
import pytest

from warehouse.schema import connect

TABLES = ("documents", "cells", "checks", "flags")


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=120,
                          env={"COLUMNS": "160", "PATH": "/usr/bin:/bin",
                               "PYTHONPATH": os.path.dirname(os.path.dirname(__file__)),
                               "HOME": str(cwd or "/tmp")})


@pytest.fixture
def db(tmp_path):
    """A small database made here: two documents, a few cells."""
    path = tmp_path / "q.duckdb"
    con = connect(str(path))
    for i in (1, 2):
        con.execute("INSERT INTO documents (doc_id, source_path, status) VALUES (?, ?, 'ok')",
                    [f"d{i}", f"/in/{i}.txt"])
        for r in range(5):
            con.execute("INSERT INTO cells (doc_id, table_key, row_key, col_key, value, raw) "
                        "VALUES (?, 'requests', ?, 'total', ?, ?)", [f"d{i}", f"r{r}", r, str(r)])
    con.close()
    return path


def counts(db) -> dict:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    finally:
        con.close()


def files(folder) -> set:
    return {os.path.join(d, f) for d, _, fs in os.walk(folder) for f in fs}


def refused(p, *words):
    assert p.returncode == 1, p.stdout + p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1, p.stderr
    assert lines[0].startswith("reportdb: query refused:"), lines[0]
    for w in words:
        assert w in lines[0], lines[0]
    assert p.stdout == ""


ATTACKS = [
    ("COPY (SELECT 'echo pwned') TO 'evil.sh' (HEADER false)", ["COPY", "--allow-files"]),
    ("EXPORT DATABASE 'dump'", ["EXPORT", "--allow-files"]),
    ("SELECT * FROM read_text('/etc/passwd')", ["/etc/passwd", "--allow-files"]),
    ("SELECT * FROM read_csv('/etc/passwd')", ["/etc/passwd"]),
    ("SELECT * FROM glob('/etc/*')", ["disabled"]),
    ("ATTACH 'scratch.duckdb' AS s", ["ATTACH"]),
    ("ATTACH 'q.duckdb' AS rw (READ_WRITE)", ["ATTACH"]),
    ("DETACH q", ["DETACH"]),
    ("USE memory", ["USE"]),
    ("INSTALL httpfs", ["INSTALL"]),
    ("LOAD httpfs", ["LOAD"]),
    ("SET enable_external_access = true", ["SET"]),
    ("RESET lock_configuration", ["RESET"]),
    ("PRAGMA force_checkpoint", ["PRAGMA"]),
    ("CALL checkpoint()", ["CALL"]),
    ("CREATE TEMP TABLE t AS SELECT 1", ["CREATE"]),
    ("DELETE FROM cells", ["DELETE"]),
    ("IMPORT DATABASE 'dump'", ["disabled"]),
    ("SELECT 1; DELETE FROM cells", ["2 statements", "exactly one"]),
    ("SELECT 1; SELECT 2", ["2 statements"]),
    # the rewrite of issue 21: a scratch file, USE it, DETACH the database, re-attach it READ_WRITE
    ("ATTACH 'scratch.duckdb' AS s; USE s; DETACH q; ATTACH 'q.duckdb' AS q (READ_WRITE); "
     "DELETE FROM q.cells", ["5 statements"]),
]


@pytest.mark.parametrize("sql,words", ATTACKS, ids=[a[0][:40] for a in ATTACKS])
def test_query_refuses_what_reaches_beyond_the_database(db, sql, words):
    folder = db.parent
    before, there = counts(db), files(folder)
    p = run("query", sql, "--db", db.name, cwd=folder)
    refused(p, *words)
    assert counts(db) == before
    assert files(folder) == there  # no evil.sh, no dump/, no scratch.duckdb


def test_query_still_answers_reads(db):
    folder = db.parent
    p = run("query", "SELECT count(*) AS n FROM cells WHERE value > 1", "--db", db.name,
            "--format", "csv", cwd=folder)
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines() == ["n", "6"]
    for sql in ("DESCRIBE cells", "SHOW TABLES", "SUMMARIZE documents", "PRAGMA table_info('cells')",
                "EXPLAIN SELECT * FROM cells", "  SELECT 1 AS one ;  "):
        p = run("query", sql, "--db", db.name, "--format", "json", cwd=folder)
        assert p.returncode == 0, sql + p.stderr


def test_allow_files_lets_a_query_write_files_but_never_attach(db):
    folder = db.parent
    before = counts(db)
    p = run("query", "COPY (SELECT doc_id FROM documents ORDER BY 1) TO 'ids.csv'", "--db", db.name,
            "--allow-files", cwd=folder)
    assert p.returncode == 0, p.stderr
    assert (folder / "ids.csv").read_text().split() == ["doc_id", "d1", "d2"]
    p = run("query", "SELECT count(*) AS n FROM read_csv('ids.csv')", "--db", db.name,
            "--allow-files", "--format", "csv", cwd=folder)
    assert p.returncode == 0 and p.stdout.split() == ["n", "2"], p.stderr
    for sql in ("ATTACH 'other.duckdb' AS o", "INSTALL httpfs", "SET threads = 1", "SELECT 1; SELECT 2"):
        refused(run("query", sql, "--db", db.name, "--allow-files", cwd=folder))
    assert not (folder / "other.duckdb").exists()
    assert counts(db) == before


def test_no_sql_is_a_usage_error(db):
    p = run("query", "   ", "--db", db.name, cwd=db.parent)
    assert p.returncode == 2 and "no SQL" in p.stderr
    p = run("query", ";", "--db", db.name, cwd=db.parent)
    refused(p, "no SQL statement")
