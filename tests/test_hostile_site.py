"""Issue 21, item 1: no text of a report runs as script in the archivist's browser.

Documents made here carry script in every field that reaches the review pages:
the title and the issuing body (a text dump and a Word document), a value of a
table and the flag that quotes it, paragraphs, a pre-2019 annex whose group
heading and indicator name are the row key (the issue's ``"><svg`` over
``onload=alert`1`>``), its unit and a value, a saved web page, file names (one
of a failed file), and a reviewer's name and note. The static site (opened from
disk) and the station (served) are loaded in headless Chromium: no dialog, no
marker set, no element from a payload, no script but the site's own, no
Content-Security-Policy violation (which would mean markup got through), and
the payloads are on the page as text.
"""

from __future__ import annotations

import html
import shutil
import socket
import threading
import time
from pathlib import Path

import duckdb
import pytest
import uvicorn
from playwright.sync_api import sync_playwright

from pipeline.ingest import ingest
from pipeline.review import write_site
from pipeline.station import Station
from pipeline.verify import correct
from warehouse.schema import connect

from .conftest import FORMS, LEGACY, SAMPLES

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
MARK = "window.__pwned=1;alert(document.domain)"


def payload(n: int) -> str:
    """Script in every HTML context: element text, a quoted or bare attribute, a tag."""
    return (f"\"'><img src=x onerror=\"{MARK}\"><svg onload={MARK}><script>{MARK}</script>"
            f"<a href=javascript:{MARK}>{n}</a>")


def tight(n: int) -> str:
    """For a title and an issuing body (squashed: no spaces; no full stop)."""
    return f"<svg/onload=alert({n})><img/src=x/onerror=alert({n})>"


FILE_NAME = "\"'><img src=x onerror=window.__pwned=4><svg onload=window.__pwned=4>"


def _inbox(folder: Path) -> None:
    text = (SAMPLES / "2024_dongwu_town.txt").read_text(encoding="utf-8")
    title = "宁波市鄞州区东吴镇人民政府2024年政府信息公开工作年度报告"
    assert title in text
    text = text.replace(title, f"宁波市{tight(1)}鄞州区东吴镇人民政府2024年政府信息公开工作年度报告", 1)
    text = text.replace("各项工作有序开展。", "各项工作有序开展。" + payload(2), 1)
    text = text.replace("规章\t0\t0\t0", f"规章\t{payload(3)}\t0\t0", 1)
    (folder / f"{FILE_NAME}.txt").write_text(text, encoding="utf-8")

    annex = (LEGACY / "2016_xiongxian_annex.txt").read_text(encoding="utf-8")
    for old, new in (("二、回应解读情况\t\t", "二、\"><svg\t\t"),  # the issue's own case
                     ("（一）回应公众关注热点或重大舆情数（不同方式回应同一热点或舆情计1次）\t次\t7",
                      f"onload=alert`1`>\t次{payload(5)}\t7"),
                     ("1.当面申请数\t件\t8", f"1.当面申请数{payload(6)}\t件\t约8{payload(7)}")):
        assert old in annex
        annex = annex.replace(old, new, 1)
    (folder / "legacy.txt").write_text(annex, encoding="utf-8")

    page = (FORMS / "2021_yulin_street_dashes_utf8.html").read_text(encoding="utf-8")
    page = page.replace("玉林街道办事处政府信息公开工作年度报告",
                        "玉林" + html.escape(tight(8)) + "街道办事处政府信息公开工作年度报告")
    page = page.replace("</h1>", "</h1><p>" + html.escape(payload(8)) + "</p>", 1)
    (folder / "page.html").write_text(page, encoding="utf-8")

    import docx
    word = docx.Document(str(FORMS / "2022_gengma_template2019.docx"))
    first = next(p for p in word.paragraphs if "耿马" in p.text)
    run = next(r for r in first.runs if "耿马" in r.text)
    run.text = run.text.replace("耿马", f"耿马{tight(9)}", 1)
    word.save(str(folder / "word.docx"))

    (folder / "<svg onload=window.__pwned=13>.pdf").write_bytes(b"")  # a failed file, listed by name


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    inbox = base / "in"
    inbox.mkdir()
    _inbox(inbox)
    db = str(base / "h.duckdb")
    ingest([str(inbox)], db)
    con = connect(db)
    try:
        doc = con.execute("SELECT doc_id FROM documents WHERE source_path LIKE '%.txt' "
                          "AND format = 'gov2021'").fetchone()[0]
        correct(con, doc, "requests", "granted", "natural_person", "5", by=tight(11), note=payload(12))
    finally:
        con.close()
    return base, db


def test_the_payloads_reach_every_field(hostile):
    """The inputs do what they should: script sits in each field the pages show."""
    _, db = hostile
    con = duckdb.connect(db, read_only=True)
    try:
        def has(sql: str) -> bool:
            return con.execute(sql).fetchone()[0] > 0
        assert has("SELECT count(*) FROM documents WHERE title LIKE '%<svg/onload%' AND agency LIKE '%<svg/onload%'")
        assert has("SELECT count(*) FROM documents WHERE source_path LIKE '%.docx' AND agency LIKE '%<svg%'")
        assert has("SELECT count(*) FROM documents WHERE source_path LIKE '%onerror=window.__pwned=4%'")
        assert has("SELECT count(*) FROM documents WHERE status = 'failed' AND source_path LIKE '%<svg%'")
        assert has("SELECT count(*) FROM cells WHERE row_key = '\"><svg/onload=alert`1`>'")  # the key
        assert has("SELECT count(*) FROM cells WHERE table_key = 'legacy_stats' AND unit LIKE '%<script>%'")
        assert has("SELECT count(*) FROM cells WHERE raw LIKE '%<script>%'")
        assert has("SELECT count(*) FROM flags WHERE severity = 'review' AND detail LIKE '%<script>%'")
        assert has("SELECT count(*) FROM flags WHERE severity = 'review' AND scope LIKE '%<script>%'")
        assert has("SELECT count(*) FROM paragraphs WHERE text LIKE '%<script>%'")
        assert has("SELECT count(*) FROM corrections WHERE corrected_by LIKE '%<svg%' AND note LIKE '%<script>%'")
    finally:
        con.close()


_INSPECT = """() => {
  const own = new Set(["review.js", "station.js"]);
  const scripts = [...document.scripts].map(s => s.src.split("/").pop()).filter(n => !own.has(n));
  const handlers = [];
  for (const el of document.querySelectorAll("*"))
    for (const a of el.attributes) if (a.name.toLowerCase().startsWith("on")) handlers.push(el.tagName + " " + a.name);
  const js = [...document.querySelectorAll("[href],[src]")]
    .map(el => el.getAttribute("href") || el.getAttribute("src")).filter(u => /^\\s*javascript:/i.test(u));
  const meta = document.querySelector("meta[http-equiv='Content-Security-Policy']");
  return {pwned: window.__pwned === undefined ? null : String(window.__pwned), name: window.name,
          csp: meta ? meta.content : null, scripts, handlers, js,
          imgs: document.querySelectorAll("img[src='x']").length,
          svgs: document.querySelectorAll("svg:not(.boxes)").length,
          text: document.body.innerText};
}"""


def _visit(pages: list[str]) -> list[dict]:
    """Open each page in Chromium; what it found there, and what the browser said."""
    seen = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=CHROMIUM_ARGS)
        try:
            for url in pages:
                events: list[str] = []
                page = browser.new_page()
                page.on("dialog", lambda d: (events.append(f"dialog {d.message}"), d.dismiss()))
                page.on("console", lambda m: events.append(f"console {m.type}: {m.text}"))
                page.on("pageerror", lambda e: events.append(f"pageerror {e}"))
                page.goto(url)
                page.wait_for_load_state("load")
                time.sleep(0.3)  # a handler that would fire late (an image's onerror)
                got = page.evaluate(_INSPECT)
                for a in page.query_selector_all("a[href]"):  # hovering and clicking run no payload either
                    if a.is_visible():
                        a.hover()
                got["events"] = events
                got["url"] = url
                seen.append(got)
                page.close()
        finally:
            browser.close()
    return seen


def _assert_clean(seen: list[dict]) -> None:
    for got in seen:
        where = got["url"]
        assert got["pwned"] is None and got["name"] == "", where
        assert [e for e in got["events"] if e.startswith("dialog")] == [], where
        # a CSP report would mean markup got through and only the policy stopped it
        assert [e for e in got["events"] if "Content Security Policy" in e or "error" in e.split(":")[0]] == [], \
            (where, got["events"])
        assert got["scripts"] == [] and got["handlers"] == [] and got["js"] == [], where
        assert got["imgs"] == 0 and got["svgs"] == 0, where


def test_the_static_site_runs_no_script_from_a_report(hostile, tmp_path):
    base, db = hostile
    site = write_site(db, tmp_path / "site")
    pages = [site.index, *site.pages]
    assert len(site.pages) == 4
    seen = _visit([p.resolve().as_uri() for p in pages])
    _assert_clean(seen)
    for got in seen:
        assert (got["csp"] or "").startswith("default-src 'none'; script-src 'self'; style-src 'self'"), got["url"]
    for page in pages:  # no inline script or style at all, payload or not
        text = page.read_text(encoding="utf-8")
        assert "<script>" not in text and " style=" not in text and "<style" not in text
    shown = "\n".join(got["text"] for got in seen)
    for text in ('"><svg', "onload=alert`1`>", "<script>window.__pwned=1", FILE_NAME,
                 "<svg onload=window.__pwned=13>.pdf", tight(11)):
        assert text in shown, text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_station_runs_no_script_from_a_report(hostile):
    _, db = hostile
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(Station(db).app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started
    try:
        con = duckdb.connect(db, read_only=True)
        docs = [r[0] for r in con.execute("SELECT doc_id FROM documents WHERE status <> 'failed'").fetchall()]
        con.close()
        url = f"http://127.0.0.1:{port}"
        seen = _visit([url + "/", *(f"{url}/doc/{d}" for d in docs)])
    finally:
        server.should_exit = True
        thread.join(10)
    for got in seen:  # the station's own 404s for snippets of cells without a box are not payloads
        got["events"] = [e for e in got["events"] if "404" not in e]
    _assert_clean(seen)
    assert FILE_NAME in seen[0]["text"]
