"""The review site: static HTML an archivist opens from disk, no server.

``index.html`` lists the documents that need review, with why (failed
identities, review flags, corrections made); each ``doc-<id>.html`` shows the
page images with the box of every extracted cell drawn on them (flagged ones
highlighted) beside the tables laid out like the official format, every value
coloured by confidence, the failed identities spelled out cell by cell, and the
repairs the identities suggest, each with the command that accepts it.
Pointing at a value highlights its box on the page, and the other way round.

Everything on these pages that a document wrote (title, issuing body, labels,
annex indicator names used as row keys, values, flag details, file names) or a
reviewer typed is rendered by Jinja2 with autoescaping (``pipeline.web``), from
the templates in ``pipeline/site/templates``; the pages hold no inline script or
style and carry a Content-Security-Policy that forbids both, so no text of a
report can become code in the archivist's browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from extract.checks import identities
from extract.legacy import ANNEX_TITLE, MEASURES, TABLE as ANNEX
from extract.repairs import Suggestion
from extract.templates import TABLE_TITLES, load_spec
from warehouse.query import DocumentView, find_document, list_documents, open_read_only

from .render import annex_layout
from .verify import suggestions
from .web import STATIC_CSP, environment, path_part

SURE, UNSURE = 0.9, 0.75  # confidence bands: sure ≥ 0.9 > middling ≥ 0.75 > unsure
MAX_DEPTH = 9              # annex indentation classes (depth-0 … depth-9 in review.css)
META_KEYS = ("status", "agency", "year", "format", "title", "source_path", "media_type", "pages",
             "pipeline_version")

_ENV = environment("site/templates")


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
    static = resources.files("pipeline") / "site" / "static"
    for name in ("review.css", "review.js"):
        (out / name).write_text(static.joinpath(name).read_text(encoding="utf-8"), encoding="utf-8")
    return Site(index, pages)


# ---------------------------------------------------------------------- pages

def _render(template: str, **ctx) -> str:
    return _ENV.get_template(template).render(csp=STATIC_CSP, **ctx)


def _index(docs: list[dict]) -> str:
    rows = []
    for d in docs:
        reasons = [f"{d['failed']} identities fail"] if d["failed"] else []
        reasons += list(d["reasons"] or [])
        rows.append({**d, "why": ", ".join(reasons)})
    todo = sum(1 for d in docs if d["status"] == "needs_review")
    return _render("index.html", docs=rows, todo=todo)


def _key_id(k: tuple[str, str, str]) -> str:
    return "c-" + "-".join(k)


def _num(v: float | None) -> str:
    return "blank" if v is None else f"{v:g}"


def _write_document(out: Path, view: DocumentView, sugg: list[Suggestion]) -> Path:
    m = view.meta
    doc_id = m["doc_id"]
    fmt = load_spec().get(m.get("format") or "")
    flagged = {s for _, s, _ in view.flags}
    failing = set()
    idents = []

    def operand(k: tuple[str, str, str]) -> dict:
        got = view.cells.get(k)
        return {"id": _key_id(k), "key": ":".join(k), "shown": "∅" if got is None else _num(got[0])}

    if fmt:
        by_scope = {(i.check_key, i.scope): i for i in identities(fmt)}
        for check_key, scope, expected, actual in view.failed_checks:
            ident = by_scope.get((check_key, scope))
            failing.update(ident.operands if ident else ())
            idents.append({"check_key": check_key, "scope": scope,
                           "parts": [operand(k) for k in (ident.parts if ident else ())],
                           "totals": [operand(k) for k in (ident.totals if ident else ())],
                           "expected": f"{expected:g}", "actual": f"{actual:g}",
                           "difference": f"{expected - actual:+g}"})
    suggested = {(s.table_key, s.row_key, s.col_key): s for s in sugg}

    def cls(k: tuple[str, str, str]) -> str:
        got = view.cells.get(k)
        conf = view.where.get(k, (None, None, None))[2]
        names = []
        if got is not None and got[2] == "correction":
            names.append("corrected")
        elif conf is not None:
            names.append("conf-hi" if conf >= SURE else "conf-mid" if conf >= UNSURE else "conf-lo")
        if f"{k[0]}:{k[1]}/{k[2]}" in flagged or k in failing:
            names.append("flagged")
        if k in suggested:
            names.append("suggested")
        return " ".join(names)

    def cell(k: tuple[str, str, str]) -> dict | None:
        got = view.cells.get(k)
        if got is None:
            return None
        value, raw, _ = got
        conf = view.where.get(k, (None, None, None))[2]
        return {"id": _key_id(k), "cls": cls(k),
                "tip": f"{':'.join(k)} confidence {conf:.2f}" if conf is not None else ":".join(k),
                "shown": raw if raw not in (None, "") else ("" if value is None else _num(value))}

    pages = []
    for page, (w, h, scale, jpeg) in sorted(view.images.items()):
        name = f"img/{doc_id}-p{page}.jpg"
        (out / name).write_bytes(jpeg)
        boxes = []
        for k, (pg, bbox, conf) in view.where.items():
            if pg != page or not bbox:
                continue
            x0, y0, x1, y1 = (float(v) * scale for v in bbox)
            boxes.append({"id": _key_id(k), "cls": cls(k), "title": f"{':'.join(k)} = {view.cells[k][1]}",
                          "x": x0, "y": y0, "w": max(0.0, x1 - x0), "h": max(0.0, y1 - y0)})
        pages.append({"number": page, "src": f"img/{path_part(doc_id)}-p{page}.jpg", "width": w, "height": h,
                      "boxes": boxes})
    flags = []
    for f, scope, detail in view.flags:
        fid = None
        if ":" in scope and "/" in scope:
            t, rest = scope.split(":", 1)
            r, c = rest.split("/", 1)
            fid = _key_id((t, r, c))
        flags.append({"flag": f, "scope": scope, "detail": detail, "id": fid})
    suggestion_rows = [{"id": _key_id((s.table_key, s.row_key, s.col_key)), "table": s.table_key,
                        "row": s.row_key, "col": s.col_key, "key": f"{s.table_key}:{s.row_key}/{s.col_key}",
                        "current": _num(s.current), "suggested": _num(s.suggested),
                        "because": "; ".join(s.because)} for s in sugg]
    corrections = [(c[0], f"{c[1]}:{c[2]}/{c[3]}", *("" if v is None else v for v in c[4:])) for c in view.corrections]
    html = _render("document.html", view=view, m=m, meta_keys=META_KEYS, pages=pages, idents=idents,
                   suggestions=suggestion_rows, flags=flags, corrections=corrections,
                   tables=_tables(fmt, view, cell) if fmt else [], annex=_annex(view, cell) if view.annex else None)
    path = out / f"doc-{doc_id}.html"
    path.write_text(html, encoding="utf-8")
    return path


def _tables(fmt, view: DocumentView, cell) -> list[dict]:
    """The national tables laid out like the official format: rows of a block
    heading (``block``), column headings (``head``) or a label with its cells."""
    out = []
    rows = []
    for b in fmt.tables["proactive"].blocks:
        rows.append({"block": b.article, "span": 5})
        rows.append({"block": None, "head": ["信息内容", *(c.label for c in b.cols)]})
        for r in b.rows:
            rows.append({"block": None, "head": None, "label": r.label,
                         "cells": [cell(("proactive", r.key, c.key)) for c in b.cols]})
    out.append({"title": TABLE_TITLES["proactive"], "rows": rows})
    for key in ("requests", "appeals"):
        spec = fmt.tables[key]
        rows = [{"block": None, "head": ["", *(c.label for c in spec.cols)]}]
        rows += [{"block": None, "head": None, "label": r.label,
                  "cells": [cell((key, r.key, c.key)) for c in spec.cols]} for r in spec.rows]
        out.append({"title": TABLE_TITLES[key], "rows": rows})
    return out


def _annex(view: DocumentView, cell) -> dict:
    """A pre-2019 statistics annex, indicators indented under their groups."""
    cols, rows = annex_layout(view)
    return {"title": ANNEX_TITLE, "head": [MEASURES.get(c, c) for c in cols],
            "rows": [{"depth": min(depth, MAX_DEPTH), "name": name, "unit": unit or "", "path": path,
                      "cells": None if path is None else [cell((ANNEX, path, c)) for c in cols]}
                     for depth, name, unit, path in rows]}
