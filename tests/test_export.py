"""``reportdb export``: every table and view written, read back with DuckDB, same rows."""

import subprocess
import sys

import duckdb
import pytest

from pipeline.ingest import ingest
from warehouse.export import TABLES, ExportRefused, export, reader
from warehouse.query import DatabaseUnavailable
from warehouse.views import VIEWS

from .conftest import SAMPLES


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("exp") / "e.duckdb")
    assert ingest([str(SAMPLES / "2019_xihu_gov2019.txt"), str(SAMPLES / "2024_dongwu_town.txt")],
                  path).ok
    return path


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_round_trip_same_rows(db, tmp_path, fmt):
    written = {e.name: e.rows for e in export(db, str(tmp_path), fmt)}
    assert set(written) == set(TABLES) | set(VIEWS)
    src = duckdb.connect(db, read_only=True)
    mem = duckdb.connect()
    for name in written:
        n = src.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
        assert written[name] == n
        assert mem.execute(f"SELECT count(*) FROM {reader(str(tmp_path), name)}").fetchone()[0] == n, name


def test_parquet_is_partitioned_by_year_and_province(db, tmp_path):
    export(db, str(tmp_path))
    years = sorted(p.name for p in (tmp_path / "cells").iterdir())
    assert years == ["year=2019", "year=2024"]
    mem = duckdb.connect()
    got = mem.execute(f"SELECT year, province, count(*) FROM {reader(str(tmp_path), 'cells')} "
                      "GROUP BY ALL ORDER BY 1").fetchall()
    src = duckdb.connect(db, read_only=True).execute(
        "SELECT d.year, d.province, count(*) FROM cells JOIN documents d USING (doc_id) "
        "GROUP BY ALL ORDER BY 1").fetchall()
    assert got == src and got[0][1] == "浙江省"


def test_values_survive_the_round_trip(db, tmp_path):
    export(db, str(tmp_path))
    mem = duckdb.connect()
    back = mem.execute("SELECT doc_id, new_requests, handled, region_code FROM "
                       f"{reader(str(tmp_path), 'v_requests')} ORDER BY doc_id").fetchall()
    src = duckdb.connect(db, read_only=True).execute(
        "SELECT doc_id, new_requests, handled, region_code FROM v_requests ORDER BY doc_id").fetchall()
    assert back == src


def test_errors(tmp_path):
    with pytest.raises(DatabaseUnavailable):
        export(str(tmp_path / "none.duckdb"), str(tmp_path / "out"))
    with pytest.raises(ValueError, match="parquet or csv"):
        export(str(tmp_path / "none.duckdb"), str(tmp_path / "out"), "xml")
    p = subprocess.run([sys.executable, "-m", "pipeline.cli", "export", str(tmp_path / "o"),
                        "--db", str(tmp_path / "none.duckdb")], capture_output=True, text=True)
    assert p.returncode == 4 and p.stderr.strip().count("\n") == 0 and "no database" in p.stderr  # 4: unusable


def test_an_export_replaces_the_folder_whole(db, tmp_path):
    """Regression: exporting over an earlier export left its partitions behind
    (a year the new database does not have was still read back)."""
    out = tmp_path / "out"
    export(db, str(out))
    stale = out / "cells" / "year=1999" / "province=x"
    stale.mkdir(parents=True)
    (stale / "data_0.parquet").write_bytes((next((out / "cells").rglob("*.parquet"))).read_bytes())
    with pytest.raises(ExportRefused, match="not empty"):
        export(db, str(out))
    assert stale.exists()  # refused: nothing touched
    export(db, str(out), overwrite=True)
    assert not stale.exists()
    assert sorted(p.name for p in (out / "cells").iterdir()) == ["year=2019", "year=2024"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no work folder left
    p = subprocess.run([sys.executable, "-m", "pipeline.cli", "export", str(out), "--db", db],
                       capture_output=True, text=True)
    assert p.returncode == 2 and "--overwrite" in p.stderr and p.stderr.strip().count("\n") == 0
