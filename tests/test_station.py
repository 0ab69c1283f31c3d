"""The verification station (``reportdb review --serve``) driven in a real headless
Chromium: open the queue, go to the report with a printed typo, walk its doubtful
values by keyboard, correct one, see the status change, reload and find the
correction there; and what the station must refuse."""

from __future__ import annotations

import shutil
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import duckdb
import pytest
import uvicorn
from playwright.sync_api import sync_playwright

from pipeline.ingest import ingest
from pipeline.station import NotLoopback, Station, check_host

from .conftest import SAMPLES

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
HOSTILE = '"><img src=x onerror="window.__pwned=1">'  # a file name is written by someone else too
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def station(tmp_path_factory):
    base = tmp_path_factory.mktemp("station")
    src = base / "in"
    src.mkdir()
    # a scanned report whose printed typo breaks two identities: on OCR'd values that is a doubt
    # for the archivist (read from its text layer it would be a finding of the report)
    shutil.copy(SAMPLES.parent / "scans" / "2023_lixia_typo_clean.pdf", src / "2023_lixia_typo_clean.pdf")
    shutil.copy(SAMPLES / "2024_dongwu_town.txt", src / f"{HOSTILE}.txt")
    db = str(base / "s.duckdb")
    assert ingest([str(src)], db).ok
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(Station(db).app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    yield db, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def _typo(db: str) -> tuple[str, float]:
    con = duckdb.connect(db, read_only=True)
    try:
        doc_id = con.execute("SELECT doc_id FROM documents WHERE source_path LIKE '%lixia%'").fetchone()[0]
        value = con.execute("SELECT value FROM cells WHERE doc_id = ? AND table_key = 'requests' "
                            "AND row_key = 'granted' AND col_key = 'natural_person'", [doc_id]).fetchone()[0]
        return doc_id, value
    finally:
        con.close()


def test_an_archivist_corrects_a_report_by_keyboard(station):
    db, url = station
    doc_id, printed = _typo(db)
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("response", lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None)
            page.goto(url + "/")
            assert page.inner_text("h1") == "1 of 2 documents need review"
            assert page.evaluate("window.__pwned") is None
            assert HOSTILE in page.inner_text("#queue")  # the file name shows, literally
            page.fill("#reviewer", "张三")
            page.click(f"a[href='/doc/{doc_id}']")
            page.wait_for_selector("tr.cell.current")
            # the first doubtful value is selected; walk to the typo'd cell
            target = "c-requests-granted-natural_person"
            for _ in range(40):
                if page.get_attribute("tr.cell.current", "id") == target:
                    break
                page.keyboard.press("j")
            assert page.get_attribute("tr.cell.current", "id") == target
            assert page.is_visible(f"tr#{target} td.snip img")  # the cell as printed, beside its reading
            width = "document.querySelector('tr#%s td.snip img').naturalWidth" % target
            deadline = time.monotonic() + 10  # the page's CSP forbids wait_for_function's eval
            while page.evaluate(width) == 0 and time.monotonic() < deadline:
                time.sleep(0.1)
            assert page.evaluate(width) > 10
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "station-1400.png"))
            # every printed value legible beside its reading: each snippet loaded and
            # shown at least 24 px high (a digit of the page at about its printed size)
            for img in page.query_selector_all("td.snip img"):
                img.scroll_into_view_if_needed()
            deadline = time.monotonic() + 20
            while page.evaluate("[...document.querySelectorAll('td.snip img')].some(i => !i.complete)") \
                    and time.monotonic() < deadline:
                time.sleep(0.1)
            sizes = page.evaluate("[...document.querySelectorAll('td.snip img')]"
                                  ".map(i => [i.closest('tr').id, i.naturalWidth, i.getBoundingClientRect().height])")
            assert len(sizes) > 100
            small = [(cell, h) for cell, w, h in sizes if w == 0 or h < 24]
            assert small == [], small
            page.goto(url + f"/doc/{doc_id}#{target}")
            page.wait_for_selector("tr.cell.current")
            assert page.get_attribute("tr.cell.current", "id") == target
            page.keyboard.type(f"{printed - 1:g}")
            with page.expect_navigation():
                page.keyboard.press("Enter")
            assert page.inner_text("#status") == "ok"
            assert "now ok" in page.inner_text("#message")
            page.reload()
            assert "张三" in page.inner_text("#corrections")
            # Enter on a value with nothing typed confirms it as printed
            page.keyboard.press("j")
            with page.expect_navigation():
                page.keyboard.press("Enter")
            page2 = browser.new_page(viewport={"width": 1400, "height": 1000}, device_scale_factor=2)
            page2.goto(url + f"/doc/{doc_id}")
            page2.screenshot(path=str(ARTIFACTS / "station-2x.png"))
        finally:
            browser.close()
    assert sorted(set(errors))[:5] == [], len(errors)
    con = duckdb.connect(db, read_only=True)
    rows = con.execute("SELECT kind, corrected_by, new_value, old_raw = new_raw FROM corrections "
                       "ORDER BY correction_id").fetchall()
    assert rows[0] == ("manual", "张三", printed - 1, False)
    assert rows[1][0] == "confirmed" and rows[1][1] == "张三" and rows[1][3] is True
    assert con.execute("SELECT status FROM documents WHERE doc_id = ?", [doc_id]).fetchone()[0] == "ok"


def _post(url: str, data: dict, origin: str | None = None) -> int:
    req = urllib.request.Request(url, data=urllib.parse.urlencode(data).encode(), method="POST")
    if origin:
        req.add_header("Origin", origin)
    try:
        with urllib.request.urlopen(req) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_forms_from_elsewhere_are_refused(station):
    db, url = station
    doc_id, _ = _typo(db)
    before = duckdb.connect(db, read_only=True).execute("SELECT count(*) FROM corrections").fetchone()[0]
    form = {"table": "requests", "row": "granted", "col": "natural_person", "action": "correct",
            "value": "1", "by": "x"}
    assert _post(f"{url}/doc/{doc_id}/correct", form) == 403                          # no token
    assert _post(f"{url}/doc/{doc_id}/correct", {**form, "token": "guessed"}) == 403  # not issued
    html = urllib.request.urlopen(f"{url}/doc/{doc_id}").read().decode()
    token = html.split('name="token" value="', 1)[1].split('"', 1)[0]
    assert _post(f"{url}/doc/{doc_id}/correct", {**form, "token": token}, origin="http://evil.example") == 403
    after = duckdb.connect(db, read_only=True).execute("SELECT count(*) FROM corrections").fetchone()[0]
    assert after == before
    with urllib.request.urlopen(f"{url}/") as r:
        assert "script-src 'self'" in r.headers["Content-Security-Policy"]


def test_the_station_listens_on_loopback_only():
    check_host("127.0.0.1")
    check_host("::1")
    check_host("localhost")
    for host in ("0.0.0.0", "192.168.1.10", "example.org"):
        with pytest.raises(NotLoopback):
            check_host(host)
    check_host("0.0.0.0", allow_remote=True)
