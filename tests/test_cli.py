"""The ``reportdb`` command as a user runs it: a real subprocess and a real DuckDB file."""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb

from .conftest import SAMPLES


def run(*args, check=None):
    p = subprocess.run([sys.executable, "-m", "pipeline.cli", *map(str, args)],
                       capture_output=True, text=True, env={"COLUMNS": "160", "PATH": "/usr/bin:/bin"})
    if check is not None:
        assert p.returncode == check, p.stdout + p.stderr
    return p


def test_ingest_query_show(tmp_path, seed_path):
    db = tmp_path / "s.duckdb"
    p = run("ingest", seed_path, "--db", db, check=0)
    assert "needs_review" in p.stdout and "盐池县王乐井乡" in p.stdout and "186 cells" in p.stdout
    assert "1 loaded" in p.stdout

    p = run("query", "SELECT agency, year FROM documents", "--db", db, "--format", "json", check=0)
    assert json.loads(p.stdout) == [{"agency": "盐池县王乐井乡", "year": 2023}]
    p = run("query", "SELECT row_key, value FROM cells WHERE row_key='penalty'", "--db", db,
            "--format", "csv", check=0)
    assert p.stdout.splitlines() == ["row_key,value", "penalty,75.0"]
    p = run("query", "SELECT agency FROM documents", "--db", db, check=0)
    assert "盐池县王乐井乡" in p.stdout

    doc_id = duckdb.connect(str(db), read_only=True).execute("SELECT doc_id FROM documents").fetchone()[0]
    p = run("show", doc_id[:6], "--db", db, check=0)
    for text in ("第二十条第（六）项", "行政处罚", "75", "（七）总计", "复议后起诉", "table_incomplete"):
        assert text in p.stdout


def test_query_is_read_only_and_errors_are_one_line(tmp_path, seed_path):
    db = tmp_path / "s.duckdb"
    run("ingest", seed_path, "--db", db, check=0)
    p = run("query", "DELETE FROM documents", "--db", db, check=1)
    assert p.stderr.startswith("reportdb: query refused: DELETE") and len(p.stderr.strip().splitlines()) == 1
    assert duckdb.connect(str(db), read_only=True).execute("SELECT count(*) FROM documents").fetchone()[0] == 1
    p = run("query", "SELECT 1", "--db", tmp_path / "none.duckdb", check=4)  # 4: database unusable
    assert "no such database" in p.stderr
    run("show", "zzzz", "--db", db, check=1)


def test_bad_files_are_recorded_and_do_not_stop_the_others(tmp_path, seed_path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "empty.txt").write_bytes(b"")
    (inbox / "binary.txt").write_bytes(b"\x00\x01\x02" * 100)
    (inbox / "fake.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)  # extension lies
    (inbox / "notes.txt").write_text("会议纪要\n\n今天讨论了食堂菜单。\n", encoding="utf-8")
    (inbox / "gbk.txt").write_bytes(seed_path.read_text(encoding="utf-8").encode("gb18030"))
    (inbox / "seed.txt").write_bytes(seed_path.read_bytes())
    db = tmp_path / "b.duckdb"
    p = run("ingest", inbox, tmp_path / "missing.txt", "--db", db, check=1)
    con = duckdb.connect(str(db), read_only=True)
    failures = dict(con.execute("SELECT regexp_extract(source_path, '[^/]+$'), error FROM failures").fetchall())
    assert failures["empty.txt"] == "empty file (0 bytes)"
    assert failures["binary.txt"] == "binary data, not text"
    assert failures["fake.txt"].startswith("not a readable image")  # a PNG header, no image
    assert failures["notes.txt"].startswith("not a report")
    assert failures["missing.txt"] == "no such file or directory"
    statuses = dict(con.execute("SELECT regexp_extract(source_path, '[^/]+$'), status FROM documents").fetchall())
    assert statuses["seed.txt"] == "needs_review"
    assert statuses["empty.txt"] == "failed"
    # the GB18030 copy is a different file with the same text: read and loaded too
    assert statuses["gbk.txt"] == "needs_review"
    assert con.execute("SELECT count(*) FROM cells").fetchone()[0] == 2 * 186
    assert con.execute("SELECT files_seen, files_loaded, files_failed FROM runs").fetchone() == (7, 2, 5)
    con.close()
    for name in ("empty.txt", "binary.txt", "fake.txt", "notes.txt", "missing.txt"):
        line = next(ln for ln in p.stdout.splitlines() if name in ln)
        assert line.startswith("failed")


def test_demo_query_runs_on_the_samples(tmp_path):
    db = tmp_path / "d.duckdb"
    run("ingest", SAMPLES, "--db", db, check=0)
    p = run("query", "--file", SAMPLES.parent / "demo.sql", "--db", db, "--format", "json", check=0)
    rows = json.loads(p.stdout)
    assert len(rows) == 10 and len({r["year"] for r in rows}) == 5  # each report as .txt and .pdf
    assert all(r["new_requests"] is not None for r in rows)


def test_show_keys_and_correct_takes_them(tmp_path):
    """``show --keys`` prints the keys ``correct`` takes; a mistyped key gets the
    nearest ones; a negative value is a value, not an option, in either minus sign."""
    db = tmp_path / "k.duckdb"
    run("ingest", SAMPLES / "2022_gengma_template2019.txt", "--db", db, check=0)
    doc = duckdb.connect(str(db), read_only=True).execute("SELECT doc_id FROM documents").fetchone()[0]
    p = subprocess.run([sys.executable, "-m", "pipeline.cli", "show", doc[:8], "--keys", "--db", str(db)],
                       capture_output=True, text=True, env={"COLUMNS": "250", "PATH": "/usr/bin:/bin"})
    for text in ("（一）予以公开 [granted]", "自然人 [natural_person]", "行政许可 [licensing]",
                 "本年增/减 [change]", "维持 [upheld]"):
        assert text in p.stdout, text
    assert "show " + doc[:8] + " --keys" in run("show", doc[:8], "--db", db, check=0).stdout
    p = run("correct", doc, "proactive", "licencing", "change", "-3", "--by", "t", "--db", db, check=1)
    assert p.stderr.strip() == "reportdb: no row 'licencing' in table proactive; did you mean licensing or coercion?"
    p = run("correct", doc, "requests", "granted", "natral_person", "3", "--by", "t", "--db", db, check=1)
    assert "did you mean natural_person?" in p.stderr
    run("correct", doc, "proactive", "licensing", "change", "-3", "--by", "t", "--db", db, check=0)
    run("correct", doc, "proactive", "penalty", "change", "\u22127", "--by", "t", "--db", db, check=0)
    got = dict(((r, c), v) for r, c, v in duckdb.connect(str(db), read_only=True).execute(
        "SELECT row_key, col_key, value FROM cell_values WHERE origin = 'correction'").fetchall())
    assert got == {("licensing", "change"): -3, ("penalty", "change"): -7}


def test_query_output_holds_every_type_and_is_plain_in_a_pipe(tmp_path):
    """Regression: JSON crashed halfway on INTERVAL and BLOB columns; a table into a
    pipe wrapped at 80 columns; DuckDB's hints were cut off."""
    db = tmp_path / "q.duckdb"
    run("ingest", SAMPLES / "2024_dongwu_town.txt", SAMPLES / "2019_xihu_gov2019.txt", "--db", db, check=0)
    sql = ("SELECT finished_at - started_at AS took, 'ab'::BLOB AS b, 1.25::DECIMAL(10,2) AS d, "
           "'nan'::DOUBLE AS n, [1, 2] AS l, {'k': INTERVAL 90 MINUTE} AS s FROM runs")
    got = json.loads(run("query", sql, "--db", db, "--format", "json", check=0).stdout)
    assert got[0]["took"].startswith("PT") and got[0]["took"].endswith("S")
    assert got[0]["b"] == "YWI=" and got[0]["d"] == 1.25 and got[0]["n"] == "nan"
    assert got[0]["l"] == [1, 2] and got[0]["s"] == {"k": "PT1H30M"}
    lines = run("query", "SELECT doc_id, title FROM documents ORDER BY doc_id", "--db", db,
                "--format", "ndjson", check=0).stdout.splitlines()
    assert len(lines) == 2 and all(json.loads(x)["title"].endswith("年度报告") for x in lines)
    p = run("query", "SELECT title, agency, source_path FROM documents ORDER BY year", "--db", db, check=0)
    rows = p.stdout.splitlines()
    assert rows[0].split() == ["title", "agency", "source_path"]
    assert len(rows) == 4 and rows[-1] == "(2 rows)"  # one line a row, however wide
    assert run("query", "SELECT * FROM documents", "--db", db, "--limit", "1", check=0).stdout.splitlines()[-1] \
        == "(first 1 of 2 rows)"
    p = run("query", "SELECT agency FROM documnts", "--db", db, check=1)
    assert 'Did you mean "documents"' in p.stderr and "^" in p.stderr


def test_database_from_the_environment_quiet_and_short_help(tmp_path):
    db = tmp_path / "env.duckdb"
    env = {"COLUMNS": "160", "PATH": "/usr/bin:/bin", "REPORTDB_DB": str(db)}
    cmd = [sys.executable, "-m", "pipeline.cli"]
    p = subprocess.run(cmd + ["-q", "ingest", str(SAMPLES / "2024_dongwu_town.txt"), str(tmp_path / "none.txt")],
                       capture_output=True, text=True, env=env, cwd=tmp_path)
    assert p.returncode == 1
    lines = p.stdout.splitlines()  # quiet: the failure and the summary, not the loaded file
    assert len(lines) == 2 and lines[0].startswith("failed") and "none.txt" in lines[0]
    assert lines[1].endswith(f"→ {db}") and db.exists() and not (tmp_path / "reportdb.duckdb").exists()
    p = subprocess.run(cmd + ["query", "SELECT count(*) AS n FROM documents WHERE status = 'ok'", "--format", "csv"],
                       capture_output=True, text=True, env=env, cwd=tmp_path)
    assert p.stdout.splitlines() == ["n", "1"]
    p = subprocess.run(cmd + ["query", "-h"], capture_output=True, text=True, env=env)
    assert p.returncode == 0 and "REPORTDB_DB" in p.stdout and "--limit" in p.stdout


def test_verbose_ingest_names_what_reads_first(tmp_path):
    p = run("-v", "ingest", SAMPLES / "2024_dongwu_town.txt", "--db", tmp_path / "v.duckdb", "--no-snapshot", check=0)
    lines = p.stdout.splitlines()
    assert len(lines) == 3, lines  # the versions, the file, the summary
    assert lines[0].startswith("reportdb ") and "DuckDB" in lines[0] and "OpenCV" in lines[0]
    assert "2024_dongwu_town.txt" in lines[1] and lines[2].startswith("1 files: 1 loaded")
