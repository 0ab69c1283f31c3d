"""The load of one very large document: rows one at a time against in bulk.

    python -m bench.load [--mb 20]

Makes a text dump of ``--mb`` MB (``fixtures.big``), reads and extracts it once,
then writes the same extraction into two fresh databases: with the old
``executemany`` (one INSERT a row) and with the bulk insert the load uses now
(``warehouse.load._insert``: a pandas frame a table, one INSERT … SELECT). The
write holds the database: a reader waits for as long as it lasts.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import duckdb

import warehouse.load as wl
from fixtures.big import write_big_dump
from pipeline.ingest import FileJob, process, sha256_file, write_processed
from warehouse.schema import connect


def _one_by_one(con: duckdb.DuckDBPyConnection, table: str, rows: list[tuple]) -> None:
    if rows:  # the load as it was before issue 21
        con.executemany(f"INSERT INTO {table} VALUES ({','.join('?' * len(rows[0]))})", rows)


def _write(p, db: Path) -> float:
    con = connect(str(db))
    try:
        t0 = time.perf_counter()
        res = write_processed(con, 1, p)
        dt = time.perf_counter() - t0
        assert res.outcome == "loaded", res.error
        return dt
    finally:
        con.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="reportdb-bench-load-") as tmp:
        tmp = Path(tmp)
        dump = tmp / "big.txt"
        size = write_big_dump(dump, args.mb)
        t0 = time.perf_counter()
        p = process(FileJob(str(dump), sha256_file(str(dump))))
        read = time.perf_counter() - t0
        x = p.extraction
        rows = len(x.cells) + len(x.checks) + len(x.mentions) + len(x.pages) + len(x.paragraphs) + len(x.flags)
        bulk = _write(p, tmp / "bulk.duckdb")
        wl._insert, saved = _one_by_one, wl._insert
        try:
            single = _write(p, tmp / "single.duckdb")
        finally:
            wl._insert = saved
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"DuckDB {duckdb.__version__}")
    print(f"dump: {size / 1e6:.1f} MB, {rows} rows ({len(x.paragraphs)} paragraphs, {len(x.mentions)} mentions, "
          f"{len(x.flags)} flags, {len(x.pages)} pages, {len(x.cells)} cells); read + extract {read:.1f} s")
    print("| write | seconds | s / MB |\n|---|---|---|")
    print(f"| rows one at a time (`executemany`, before) | {single:.2f} | {single / (size / 1e6):.3f} |")
    print(f"| in bulk (a pandas frame a table, now) | {bulk:.2f} | {bulk / (size / 1e6):.3f} |")
    print(f"bulk is {single / bulk:.1f}x faster")


if __name__ == "__main__":
    main()
