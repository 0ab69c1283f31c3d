"""The review site: static HTML an archivist opens from disk, no server.

``index.html`` lists the documents that need review, with why (failed
identities, review flags, corrections made); each ``doc-<id>.html`` shows the
page images with the box of every extracted cell drawn on them (flagged ones
highlighted) beside the tables laid out like the official format, every value
coloured by confidence, the failed identities spelled out cell by cell, and the
repairs the identities suggest, each with the command that accepts it.
Pointing at a value highlights its box on the page, and the other way round.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

from extract.checks import identities
from extract.legacy import ANNEX_TITLE, MEASURES, TABLE as ANNEX
from extract.repairs import Suggestion
from extract.templates import TABLE_TITLES, load_spec
from warehouse.query import DocumentView, find_document, list_documents, open_read_only

from .render import annex_layout
from .verify import suggestions

SURE, UNSURE = 0.9, 0.75  # confidence bands: sure ≥ 0.9 > middling ≥ 0.75 > unsure


@dataclass
class Site:
    index: Path
    pages: list[Path]


def write_site(db: str, out: str | Path, doc: str | None = None) -> Site:
    """Write the review site for every document (or only ``doc``) into ``out``."""
    out = Path(out)
    (out / "img").mkdir(parents=True, exist_ok=True)
    docs = list_documents(db)
    if doc is not None:
        view = find_document(db, doc)
        if view is None:
            raise LookupError(f"{doc}: no such document in {db}")
        docs = [d for d in docs if d["doc_id"] == view.meta["doc_id"]]
    pages = []
    con = open_read_only(db)
    try:
        for d in docs:
            if d["status"] == "failed":
                continue
            view = find_document(db, d["doc_id"], images=True)
            sugg = suggestions(con, d["doc_id"], view.meta.get("format"))
            pages.append(_write_document(out, view, sugg))
    finally:
        con.close()
    index = out / "index.html"
    index.write_text(_index(docs), encoding="utf-8")
    (out / "review.css").write_text(CSS, encoding="utf-8")
    (out / "review.js").write_text(JS, encoding="utf-8")
    return Site(index, pages)


# ---------------------------------------------------------------------- pages

def _e(x) -> str:
    return html.escape("" if x is None else str(x))


def _page(title: str, body: str) -> str:
    return ("<!DOCTYPE html>\n<html lang=\"zh\"><head><meta charset=\"utf-8\">"
            f"<title>{_e(title)}</title><link rel=\"stylesheet\" href=\"review.css\"></head>"
            f"<body>{body}<script src=\"review.js\"></script></body></html>\n")


def _index(docs: list[dict]) -> str:
    rows = []
    for d in docs:
        reasons = []
        if d["failed"]:
            reasons.append(f"{d['failed']} identities fail")
        reasons += list(d["reasons"] or [])
        link = (f"<a href=\"doc-{_e(d['doc_id'])}.html\">{_e(d['doc_id'])}</a>"
                if d["status"] != "failed" else _e(d["doc_id"]))
        rows.append(f"<tr class=\"st-{_e(d['status'])}\"><td>{link}</td><td>{_e(d['agency'])}</td>"
                    f"<td>{_e(d['year'])}</td><td>{_e(d['format'])}</td><td>{_e(d['status'])}</td>"
                    f"<td>{_e(', '.join(reasons))}</td><td>{d['corrections'] or ''}</td>"
                    f"<td class=\"path\">{_e(d['source_path'])}</td></tr>")
    todo = sum(1 for d in docs if d["status"] == "needs_review")
    body = (f"<h1>reportdb review</h1><p>{todo} of {len(docs)} documents need review.</p>"
            "<table class=\"list\"><tr><th>document</th><th>agency</th><th>year</th><th>format</th>"
            "<th>status</th><th>why</th><th>corrections</th><th>file</th></tr>"
            + "".join(rows) + "</table>")
    return _page("reportdb review", body)


def _key_id(k: tuple[str, str, str]) -> str:
    return "c-" + "-".join(k)


def _write_document(out: Path, view: DocumentView, sugg: list[Suggestion]) -> Path:
    m = view.meta
    doc_id = m["doc_id"]
    fmt = load_spec().get(m.get("format") or "")
    flagged = {s for _, s, _ in view.flags}
    failing = set()
    ident_rows = []
    if fmt:
        by_scope = {(i.check_key, i.scope): i for i in identities(fmt)}
        for check_key, scope, expected, actual in view.failed_checks:
            ident = by_scope.get((check_key, scope))
            ops = ident.operands if ident else ()
            failing.update(ops)
            parts = " + ".join(_operand(view, k) for k in (ident.parts if ident else ()))
            totals = " + ".join(_operand(view, k) for k in (ident.totals if ident else ()))
            ident_rows.append(f"<tr><td>{_e(check_key)}</td><td>{_e(scope)}</td>"
                              f"<td>{parts} = <b>{expected:g}</b></td><td>{totals} = <b>{actual:g}</b></td>"
                              f"<td>{expected - actual:+g}</td></tr>")
    suggested = {(s.table_key, s.row_key, s.col_key): s for s in sugg}

    def cls(k: tuple[str, str, str]) -> str:
        got = view.cells.get(k)
        where = view.where.get(k, (None, None, None))
        names = []
        conf = where[2]
        if got is not None and got[2] == "correction":
            names.append("corrected")
        elif conf is not None:
            names.append("conf-hi" if conf >= SURE else "conf-mid" if conf >= UNSURE else "conf-lo")
        if f"{k[0]}:{k[1]}/{k[2]}" in flagged or k in failing:
            names.append("flagged")
        if k in suggested:
            names.append("suggested")
        return " ".join(names)

    images = []
    for page, (w, h, scale, jpeg) in sorted(view.images.items()):
        name = f"img/{doc_id}-p{page}.jpg"
        (out / name).write_bytes(jpeg)
        boxes = []
        for k, (pg, bbox, conf) in view.where.items():
            if pg != page or not bbox:
                continue
            x0, y0, x1, y1 = (v * scale for v in bbox)
            boxes.append(f"<a class=\"box {cls(k)}\" data-cell=\"{_key_id(k)}\" href=\"#{_key_id(k)}\" "
                         f"title=\"{_e(':'.join(k))} = {_e(view.cells[k][1])}\" style=\"left:{100 * x0 / w:.3f}%;"
                         f"top:{100 * y0 / h:.3f}%;width:{100 * (x1 - x0) / w:.3f}%;"
                         f"height:{100 * (y1 - y0) / h:.3f}%\"></a>")
        images.append(f"<figure class=\"page\" id=\"page-{page}\"><figcaption>page {page}</figcaption>"
                      f"<div class=\"sheet\"><img src=\"{name}\" width=\"{w}\" height=\"{h}\" alt=\"page {page}\">"
                      + "".join(boxes) + "</div></figure>")
    tables = _tables(fmt, view, cls) if fmt else "" if view.annex else \
        "<p>No national table format was recognised.</p>"
    if view.annex:
        tables += _annex(view, cls)
    meta = "".join(f"<tr><th>{_e(k)}</th><td>{_e(m.get(k))}</td></tr>" for k in (
        "status", "agency", "year", "format", "title", "source_path", "media_type", "pages",
        "pipeline_version"))
    parts = [f"<p><a href=\"index.html\">← all documents</a></p><h1>{_e(m.get('title') or doc_id)}</h1>",
             f"<table class=\"meta\">{meta}</table>"]
    if ident_rows:
        parts.append("<h2>Failed identities</h2><table class=\"list idents\"><tr><th>identity</th><th>scope</th>"
                     "<th>parts</th><th>totals</th><th>difference</th></tr>" + "".join(ident_rows) + "</table>")
    if sugg:
        items = "".join(
            f"<li class=\"suggestion\" data-cell=\"{_key_id((s.table_key, s.row_key, s.col_key))}\">"
            f"<b>{_e(s.table_key)}:{_e(s.row_key)}/{_e(s.col_key)}</b>: read "
            f"{_e(_num(s.current))}, the identities ask for <b class=\"suggested-value\">{_e(_num(s.suggested))}</b> "
            f"({_e('; '.join(s.because))}).<br><code>reportdb correct {_e(doc_id)} {_e(s.table_key)} "
            f"{_e(s.row_key)} {_e(s.col_key)} --accept --by NAME</code></li>" for s in sugg)
        parts.append(f"<h2>Suggested repairs</h2><ul>{items}</ul>")
    if view.flags:
        parts.append("<h2>To review</h2><table class=\"list\"><tr><th>flag</th><th>scope</th><th>detail</th></tr>"
                     + "".join(f"<tr><td>{_e(f)}</td><td>{_scope_link(s)}</td><td>{_e(d)}</td></tr>"
                               for f, s, d in view.flags) + "</table>")
    if view.corrections:
        parts.append("<h2>Corrections</h2><table class=\"list\"><tr><th>#</th><th>cell</th><th>was</th>"
                     "<th>now</th><th>by</th><th>when</th><th>note</th><th>kind</th></tr>"
                     + "".join(f"<tr><td>{c[0]}</td><td>{_e(c[1])}:{_e(c[2])}/{_e(c[3])}</td><td>{_e(c[4])}</td>"
                               f"<td>{_e(c[5])}</td><td>{_e(c[6])}</td><td>{_e(c[7])}</td><td>{_e(c[8])}</td>"
                               f"<td>{_e(c[9])}</td></tr>" for c in view.corrections) + "</table>")
    parts.append(f"<h2>Tables</h2>{tables}")
    legend = ("<p class=\"legend\"><span class=\"conf-hi\">sure</span> <span class=\"conf-mid\">middling</span> "
              "<span class=\"conf-lo\">unsure</span> <span class=\"flagged\">flagged</span> "
              "<span class=\"corrected\">corrected</span> <span class=\"suggested\">repair suggested</span></p>")
    left = "".join(images) or "<p class=\"noimg\">Read from a text layer or a text file: no page images.</p>"
    body = (f"<div class=\"split\"><div class=\"pages\">{left}</div><div class=\"side\">{legend}"
            + "".join(parts) + "</div></div>")
    path = out / f"doc-{doc_id}.html"
    path.write_text(_page(f"review {doc_id}", body), encoding="utf-8")
    return path


def _num(v: float | None) -> str:
    return "blank" if v is None else f"{v:g}"


def _operand(view: DocumentView, k: tuple[str, str, str]) -> str:
    got = view.cells.get(k)
    shown = "∅" if got is None else _num(got[0])
    return f"<a href=\"#{_key_id(k)}\" data-cell=\"{_key_id(k)}\" title=\"{_e(':'.join(k))}\">{_e(shown)}</a>"


def _scope_link(scope: str) -> str:
    if ":" in scope and "/" in scope:
        t, rest = scope.split(":", 1)
        r, c = rest.split("/", 1)
        return f"<a href=\"#{_key_id((t, r, c))}\" data-cell=\"{_key_id((t, r, c))}\">{_e(scope)}</a>"
    return _e(scope)


def _td(view: DocumentView, k: tuple[str, str, str], cls) -> str:
    got = view.cells.get(k)
    if got is None:
        return "<td class=\"absent\" title=\"not printed\">·</td>"
    value, raw, _ = got
    shown = raw if raw not in (None, "") else ("" if value is None else _num(value))
    conf = view.where.get(k, (None, None, None))[2]
    tip = f"{':'.join(k)} confidence {conf:.2f}" if conf is not None else ":".join(k)
    return f"<td id=\"{_key_id(k)}\" data-cell=\"{_key_id(k)}\" class=\"{cls(k)}\" title=\"{_e(tip)}\">{_e(shown)}</td>"


def _tables(fmt, view: DocumentView, cls) -> str:
    out = []
    spec = fmt.tables["proactive"]
    rows = []
    for b in spec.blocks:
        rows.append(f"<tr><th colspan=\"5\" class=\"block\">{_e(b.article)}</th></tr>")
        rows.append("<tr><th>信息内容</th>" + "".join(f"<th>{_e(c.label)}</th>" for c in b.cols) + "</tr>")
        for r in b.rows:
            rows.append(f"<tr><th>{_e(r.label)}</th>"
                        + "".join(_td(view, ("proactive", r.key, c.key), cls) for c in b.cols) + "</tr>")
    out.append(f"<h3>{_e(TABLE_TITLES['proactive'])}</h3><table class=\"grid\">{''.join(rows)}</table>")
    for key in ("requests", "appeals"):
        spec = fmt.tables[key]
        head = "<tr><th></th>" + "".join(f"<th>{_e(c.label)}</th>" for c in spec.cols) + "</tr>"
        body = "".join(f"<tr><th>{_e(r.label)}</th>" + "".join(_td(view, (key, r.key, c.key), cls)
                                                              for c in spec.cols) + "</tr>" for r in spec.rows)
        out.append(f"<h3>{_e(TABLE_TITLES[key])}</h3><table class=\"grid\">{head}{body}</table>")
    return "".join(out)


def _annex(view: DocumentView, cls) -> str:
    """A pre-2019 statistics annex, indicators indented under their groups."""
    cols, rows = annex_layout(view)
    head = "<tr><th>指标</th><th>单位</th>" + "".join(f"<th>{_e(MEASURES.get(c, c))}</th>" for c in cols) + "</tr>"
    body = []
    for depth, name, unit, path in rows:
        pad = f"padding-left:{0.3 + 1.2 * depth:.1f}em"
        if path is None:
            body.append(f"<tr><th colspan=\"{2 + len(cols)}\" class=\"block\" style=\"{pad}\">{_e(name)}</th></tr>")
        else:
            body.append(f"<tr><th style=\"{pad}\" title=\"{_e(path)}\">{_e(name)}</th><td>{_e(unit or '')}</td>"
                        + "".join(_td(view, (ANNEX, path, c), cls) for c in cols) + "</tr>")
    return f"<h3>{_e(ANNEX_TITLE)}</h3><table class=\"grid\">{head}{''.join(body)}</table>"


CSS = """
body { font-family: "WenQuanYi Zen Hei", "Noto Sans CJK SC", sans-serif; margin: 0 1em; font-size: 14px; }
.split { display: flex; gap: 1.5em; align-items: flex-start; }
.pages { flex: 1 1 50%; position: sticky; top: 0; max-height: 100vh; overflow-y: auto; }
.side { flex: 1 1 50%; }
.sheet { position: relative; }
.sheet img { width: 100%; height: auto; display: block; border: 1px solid #999; }
.box { position: absolute; border: 1px solid rgba(0, 90, 200, .45); box-sizing: border-box; }
.box.flagged { border: 3px solid #d00; background: rgba(255, 0, 0, .12); }
.box.suggested { border: 3px solid #e80; }
.box.corrected { border: 2px solid #0a0; }
.box.hot, td.hot { outline: 3px solid #000; background: rgba(255, 230, 0, .5); }
table { border-collapse: collapse; margin: .5em 0; }
td, th { border: 1px solid #bbb; padding: 2px 5px; }
th { background: #f3f3f3; font-weight: normal; text-align: left; }
.grid td { text-align: right; min-width: 2.5em; }
.conf-hi { background: #e8f6e8; } .conf-mid { background: #fff4cc; } .conf-lo { background: #ffd6cc; }
td.flagged, span.flagged { outline: 2px solid #d00; font-weight: bold; }
td.suggested, span.suggested { box-shadow: inset 0 0 0 2px #e80; }
.corrected { background: #d8ecff; }
td.absent { color: #999; text-align: center; }
.st-needs_review td:nth-child(5) { color: #a60; } .st-failed td:nth-child(5) { color: #c00; }
.path { color: #666; font-size: 12px; }
.legend span { padding: 1px 6px; margin-right: 4px; }
code { background: #f4f4f4; padding: 1px 4px; }
"""

JS = """
(function () {
  function each(sel, fn) { Array.prototype.forEach.call(document.querySelectorAll(sel), fn); }
  function mark(id, on) {
    each('[data-cell="' + id + '"]', function (el) { el.classList.toggle('hot', on); });
  }
  each('[data-cell]', function (el) {
    var id = el.getAttribute('data-cell');
    el.addEventListener('mouseenter', function () { mark(id, true); });
    el.addEventListener('mouseleave', function () { mark(id, false); });
    el.addEventListener('click', function () {
      each('.box[data-cell="' + id + '"]', function (b) { b.scrollIntoView({block: 'center'}); });
    });
  });
  // open on the first doubtful cell: its page and its row of the table
  var first = document.querySelector('.box.suggested, .box.flagged');
  if (first) { first.scrollIntoView({block: 'center'}); mark(first.getAttribute('data-cell'), true); }
  document.body.setAttribute('data-ready', 'yes');
})();
"""
