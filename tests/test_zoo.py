"""Flattened text forms (issue 16): the committed zoo fixtures read whole against
their truth, and a property test over random reports, forms and knobs."""

from __future__ import annotations

import ast
import filecmp
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings, strategies as st

from bench.zoo import covered, read
from fixtures.zoo import FORMS, GOLDEN, golden, make

ZOO = Path(__file__).resolve().parent.parent / "fixtures" / "zoo"
FORM_IDS = sorted(GOLDEN) + ["h"]


def test_committed_zoo_is_what_the_generator_writes(tmp_path):
    for p in golden(tmp_path):
        assert filecmp.cmp(p, ZOO / p.name, shallow=False), f"{p.name} differs: run python -m fixtures.zoo"


def test_no_generator_imports_the_reader():
    # every module of fixtures/ (the zoo, the reportlab and office-suite paths, the scans):
    # a generator that imported the reader would print what the reader believes
    for path in sorted(ZOO.parent.glob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        mods = {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        mods |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert not {m.split(".")[0] for m in mods} & {"ocr", "extract", "warehouse", "pipeline"}, path.name


def _whole(form: str) -> list[str]:
    truth = json.loads((ZOO / f"zoo_{form}.truth.json").read_text("utf-8"))
    x = read((ZOO / f"zoo_{form}.txt").read_text("utf-8"))
    diffs = []
    for k in ("agency", "year", "format"):
        if truth["metadata"][k] != getattr(x, k):
            diffs.append(f"{k}: expected {truth['metadata'][k]!r}, got {getattr(x, k)!r}")
    want = {(c["table"], c["row"], c["col"]): c["value"] for c in truth["cells"]}
    have = {(c.table_key, c.row_key, c.col_key): c.value for c in x.cells}
    unread = 0
    for key in sorted(set(want) | set(have)):
        if key not in have and covered(x, *key):
            unread += 1  # not guessed: flagged, and the document cannot be ok
            continue
        if want.get(key, "absent") != have.get(key, "absent"):
            diffs.append(f"cell {key}: expected {want.get(key, 'absent')}, got {have.get(key, 'absent')}")
    failed = sorted(f"{c.check_key}:{c.scope}" for c in x.checks if not c.ok)
    if failed != truth["failed_checks"]:
        diffs.append(f"failed checks {failed}")
    expect_ok = truth["complete"] and not truth["failed_checks"] and not unread
    if (x.status == "ok") != expect_ok:
        diffs.append(f"status {x.status}: " + "; ".join(f"{f.flag} {f.scope}" for f in x.flags
                                                       if f.severity == "review")[:400])
    return diffs


def test_zoo_a_one_cell_per_line():
    assert _whole("a") == []


def test_zoo_b_pipe_residue():
    assert _whole("b") == []


def test_zoo_c_spaces_and_page_markers():
    assert _whole("c") == []


def test_zoo_d_glued_digits():
    assert _whole("d") == []


def test_zoo_e_crawler_markdown():
    assert _whole("e") == []


def test_zoo_f_zero_note():
    assert _whole("f") == []
    x = read((ZOO / "zoo_f.txt").read_text("utf-8"))
    assert any(f.flag == "zero_by_note" for f in x.flags)


def test_zoo_g_partial_tables_are_flagged():
    assert _whole("g") == []
    x = read((ZOO / "zoo_g.txt").read_text("utf-8"))
    scopes = {f.scope for f in x.flags if f.flag == "table_incomplete"}
    assert {"requests:denied_process", "requests:carried_out"} <= scopes


def test_zoo_h_annex():
    truth = json.loads((ZOO / "zoo_h.truth.json").read_text("utf-8"))
    x = read((ZOO / "zoo_h.txt").read_text("utf-8"))
    have = {(c.table_key, c.row_key, c.col_key): c.value for c in x.cells}
    want = {(c["table"], c["row"], c["col"]): c["value"] for c in truth["cells"]}
    if have:
        assert have == want
    else:  # not read: never ok
        assert x.status == "needs_review" and any(f.flag == "annex_unread" for f in x.flags)


def test_annex_heading_without_values_is_never_ok():
    text = (ZOO / "zoo_h.txt").read_text("utf-8")
    head = "政府信息公开情况统计表"
    cut = text.index(head) + len(head)
    x = read(text[:cut] + "\n（附表为图片）\n")
    assert x.format == "legacy" and x.status == "needs_review"
    assert any(f.flag == "annex_unread" for f in x.flags)


def test_glued_row_split_only_when_one_split_fits():
    from extract.align import Segment, readings, template
    from extract.flattext import Run
    from extract.templates import load_spec
    slot = next(s for s in template(load_spec()["gov2021"], "requests") if s.key == "new")
    # 2030000 23: six applicant values and a total that is their sum; 20,3,0,0,0,0 | 23 is the only split
    seg = Segment(slot, "一、", [Run("num", "2030000", 0), Run("num", "23", 0, True)])
    cands, _ = readings(seg, "gov2021")
    from extract.align import _row_ok
    from extract.checks import identities
    ids = [i for i in identities(load_spec()["gov2021"]) if i.check_key == "requests_row_total"
           and i.scope == "row=new"]
    fitting = [c for c in cands if _row_ok("requests", slot, c, ids)]
    assert fitting == [("20", "3", "0", "0", "0", "0", "23")]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6), form=st.sampled_from(FORMS))
def test_every_cell_is_read_or_flagged_and_never_wrong_in_ok(seed, form):
    rend = make(seed, form)
    x = read(rend.text)
    got = {(c.table_key, c.row_key, c.col_key): c for c in x.cells}
    for c in rend.truth["cells"]:
        key = (c["table"], c["row"], c["col"])
        have = got.get(key)
        exact = have is not None and have.value == c["value"]
        if not exact:
            assert x.status == "needs_review", (form, seed, key, c, have)
            assert have is None or have.value is None or covered(x, *key) or any(
                not k.ok for k in x.checks), (form, seed, key, c, have)
            assert have is None or have.value is None or rend.truth["failed_checks"] or covered(x, *key), \
                (form, seed, key, c, have)
