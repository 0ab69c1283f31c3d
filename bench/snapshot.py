"""What publishing the readers' copy costs (``warehouse.snapshot.publish``).

    python -m bench.snapshot [--docs 5000]

Builds a database of ``--docs`` documents in the proportions of the committed
fixtures (text dumps, born-digital PDFs and scans, the scans with their review
page images): the fixtures are ingested once, then their rows are copied under
new document ids until the count is reached. Then publishes the snapshot three
times and prints the size, the seconds and the throughput, with what that means
for a 100,000-report archive.
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from pathlib import Path

import duckdb

from pipeline.ingest import ingest
from warehouse.schema import DOC_TABLES
from warehouse.snapshot import publish, snapshot_path

ROOT = Path(__file__).resolve().parent.parent


def build(db: Path, docs: int) -> None:
    for suffix in ("", ".wal", ".lock"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    seed = db.parent / "seed"
    if seed.exists():
        shutil.rmtree(seed)
    seed.mkdir(parents=True)
    for folder in ("samples", "scans"):
        for f in (ROOT / "fixtures" / folder).iterdir():
            if not f.name.endswith(".json"):
                shutil.copy(f, seed / f.name)
    s = ingest([str(seed)], str(db), snapshot=False)
    base = [r.doc_id for r in s.results if r.outcome == "loaded"]
    con = duckdb.connect(str(db))
    n = len(base)
    copies = max(0, (docs - n + n - 1) // n)
    doc_cols = [r[0] for r in con.execute("SELECT column_name FROM (DESCRIBE documents)").fetchall()]
    sel = ", ".join("printf('%016x', hash(doc_id, i)) AS doc_id" if c == "doc_id" else
                    "source_path || '#' || i AS source_path" if c == "source_path" else
                    "printf('%064x', hash(sha256, i)) AS sha256" if c == "sha256" else c for c in doc_cols)
    con.execute("CREATE TEMP TABLE k AS SELECT range AS i FROM range(1, ?)", [copies + 1])
    con.execute(f"INSERT INTO documents SELECT {sel} FROM documents, k WHERE doc_id IN "
                f"({','.join('?' * n)})", base)
    for t in DOC_TABLES:
        cols = [r[0] for r in con.execute(f"SELECT column_name FROM (DESCRIBE {t})").fetchall()]
        sel = ", ".join("printf('%016x', hash(doc_id, i)) AS doc_id" if c == "doc_id" else c for c in cols)
        con.execute(f"INSERT INTO {t} SELECT {sel} FROM {t}, k WHERE doc_id IN ({','.join('?' * n)})", base)
    con.execute("CHECKPOINT")
    con.close()


def main() -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.snapshot", description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=5000)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "snapshot")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    db = args.out / "archive.duckdb"
    t0 = time.perf_counter()
    build(db, args.docs)
    con = duckdb.connect(str(db), read_only=True)
    docs, scans, images, cells = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE media_type LIKE 'image/%' OR doc_id IN "
        "(SELECT doc_id FROM page_images)), (SELECT count(*) FROM page_images), "
        "(SELECT count(*) FROM cells) FROM documents").fetchone()
    con.close()
    size = db.stat().st_size
    print(f"built in {time.perf_counter() - t0:.0f} s: {docs} documents ({scans} with page images, "
          f"{images} page images), {cells} cells; {size / (1 << 20):.0f} MB")
    print("| publish | MB | seconds | MB/s |")
    print("|---|---|---|---|")
    best = None
    for i in range(3):
        done = publish(str(db))
        rate = done.size / (1 << 20) / done.seconds
        best = rate if best is None else max(best, rate)
        print(f"| {i + 1} | {done.size / (1 << 20):.0f} | {done.seconds:.2f} | {rate:.0f} |")
    per_doc = size / docs
    print(f"{per_doc / 1024:.0f} kB a document; a 100,000-report archive in these proportions: "
          f"{per_doc * 1e5 / (1 << 30):.1f} GB, copied in about {per_doc * 1e5 / (1 << 20) / best:.0f} s")
    snapshot_path(db).unlink()
    db.unlink()
    print(f"load average: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
