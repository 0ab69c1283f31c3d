"""Query values as text: every DuckDB type into JSON, and report text made safe for a terminal."""

from __future__ import annotations

import json
from datetime import timedelta

import duckdb
import pytest

from pipeline.output import iso_duration, jsonable, plain_columns, sanitize


@pytest.mark.parametrize("td, iso", [
    (timedelta(days=1, seconds=3723.5), "P1DT1H2M3.5S"),
    (timedelta(0), "PT0S"),
    (timedelta(days=2), "P2D"),
    (timedelta(minutes=-90), "-PT1H30M"),
])
def test_iso_duration(td, iso):
    assert iso_duration(td) == iso


def test_every_duckdb_type_becomes_json():
    row = duckdb.connect().execute(
        "SELECT INTERVAL 3 DAY, '\\x00\\xff'::BLOB, 12345678901234567890.12::DECIMAL(38,2), "
        "'00000000-0000-0000-0000-000000000001'::UUID, TIME '12:30:00', DATE '2024-01-31', "
        "MAP {'a': [1.5, 'inf'::DOUBLE]}, 'nan'::DOUBLE, [NULL, TRUE]").fetchone()
    got = [jsonable(v) for v in row]
    json.dumps(got, allow_nan=False)  # all of it is JSON
    assert got == ["P3D", "AP8=", "12345678901234567890.12", "00000000-0000-0000-0000-000000000001",
                   "12:30:00", "2024-01-31", {"a": [1.5, "inf"]}, "nan", [None, True]]


def test_terminal_text_is_sanitised():
    assert sanitize("成都\x1b[2J\x07市\tA\nB") == "成都\\x1b[2J\\x07市 A B"
    assert plain_columns(["名称", "n"], [["成都市", "1"], ["a", "22"]]).splitlines() == [
        "名称    n", "成都市  1", "a       22"]


def test_file_names_for_the_terminal_and_the_database():
    import os

    from pipeline.output import shown_name
    from warehouse.paths import os_path, stored_path

    gbk = os.fsdecode("报告".encode("gbk") + b".txt")     # as os.listdir hands it: lone surrogates
    assert stored_path(gbk) == "\\xb1\\xa8\\xb8\\xe6.txt" and os_path(stored_path(gbk)) == gbk
    assert stored_path("报告.txt") == "报告.txt" == os_path("报告.txt")
    assert shown_name(gbk) == "\ufffd" * 4 + ".txt"
    assert shown_name("\x1b[2J\x1b]0;x\x07a\u202eb.txt") == "\\x1b[2J\\x1b]0;x\\x07a\\u202eb.txt"
