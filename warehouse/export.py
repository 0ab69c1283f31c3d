"""Export the contract's tables and the research views, for engines other than
DuckDB (Spark, Trino, pandas) or for an archive too big for one file.

Parquet: every table or view with a ``doc_id`` is written hive-style, partitioned
by the document's ``year`` and ``province`` (``cells/year=2023/province=山东省/…``),
so a reader can skip what it does not need; the two partition columns are added
from ``documents`` where the table lacks them. Tables without documents (runs,
failures, meta) and v_region_year are one file each. CSV: one file per table or
view, with the same columns.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import duckdb

from .query import DatabaseUnusable, open_read_only
from .views import VIEWS


def reader(out_dir: str, name: str) -> str:
    """The DuckDB table function that reads an exported table or view back, e.g.
    ``SELECT * FROM {reader(DIR, 'cells')}``."""
    base = Path(out_dir)
    if (base / f"{name}.csv").exists():
        return f"read_csv('{_q(base / (name + '.csv'))}', header = true)"
    if (base / f"{name}.parquet").exists():
        return f"read_parquet('{_q(base / (name + '.parquet'))}')"
    return (f"read_parquet('{_q(base / name)}/**/*.parquet', hive_partitioning = true, "
            "union_by_name = true)")


TABLES = ("documents", "cells", "checks", "mentions", "pages", "paragraphs", "flags", "page_images",
          "region_candidates", "corrections", "cell_values", "runs", "failures", "meta")
FORMATS = ("parquet", "csv")


class ExportRefused(RuntimeError):
    """The target folder holds files already and ``overwrite`` was not given."""


@dataclass(frozen=True)
class Exported:
    name: str
    rows: int
    path: str


def _columns(con, name: str) -> list[str]:
    return [r[0] for r in con.execute(f"DESCRIBE {name}").fetchall()]


def export(db: str, out_dir: str, fmt: str = "parquet", overwrite: bool = False) -> list[Exported]:
    """Write every table and view of ``db`` as the folder ``out_dir``; returns what was
    written (paths inside ``out_dir``).

    The export is written into a new folder beside the target and swapped in whole,
    so a reader never sees half an export and no partition of an earlier export (of
    this database or another) survives in it. A target that holds files already is
    replaced only with ``overwrite``; an empty one is taken."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r} (choose {' or '.join(FORMATS)})")
    if not Path(db).exists():
        raise DatabaseUnusable(f"no database at {db}")
    target = Path(out_dir)
    if target.exists() and not target.is_dir():
        raise ExportRefused(f"{target} exists and is not a folder")
    if target.is_dir() and any(target.iterdir()) and not overwrite:
        raise ExportRefused(f"{target} is not empty: give --overwrite to replace it, or a new folder")
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.export-", dir=target.parent))
    try:
        done = _write(db, work, fmt)
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
            target.rename(old / "export")
            work.rename(target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            work.rename(target)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return [Exported(e.name, e.rows, str(target / Path(e.path).relative_to(work))) for e in done]


def _write(db: str, out: Path, fmt: str) -> list[Exported]:
    con = open_read_only(db, opener=lambda path: duckdb.connect(path, read_only=True))  # waits out a window
    try:
        present = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables").fetchall()}
        done = []
        for name in [t for t in TABLES if t in present] + [v for v in VIEWS if v in present]:
            cols = _columns(con, name)
            rows = con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
            if fmt == "csv":
                path = out / f"{name}.csv"
                con.execute(f"COPY {name} TO '{_q(path)}' (FORMAT csv, HEADER)")
            elif "doc_id" in cols:
                path = out / name
                extra = [c for c in ("year", "province") if c not in cols]
                sel = (f"SELECT t.*, {', '.join('d.' + c for c in extra)} FROM {name} t "
                       f"LEFT JOIN documents d USING (doc_id)") if extra else f"SELECT * FROM {name}"
                if rows:
                    con.execute(f"COPY ({sel}) TO '{_q(path)}' (FORMAT parquet, PARTITION_BY (year, province))")
                else:  # no partitions to write: one empty file keeps the columns readable
                    path.mkdir(exist_ok=True)
                    con.execute(f"COPY ({sel}) TO '{_q(path / 'empty.parquet')}' (FORMAT parquet)")
            else:
                path = out / f"{name}.parquet"
                con.execute(f"COPY {name} TO '{_q(path)}' (FORMAT parquet)")
            done.append(Exported(name, rows, str(path)))
        return done
    finally:
        con.close()


def _q(path: Path) -> str:
    return str(path).replace("'", "''")
