"""Operations (issue 20): readers never block the writer, every wait has a limit and
an exit code, failures stay visible night after night. Real subprocesses, real
DuckDB files; about 70 s on two cores."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from fixtures.generate import corpus
from pipeline.executors import LocalExecutor
from pipeline.ingest import FileJob, Processed
from pipeline.lock import BatchLock

from .conftest import ROOT, SAMPLES

ENV = {"COLUMNS": "250", "PATH": "/usr/bin:/bin", "HOME": "/tmp"}
CMD = [sys.executable, "-m", "pipeline.cli"]
SCAN = ROOT / "fixtures" / "scans" / "2019_xihu_gov2019_rotated.tif"  # OCR: seconds, not a fraction


def cli(*args, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([*CMD, *map(str, args)], capture_output=True, text=True, env=ENV, cwd=ROOT, **kw)


def rows(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def names(db: Path, sql: str) -> dict:
    return {Path(k).name: v for k, *v in rows(db, sql)}


# ------------------------------------------------------ readers and the writer

NOTEBOOK = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)  # opened once, kept open, as a notebook does
while True:
    try:
        print(con.execute("SELECT count(*) FROM documents").fetchone()[0], flush=True)
    except duckdb.Error as exc:
        print("error", exc, flush=True)
    if sys.stdin.readline().strip() == "stop":
        break
"""


def test_a_notebook_on_the_snapshot_never_fails_and_never_holds_the_batch(tmp_path):
    """The README tells notebooks and BI tools to open DB.snapshot.duckdb: one
    connection held open across the whole batch (another process) and one opened
    again and again (here) never fail, and the batch, allowed to wait 10 s in all,
    never waits for them."""
    inbox = tmp_path / "inbox"
    corpus(inbox, 8)
    for t in inbox.glob("*.truth.json"):
        t.unlink()
    shutil.copy(SCAN, inbox / "scan.tif")
    n_docs = sum(1 for _ in inbox.iterdir())
    db = tmp_path / "archive.duckdb"
    snap = tmp_path / "archive.snapshot.duckdb"
    batch = subprocess.Popen([*CMD, "batch", str(inbox), "--db", str(db), "--workers", "1", "--wait", "10",
                              "--snapshot-every", "1"],  # copies published during the run too
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV, cwd=ROOT)
    deadline = time.monotonic() + 60
    while not snap.exists():  # published as soon as the schema is there
        assert batch.poll() is None and time.monotonic() < deadline, batch.communicate()
        time.sleep(0.05)
    notebook = subprocess.Popen([sys.executable, "-c", NOTEBOOK, str(snap)], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True, env=ENV)
    held_counts, errors, fresh_counts = [notebook.stdout.readline().strip()], [], []
    t0 = time.monotonic()
    while batch.poll() is None:
        try:
            con = duckdb.connect(str(snap), read_only=True)  # a script opening it again and again
            fresh_counts.append(con.execute("SELECT count(*) FROM documents").fetchone()[0])
            con.close()
        except duckdb.Error as exc:  # pragma: no cover — what must not happen
            errors.append(str(exc))
        notebook.stdin.write("\n")
        notebook.stdin.flush()
        held_counts.append(notebook.stdout.readline().strip())
        time.sleep(0.05)
    out, err = batch.communicate()
    seconds = time.monotonic() - t0
    notebook.stdin.write("stop\n")
    notebook.stdin.flush()
    notebook.wait(10)
    assert batch.returncode == 0, out + err
    assert errors == [] and len(fresh_counts) > 20
    assert "open in another process" not in err  # the writer never met the readers
    assert seconds < 120
    assert set(held_counts) == {held_counts[0]}, held_counts  # an open connection keeps reading its file
    assert not held_counts[0].startswith("error")
    assert fresh_counts == sorted(fresh_counts) and len(set(fresh_counts)) >= 2  # new copies seen as they came
    assert rows(snap, "SELECT count(*) FROM documents") == [(n_docs,)]  # the run's end, published
    assert rows(snap, "SELECT count(*) FROM runs WHERE finished_at IS NOT NULL") == [(1,)]
    assert f"readers' copy: {snap}" in out


def test_a_reader_holding_the_database_file_stops_a_writer_after_wait_with_exit_3(tmp_path):
    db = tmp_path / "a.duckdb"
    assert cli("ingest", SAMPLES / "2024_dongwu_town.txt", "--db", db).returncode == 0
    doc = rows(db, "SELECT doc_id FROM documents")[0][0]
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for f in sorted(SAMPLES.glob("*.txt"))[:3]:
        shutil.copy(f, inbox / f.name)
    reader = duckdb.connect(str(db), read_only=True)  # on the writer's file, against the README
    try:
        for args in (("batch", inbox), ("ingest", inbox), ("correct", doc, "proactive", "licensing",
                                                           "change", "1", "--by", "t")):
            t0 = time.monotonic()
            p = cli(*args, "--db", db, "--wait", "2")
            assert p.returncode == 3, (args, p.stdout, p.stderr)  # 3: busy
            assert 2 <= time.monotonic() - t0 < 20
            told, gave_up = p.stderr.strip().splitlines()  # once when it starts waiting, once when it stops
            assert "open in" in told and "waiting" in told
            assert gave_up.startswith(f"reportdb: {db}: held open by process") and "for 2 s" in gave_up
            assert "readonly" not in p.stderr and "Conflicting lock" not in p.stderr  # not DuckDB's own words
            assert reader.execute("SELECT count(*) FROM documents").fetchone() == (1,)  # the reader goes on
            assert "snapshot" in p.stderr  # where readers belong
    finally:
        reader.close()
    p = cli("batch", inbox, "--db", db, "--wait", "2")
    assert p.returncode == 0, p.stdout + p.stderr
    assert rows(db, "SELECT count(*), sum(CASE WHEN status = 'ok' THEN 1 ELSE 0 END) FROM documents") == [(4, 4)]


def test_exit_codes_are_the_readme_table(tmp_path):
    table = (ROOT / "README.md").read_text(encoding="utf-8").split("### Exit codes", 1)[1].split("\n#", 1)[0]
    assert [int(c) for c in re.findall(r"^\| (\d) \|", table, re.M)] == [0, 1, 2, 3, 4]
    db = tmp_path / "e.duckdb"
    good, empty = tmp_path / "good.txt", tmp_path / "empty.txt"
    shutil.copy(SAMPLES / "2024_dongwu_town.txt", good)
    empty.write_bytes(b"")
    assert cli("ingest", good, "--db", db).returncode == 0
    assert cli("ingest", empty, "--db", db).returncode == 1
    assert cli("batch", tmp_path / "no-inbox", "--db", db).returncode == 2
    assert cli("ingest", good, "--db", db, "--max-pages", "0").returncode == 2
    p = subprocess.run([*CMD, "ingest", str(good), "--db", str(db)], capture_output=True, text=True,
                       env={**ENV, "REPORTDB_MAX_PAGES": "lots"}, cwd=ROOT)
    assert p.returncode == 2 and p.stderr.strip() == "reportdb: REPORTDB_MAX_PAGES: 'lots' is not a number"
    with BatchLock(str(db)):  # another writer holds the database
        for args in (("ingest", good), ("batch", tmp_path), ("snapshot",)):
            p = cli(*args, "--db", db, "--wait", "0.5")
            assert p.returncode == 3 and "another batch is running" in p.stderr, (args, p.stderr)
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(b"not a database" * 100)
    for args in (("ingest", good), ("batch", tmp_path / "inbox-none"), ("query", "SELECT 1"), ("show", "x"),
                 ("audit", "--all"), ("export", tmp_path / "out")):
        if args[0] == "batch":
            (tmp_path / "inbox-none").mkdir(exist_ok=True)
        p = cli(*args, "--db", junk)
        assert p.returncode == 4, (args, p.stdout, p.stderr)
        (line,) = p.stderr.strip().splitlines()
        assert line.startswith(f"reportdb: {junk}: cannot be used as a database (") and "See also" not in line
    p = cli("query", "SELECT 1", "--db", tmp_path / "missing.duckdb")
    assert p.returncode == 4 and "no such database" in p.stderr


# ---------------------------------------------------- failures stay visible

def _readme_failures_query() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return re.search(r"Failed files of the last run[^`]*`reportdb query \"([^\"]+)\"`", text).group(1)


def test_failures_stay_visible_night_after_night(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(SAMPLES / "2024_dongwu_town.txt", inbox / "good.txt")
    data = (SAMPLES / "2019_xihu_gov2019.pdf").read_bytes()
    (inbox / "broken.pdf").write_bytes(data[: len(data) // 3])
    shutil.copy(SCAN, inbox / "scan.tif")  # longer than a second: times out
    db = tmp_path / "n.duckdb"
    query = _readme_failures_query()

    def night(*extra):
        p = cli("batch", inbox, "--db", db, "--workers", "2", "--timeout-per-file", "1", *extra)
        last = rows(db, "SELECT files_seen, files_loaded, files_unchanged, files_failed, files_failed_before "
                        "FROM runs ORDER BY run_id DESC LIMIT 1")[0]
        q = cli("query", query, "--db", db, "--format", "csv")
        assert q.returncode == 0, q.stderr
        listed = sorted(Path(r.split(",")[1]).name for r in q.stdout.splitlines()[1:])
        return p, last, listed

    p, last, listed = night()
    assert p.returncode == 1, p.stdout + p.stderr
    assert "3 documents: 1 loaded (1 ok, 0 needs_review), 0 unchanged, 2 failed →" in p.stdout
    assert last == (3, 1, 0, 2, 0)  # runs says what the summary says
    assert listed == ["broken.pdf", "scan.tif"]

    # night 2: nothing new. The time-out is tried once more, with twice the limit; the
    # broken PDF is not, and says so, in the log too (not a terminal)
    p, last, listed = night()
    assert p.returncode == 1, p.stdout + p.stderr
    assert ("3 documents in" in p.stdout and "1 to process, 1 unchanged, 1 failed before (not retried) "
            "(1 timed out before: tried again with a longer limit)" in p.stdout)
    (before,) = [ln for ln in p.stdout.splitlines() if ln.startswith("failed before")]
    assert "broken.pdf: broken PDF" in before and "run 1; the same bytes fail the same way" in before
    (retry,) = [ln for ln in p.stdout.splitlines() if "scan.tif" in ln]
    assert "timed out after 2 s (stage worker)" in retry and "tried again with 2 s" in retry
    assert "0 loaded (0 ok, 0 needs_review), 1 unchanged, 1 failed, 1 failed before, not retried →" in p.stdout
    assert last == (3, 0, 1, 1, 1)
    assert listed == ["broken.pdf", "scan.tif"]  # the README's query on night 2

    # night 3: timed out twice: not tried again, and the line says how to make it
    p, last, listed = night()
    assert p.returncode == 1
    assert "timed out twice: --retry-failed with a larger --timeout-per-file" in p.stdout
    assert "0 failed, 2 failed before, not retried →" in p.stdout and last == (3, 0, 1, 0, 2)
    assert listed == ["broken.pdf", "scan.tif"]
    assert rows(db, f"SELECT tried_run_id FROM failures WHERE run_id = 3 ORDER BY source_path") == [(1,), (2,)]

    # the failed files taken out of the inbox: nothing is left unloaded, exit 0
    (inbox / "broken.pdf").unlink()
    (inbox / "scan.tif").unlink()
    p, last, listed = night()
    assert p.returncode == 0 and last == (1, 0, 1, 0, 0) and listed == []


def _sleep(job: FileJob, page_workers: int = 1) -> Processed:
    time.sleep(float(Path(job.path).stem))
    return Processed(job.path, job.sha256, stage="read", error="slept")


def test_a_job_with_a_longer_limit_of_its_own_finishes():
    ex = LocalExecutor(workers=1, timeout=1.0, fn=_sleep)
    jobs = [FileJob("/x/2.0", None, timeout=4.0), FileJob("/x/3.0", None)]
    out = {j.path: p.error for j, p in filter(None, ex.run(jobs))}
    assert out == {"/x/2.0": "slept", "/x/3.0": "timed out after 1 s"}
