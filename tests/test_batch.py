"""The unattended batch: real subprocesses, real DuckDB files, real signals, real Ray.

Small inputs on purpose (text and born-digital PDFs, one tiny scan), so the
whole file runs in about a minute on two cores.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pytest
from PIL import Image
from reportlab.pdfgen.canvas import Canvas

from fixtures.generate import corpus
from pipeline.batch import batch
from pipeline.executors import LocalExecutor
from pipeline.ingest import FileJob, Processed

from .conftest import ROOT, SAMPLES

ENV = {"COLUMNS": "200", "PATH": "/usr/bin:/bin", "HOME": "/tmp"}
CMD = [sys.executable, "-m", "pipeline.cli"]


def cli(*args, prefix=(), **kw) -> subprocess.CompletedProcess:
    return subprocess.run([*prefix, *CMD, *map(str, args)], capture_output=True, text=True,
                          env=ENV, cwd=ROOT, **kw)


def start(*args) -> subprocess.Popen:
    return subprocess.Popen([*CMD, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=ENV, cwd=ROOT)


def rows(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def by_name(db: Path, sql: str) -> dict:
    return {Path(k).name: v for k, v in rows(db, sql)}


@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> Path:
    """12 synthetic reports as text and PDF: 24 documents that read in seconds."""
    d = tmp_path_factory.mktemp("corpus")
    corpus(d, 12)
    for t in d.glob("*.truth.json"):
        t.unlink()
    return d


# ------------------------------------------------------------------ bad inputs

BAD = {  # file → (stage, reason as recorded)
    "empty.pdf": ("read", "empty file (0 bytes)"),
    "truncated.pdf": ("read", "broken PDF"),
    "locked.pdf": ("read", "password-protected PDF"),
    "lying.pdf": ("extract", "not a report"),  # read as the web page it is
    "noise.png": ("extract", "not a report"),
    "minutes.pdf": ("extract", "not a report"),
    "bomb.png": ("read", "image too large (DecompressionBombError: refused as a possible decompression bomb; "
                         "the limit is 100 megapixels a page"),
    "secret.txt": ("read", "permission denied"),
}


def _make_bad_inbox(d: Path) -> None:
    (d / "empty.pdf").write_bytes(b"")
    data = (SAMPLES / "2019_xihu_gov2019.pdf").read_bytes()
    (d / "truncated.pdf").write_bytes(data[: len(data) // 3])
    c = Canvas(str(d / "locked.pdf"), encrypt="secret")
    c.drawString(100, 700, "hello")
    c.save()
    (d / "lying.pdf").write_bytes(b"<!DOCTYPE html><html><body>2023 report</body></html>")
    rng = np.random.default_rng(7)
    Image.fromarray(rng.integers(0, 256, (300, 240), dtype=np.uint8)).save(d / "noise.png")
    c = Canvas(str(d / "minutes.pdf"))
    c.drawString(100, 700, "Minutes of the staff meeting, 3 March 2024. Agenda: canteen menu.")
    c.save()
    Image.new("1", (15000, 15000), 1).save(d / "bomb.png")  # 225 megapixels, 57 kB on disk
    shutil.copy(SAMPLES / "2023_lixia_typo.txt", d / "secret.txt")
    (d / "secret.txt").chmod(0)
    shutil.copy(SAMPLES / "2024_dongwu_town.txt", d / "good.txt")


def _unprivileged() -> tuple[str, ...]:
    """As root, file permissions do not apply: run the batch without the
    capabilities that bypass them, so the unreadable file really is unreadable."""
    if os.geteuid() != 0:
        return ()
    setpriv = shutil.which("setpriv")
    assert setpriv, "setpriv (util-linux) is needed to drop root's file-permission override"
    return (setpriv, "--bounding-set=-dac_override,-dac_read_search")


@pytest.fixture(scope="module")
def bad_run(tmp_path_factory):
    d = tmp_path_factory.mktemp("bad")
    inbox = d / "inbox"
    inbox.mkdir()
    _make_bad_inbox(inbox)
    db = d / "b.duckdb"
    p = cli("batch", inbox, "--db", db, "--workers", "2", prefix=_unprivileged())
    return p, db


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_is_a_one_line_failure(bad_run, name):
    p, db = bad_run
    stage, reason = BAD[name]
    failures = {Path(path).name: (s, e) for path, s, e in rows(db, "SELECT source_path, stage, error FROM failures")}
    assert failures[name][0] == stage
    assert failures[name][1].startswith(reason), failures[name]
    (line,) = [ln for ln in p.stdout.splitlines() if ln.endswith(f"(stage {stage})") and f"/{name}:" in ln]
    assert line.startswith("failed")
    assert by_name(db, "SELECT source_path, status FROM documents")[name] == "failed"


def test_bad_inputs_do_not_stop_the_batch(bad_run):
    p, db = bad_run
    assert p.returncode == 1, p.stdout + p.stderr
    assert by_name(db, "SELECT source_path, status FROM documents")["good.txt"] == "ok"
    assert rows(db, "SELECT files_seen, files_loaded, files_failed FROM runs") == [(9, 1, 8)]
    assert rows(db, "SELECT count(*) FROM cells")[0][0] == 200
    assert "\x1b[" not in p.stdout  # not a terminal: plain log lines, no progress bar


# ------------------------------------------------------------ incremental runs

def test_batch_takes_in_only_new_and_changed_files(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for f in sorted(SAMPLES.glob("*.txt"))[:3]:
        shutil.copy(f, inbox / f.name)
    db = tmp_path / "i.duckdb"
    p = cli("batch", inbox, "--db", db, "--workers", "2")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "3 documents in" in p.stdout and "3 loaded" in p.stdout

    p = cli("batch", inbox, "--db", db)
    assert p.returncode == 0 and "0 to process, 3 unchanged" in p.stdout

    shutil.copy(SAMPLES / "2024_dongwu_town.txt", inbox / "new.txt")
    changed = sorted(inbox.glob("20*.txt"))[0]
    changed.write_text(changed.read_text(encoding="utf-8") + "\n附：更正说明。\n", encoding="utf-8")
    shutil.copy(inbox / "new.txt", inbox / "copy-of-new.txt")
    p = cli("batch", inbox, "--db", db)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "5 documents in" in p.stdout and "2 to process, 3 unchanged" in p.stdout
    assert rows(db, "SELECT count(*), count(DISTINCT sha256), count(DISTINCT source_path) FROM documents") == [(4, 4, 4)]
    assert rows(db, "SELECT count(*) FROM runs WHERE finished_at IS NOT NULL") == [(3,)]


def test_time_limit_stops_one_file_and_the_rest_loads(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(ROOT / "fixtures" / "scans" / "2019_xihu_gov2019_rotated.tif", inbox / "scan.tif")
    shutil.copy(SAMPLES / "2024_dongwu_town.txt", inbox / "good.txt")
    db = tmp_path / "t.duckdb"
    t0 = time.monotonic()
    p = cli("batch", inbox, "--db", db, "--workers", "2", "--timeout-per-file", "2")
    assert time.monotonic() - t0 < 30
    assert p.returncode == 1, p.stdout + p.stderr
    assert rows(db, "SELECT stage, error FROM failures") == [("worker", "timed out after 2 s")]
    assert by_name(db, "SELECT source_path, status FROM documents") == {"scan.tif": "failed", "good.txt": "ok"}


def _sleep(job: FileJob, page_workers: int = 1) -> Processed:
    time.sleep(float(Path(job.path).stem))
    return Processed(job.path, job.sha256, stage="read", error="slept")


def _hog(job: FileJob, page_workers: int = 1) -> Processed:
    block = bytearray(int(job.path))  # more than the worker may have
    return Processed(job.path, job.sha256, stage="read", error=f"allocated {len(block)}")


def test_local_executor_kills_slow_and_greedy_work_and_goes_on():
    ex = LocalExecutor(workers=1, timeout=1.5, fn=_sleep)
    out = {j.path: p.error for j, p in filter(None, ex.run([FileJob("/x/30.0", None), FileJob("/x/0.1", None)]))}
    assert out == {"/x/30.0": "timed out after 1.5 s", "/x/0.1": "slept"}  # a new worker took over

    # a worker's warm-up (extraction modules, division tables) maps about 830 MB of
    # address space: at 768 MB it failed now and then, before any file was read
    ex = LocalExecutor(workers=1, memory_limit=1280 << 20, fn=_hog)
    out = [p.error for _, p in filter(None, ex.run([FileJob(str(4 << 30), None), FileJob(str(1 << 20), None)]))]
    assert out == ["out of memory (worker memory limit reached)", f"allocated {1 << 20}"]


# ------------------------------------------------------- lock, readers, kill -9

def _wait_for_lock(db: Path, proc: subprocess.Popen) -> None:
    lock = Path(f"{db}.lock")
    deadline = time.monotonic() + 30
    while not (lock.exists() and lock.read_text().startswith("pid")):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.05)


def test_second_batch_waits_then_exits_3_and_readers_never_break_the_batch(tmp_path, reports):
    db = tmp_path / "l.duckdb"
    inbox = tmp_path / "inbox"  # the text reports and a scan: long enough to query during it
    shutil.copytree(reports, inbox)
    shutil.copy(ROOT / "fixtures" / "scans" / "2019_xihu_gov2019_rotated.tif", inbox / "scan.tif")
    out_f, err_f = tmp_path / "out", tmp_path / "err"
    with open(out_f, "w") as out, open(err_f, "w") as err:
        first = subprocess.Popen([*CMD, "batch", str(inbox), "--db", str(db), "--workers", "1"],
                                 stdout=out, stderr=err, text=True, env=ENV, cwd=ROOT)
    _wait_for_lock(db, first)

    t0 = time.monotonic()
    second = cli("batch", inbox, "--db", db, "--wait", "1")
    assert second.returncode == 3 and time.monotonic() - t0 < 15  # 3: the database is busy
    waiting, gave_up = second.stderr.strip().splitlines()  # one line when it waits, one when it stops
    assert "another batch is running" in waiting and "waiting up to 1 s" in waiting
    assert "another batch is running" in gave_up and "(waited 1 s)" in gave_up
    assert first.poll() is None  # the second one gave up while the first was still running

    # a reader keeps the file open until the batch says it waits for it (it does
    # at its next commit, at the latest at its end); it must then go on and finish
    told = "the batch goes on and commits when it is free"
    con = duckdb.connect(str(db), read_only=True)
    held_while_running = first.poll() is None
    deadline = time.monotonic() + 120
    while told not in err_f.read_text() and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    con.close()
    counts = []  # researchers' queries during the rest of the batch
    while first.poll() is None and len(counts) < 5:
        q = cli("query", "SELECT count(*) AS n FROM documents", "--db", db, "--format", "csv")
        assert q.returncode == 0, q.stderr
        counts.append(int(q.stdout.splitlines()[1]))
    assert counts == sorted(counts)

    first.wait(timeout=120)
    assert first.returncode == 0, out_f.read_text() + err_f.read_text()
    assert held_while_running, "the batch finished before a reader could hold the file"
    assert told in err_f.read_text()
    assert rows(db, "SELECT count(*), count(DISTINCT sha256) FROM documents") == [(25, 25)]


def test_kill_9_at_any_moment_then_rerun_loads_each_file_once(tmp_path, reports):
    ref = tmp_path / "ref.duckdb"
    assert cli("batch", reports, "--db", ref, "--workers", "2").returncode == 0
    expected = rows(ref, "SELECT d.sha256, d.status, count(c.doc_id) FROM documents d "
                         "LEFT JOIN cells c USING (doc_id) GROUP BY ALL ORDER BY 1")

    db = tmp_path / "k.duckdb"
    for after_lines, extra_delay in ((2, 0.0), (4, 0.13), (1, 0.37)):
        p = start("batch", reports, "--db", db, "--workers", "2")
        seen = 0
        while seen < after_lines:  # the plan line, then one line per document written
            line = p.stdout.readline()
            assert line, p.communicate()
            seen += 1
        time.sleep(extra_delay)
        p.send_signal(signal.SIGKILL)
        p.wait()
        assert p.returncode == -signal.SIGKILL
    p = cli("batch", reports, "--db", db, "--workers", "2")
    assert p.returncode == 0, p.stdout + p.stderr
    got = rows(db, "SELECT d.sha256, d.status, count(c.doc_id) FROM documents d "
                   "LEFT JOIN cells c USING (doc_id) GROUP BY ALL ORDER BY 1")
    assert got == expected  # every file once, each with all its cells
    assert rows(db, "SELECT count(*) FROM documents") == [(24,)]
    assert rows(db, "SELECT count(*) FROM runs WHERE finished_at IS NULL") == [(3,)]


# ------------------------------------------------------------------------ Ray

def test_ray_executor_gives_the_local_results(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for f in sorted(SAMPLES.glob("*.txt"))[:3] + sorted(SAMPLES.glob("*.pdf"))[:2]:
        shutil.copy(f, inbox / f.name)
    (inbox / "empty.pdf").write_bytes(b"")

    def content(db: Path) -> tuple:
        return (rows(db, "SELECT doc_id, regexp_extract(source_path, '[^/]+$'), status, year, agency, "
                         "format FROM documents ORDER BY 1"),
                rows(db, "SELECT doc_id, table_key, row_key, col_key, value, raw, page, origin "
                         "FROM cells ORDER BY ALL"),
                rows(db, "SELECT doc_id, check_key, scope, ok FROM checks ORDER BY ALL"),
                rows(db, "SELECT regexp_extract(source_path, '[^/]+$'), stage, error FROM failures"))

    local = batch(inbox, str(tmp_path / "local.duckdb"), workers=2)
    ray_run = batch(inbox, str(tmp_path / "ray.duckdb"), workers=2, executor="ray")
    assert (local.count("loaded"), local.count("failed")) == (5, 1)
    assert (ray_run.count("loaded"), ray_run.count("failed")) == (5, 1)
    assert content(tmp_path / "ray.duckdb") == content(tmp_path / "local.duckdb")


def test_workers_that_cannot_start_fail_the_files_instead_of_spinning():
    # a memory limit too small for a worker to load the extraction modules: each
    # replacement would die the same way; after three the files fail with the reason
    ex = LocalExecutor(workers=1, memory_limit=96 << 20)
    t0 = time.monotonic()
    out = [p.error for _, p in filter(None, ex.run([FileJob("/x/a.txt", None), FileJob("/x/b.txt", None)]))]
    assert time.monotonic() - t0 < 60
    assert len(out) == 2 and all(e.startswith("no worker could start (3 died while loading") for e in out), out


# ------------------------------------------------------------- the write

class _Counting:
    """A connection that counts the statements sent through it."""

    def __init__(self, con):
        self.con, self.statements = con, 0

    def execute(self, *a, **k):
        self.statements += 1
        return self.con.execute(*a, **k)

    def executemany(self, sql, rows):
        self.statements += len(rows)  # one INSERT a row
        return self.con.executemany(sql, rows)

    def __getattr__(self, name):
        return getattr(self.con, name)


def test_a_large_dump_is_written_in_bulk(tmp_path):
    """A 3 MB text dump made now (tens of thousands of paragraphs, mentions and
    flags): the document's rows go in with a few statements, not one a row, all
    of them, in one transaction; and the batch loads it within its time limit."""
    from fixtures.big import write_big_dump
    from pipeline.ingest import process, sha256_file, write_processed
    from warehouse.schema import connect

    dump = tmp_path / "inbox" / "big.txt"
    dump.parent.mkdir()
    write_big_dump(dump, 3)
    p = process(FileJob(str(dump), sha256_file(str(dump))))
    x = p.extraction
    n_rows = len(x.cells) + len(x.checks) + len(x.mentions) + len(x.pages) + len(x.paragraphs) + len(x.flags)
    assert n_rows > 15_000
    con = _Counting(connect(str(tmp_path / "w.duckdb")))
    res = write_processed(con, 1, p)
    assert res.outcome == "loaded"
    assert con.statements < 60  # before: one INSERT a row, n_rows of them
    counts = con.execute("SELECT (SELECT count(*) FROM paragraphs), (SELECT count(*) FROM mentions), "
                         "(SELECT count(*) FROM flags), (SELECT count(*) FROM cells)").fetchone()
    assert counts == (len(x.paragraphs), len(x.mentions), len(x.flags), len(x.cells))
    con.con.close()

    summary = batch(dump.parent, str(tmp_path / "b.duckdb"), workers=1, timeout=120)
    assert [(r.outcome, r.status) for r in summary.results] == [("loaded", x.status)]


def test_the_time_limit_covers_the_write(tmp_path, monkeypatch):
    """A write still going when the file's limit runs out (reading time
    included) is interrupted and rolled back: the file is a one-line failure,
    nothing of it half there, and the database goes on taking the next file."""
    import warehouse.load as wl
    from pipeline.ingest import process, sha256_file, write_processed
    from warehouse.schema import connect

    src = tmp_path / "r.txt"
    shutil.copy(SAMPLES / "2024_dongwu_town.txt", src)
    p = process(FileJob(str(src), sha256_file(str(src))))
    p.seconds = 9.5  # the reading took 9.5 s of a 10 s limit
    real = wl.write_region

    def endless(con, doc_id, res):  # a write that would never end on its own
        con.execute("SELECT count(*) FROM range(1000000000000)").fetchone()

    monkeypatch.setattr(wl, "write_region", endless)
    con = connect(str(tmp_path / "t.duckdb"))
    t0 = time.monotonic()
    res = write_processed(con, 1, p, limit=10)
    assert time.monotonic() - t0 < 30
    assert (res.outcome, res.stage, res.error) == ("failed", "load",
                                                   "timed out after 10 s (while writing to the database)")
    assert con.execute("SELECT status FROM documents").fetchall() == [("failed",)]
    assert con.execute("SELECT count(*) FROM cells").fetchone() == (0,)
    assert con.execute("SELECT stage, error FROM failures").fetchall() == [("load", res.error)]
    monkeypatch.setattr(wl, "write_region", real)
    p.seconds = 0.0
    assert write_processed(con, 1, p, limit=10).outcome == "loaded"  # the connection still works
    con.close()


# ------------------------------------------------------------ names and kinds

GBK_NAME = "报告".encode("gbk") + b".txt"        # a Chinese name copied from Windows: not UTF-8
ESC_NAME = b"\x1b[31mred\x1b]0;owned\x07.txt"    # colours and a window title, if printed raw


def _strange_inbox(d: Path) -> Path:
    inbox = d / "inbox"
    inbox.mkdir()
    shutil.copy(SAMPLES / "2023_lixia_typo.txt", os.fsdecode(bytes(inbox) + b"/" + GBK_NAME))
    shutil.copy(SAMPLES / "2024_dongwu_town.txt", os.fsdecode(bytes(inbox) + b"/" + ESC_NAME))
    shutil.copy(SAMPLES / "2019_xihu_gov2019.txt", inbox / "good.txt")
    os.mkfifo(inbox / "pipe.txt")  # nobody writes to it: reading it would wait for ever
    (inbox / "gone.pdf").symlink_to(inbox / "nowhere.pdf")
    locked = inbox / "locked"
    locked.mkdir()
    shutil.copy(SAMPLES / "2021_yulin_street_dashes.txt", locked / "inside.txt")
    locked.chmod(0)
    return inbox


def _failures(db: Path) -> dict:
    return {Path(p).name: e for p, _, e in rows(db, "SELECT source_path, stage, error FROM failures")}


def test_any_file_name_and_only_regular_files(tmp_path):
    """A GBK-encoded name, a name with escape sequences, a FIFO, a broken link and
    a folder nobody may read, in one inbox: the names load (stored with the bytes
    that are not UTF-8 escaped, printed sanitised), the rest is named with its
    reason and recorded, and the run goes on to its end — twice."""
    inbox = _strange_inbox(tmp_path)
    db = tmp_path / "n.duckdb"
    for run in (1, 2):
        p = subprocess.run([*_unprivileged(), *CMD, "batch", str(inbox), "--db", str(db), "--workers", "2"],
                           capture_output=True, env=ENV, cwd=ROOT, timeout=300)
        out = p.stdout.decode("utf-8")  # valid UTF-8: no raw byte of a name
        assert p.returncode == 1, out + p.stderr.decode("utf-8", "replace")
        assert "\x1b" not in out and "\x07" not in out
        if run == 1:  # the second run names only what failed (the rest is unchanged)
            assert "\\x1b[31mred\\x1b]0;owned\\x07.txt" in out       # the name shown, escaped
            assert "/\ufffd\ufffd\ufffd\ufffd.txt" in out                 # GBK bytes shown as U+FFFD
        assert "pipe.txt: not a regular file" in out
        assert rows(db, f"SELECT count(*) FROM runs WHERE run_id = {run} AND finished_at IS NOT NULL") == [(1,)]
    stored = dict(rows(db, "SELECT regexp_extract(source_path, '[^/]+$'), status FROM documents"))
    # the typo report read from text: ok (its broken identity is a finding, not a doubt)
    assert stored == {"\\xb1\\xa8\\xb8\\xe6.txt": "ok", "\x1b[31mred\x1b]0;owned\x07.txt": "ok",
                      "good.txt": "ok"}
    fails = _failures(db)
    assert fails["pipe.txt"] == "not a regular file but a pipe (FIFO): only regular files are read"
    assert fails["gone.pdf"].startswith("broken symbolic link (to ")
    assert fails["locked"].startswith("folder cannot be read (Permission denied)")
    assert rows(db, "SELECT files_seen, files_loaded, files_failed FROM runs WHERE run_id = 1") == [(6, 3, 3)]
    # the stored form leads back to the file
    from warehouse.paths import os_path
    (path,) = rows(db, "SELECT source_path FROM documents WHERE source_path LIKE '%xb1%'")[0]
    assert os.fsencode(os_path(path)) == bytes(inbox) + b"/" + GBK_NAME


def test_ingest_refuses_pipes_and_devices_named_on_the_command_line(tmp_path):
    """``reportdb ingest <(cat report.txt)``, a FIFO and /dev/zero: each refused at
    once with its reason (nothing hangs, nothing read 'empty'); a name that is not
    UTF-8, given on the command line, loads."""
    gbk = os.fsdecode(bytes(tmp_path) + b"/" + GBK_NAME)
    shutil.copy(SAMPLES / "2023_lixia_typo.txt", gbk)
    os.mkfifo(tmp_path / "fifo.txt")
    r, w = os.pipe()
    os.write(w, (SAMPLES / "2024_dongwu_town.txt").read_bytes()[:60000])
    os.close(w)
    try:
        p = subprocess.run([*CMD, "ingest", gbk, str(tmp_path / "fifo.txt"), "/dev/zero", f"/dev/fd/{r}",
                            "--db", str(tmp_path / "i.duckdb")], capture_output=True, env=ENV, cwd=ROOT,
                           timeout=120, pass_fds=(r,))
    finally:
        os.close(r)
    out = p.stdout.decode("utf-8")
    assert p.returncode == 1, out + p.stderr.decode("utf-8", "replace")
    lines = [ln for ln in out.splitlines() if ln.startswith("failed")]
    assert len(lines) == 3 and all(ln.endswith("(stage read)") for ln in lines)
    assert any("fifo.txt: not a regular file but a pipe (FIFO)" in ln for ln in lines)
    assert any("/dev/zero: not a regular file but a character device" in ln for ln in lines)
    assert any(f"/dev/fd/{r}: not a regular file but a pipe (FIFO)" in ln for ln in lines)
    assert "empty file" not in out
    assert rows(tmp_path / "i.duckdb", "SELECT source_path, status FROM documents") == [
        (str(tmp_path) + "/\\xb1\\xa8\\xb8\\xe6.txt", "ok")]
