"""Terminal rendering of a stored document: metadata, then each table laid out
like the official format (rows and columns in printed order, labels in full)."""

from __future__ import annotations

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from extract.legacy import ANNEX_TITLE, MEASURES, TABLE as ANNEX
from extract.templates import TABLE_TITLES, load_spec
from warehouse.query import DocumentView

from .output import sanitize

_STATUS_STYLE = {"ok": "green", "needs_review": "yellow", "failed": "red"}


def _fmt(value: float | None, raw: str | None) -> Text:
    if value is None:
        return Text("·" if raw == "" else sanitize(f"?{raw}"), style="bold red")
    shown = str(int(value)) if float(value).is_integer() else f"{value:g}"
    if raw and raw != shown:
        shown = raw  # show what was printed (— / 无 …) rather than the number read
    return Text(sanitize(shown))


def document(view: DocumentView, keys: bool = False) -> Group:
    """``keys``: each row label and column heading followed by the key that
    ``reportdb correct`` takes (``予以公开 [granted]``)."""
    m = view.meta
    head = Table.grid(padding=(0, 2))
    for key in ("doc_id", "title", "agency", "year", "format", "status", "province", "city",
                "county", "township", "region_code", "source_path", "media_type", "pages",
                "pipeline_version", "ingested_at"):
        val = m.get(key)
        style = _STATUS_STYLE.get(str(val), "") if key == "status" else ""
        head.add_row(Text(key, style="dim"), Text("" if val is None else sanitize(str(val)), style=style))
    parts: list = [head]
    fmt = load_spec().get(m.get("format") or "")
    if fmt:
        parts += [_proactive(fmt, view, keys), _requests(fmt, view, keys), _appeals(fmt, view, keys)]
    if view.annex:
        parts.append(_annex(view))
    if view.failed_checks:
        t = Table(title="failed identities", title_justify="left")
        for col in ("check", "scope", "expected", "actual"):
            t.add_column(col)
        for c in view.failed_checks:
            t.add_row(Text(sanitize(c[0])), Text(sanitize(c[1])), f"{c[2]:g}", f"{c[3]:g}")
        parts.append(t)
    if view.flags:
        t = Table(title="to review (doubts about the reading)", title_justify="left")
        for col in ("flag", "scope", "detail"):
            t.add_column(col)
        for f in view.flags:  # report text inside: Text, so rich reads no markup in it
            t.add_row(*[Text("" if x is None else sanitize(str(x))) for x in f])
        parts.append(t)
    if view.findings:
        t = Table(title="findings (what the report itself gets wrong: reportdb audit)", title_justify="left")
        for col in ("finding", "scope", "detail"):
            t.add_column(col)
        for f, scope, detail, _ in view.findings:
            t.add_row(*[Text("" if x is None else sanitize(str(x))) for x in (f, scope, detail)])
        parts.append(t)
    if view.corrections:
        t = Table(title="corrections", title_justify="left")
        for col in ("#", "cell", "was", "now", "by", "kind", "note"):
            t.add_column(col)
        for cid, tk, rk, ck, old, new, by, _at, note, kind in view.corrections:
            t.add_row(str(cid), Text(sanitize(f"{tk}:{rk}/{ck}")), Text(sanitize(old or "")),
                      Text(sanitize(new or "")), Text(sanitize(by)), kind or "", Text(sanitize(note or "")))
        parts.append(t)
    if view.copies:
        t = Table(title="copies of this report (same agency, year and format; equal wherever both were "
                        "read with confidence)", title_justify="left")
        for col in ("doc_id", "cells compared", "file"):
            t.add_column(col)
        for d, path, n in view.copies:
            t.add_row(d, str(n), Text(sanitize(path or "")))
        parts.append(t)
    if view.offers:
        t = Table(title="corrections offered by copies (take one: reportdb correct DOC TABLE ROW COL "
                        "--from-copy --by NAME)", title_justify="left")
        for col in ("cell", "reads", "copy corrected to", "by", "copy", "#"):
            t.add_column(col)
        for o in view.offers:
            t.add_row(Text(sanitize(":".join(o.key[:1]) + ":" + "/".join(o.key[1:]))),
                      Text(sanitize("(no such cell)" if o.raw is None else o.raw or "(blank)")),
                      Text(sanitize(o.new_raw or "(blank)")), Text(sanitize(o.corrected_by)),
                      o.from_doc_id, str(o.correction_id))
        parts.append(t)
    return Group(*parts)


def _k(label: str, key: str, keys: bool) -> Text:
    # a Text, not a str: rich would take "[granted]" for markup and drop it
    return Text(f"{label} [{key}]" if keys else label)


def _proactive(fmt, view: DocumentView, keys: bool = False) -> Table:
    spec = fmt.tables["proactive"]
    t = Table(title=TABLE_TITLES["proactive"], title_justify="left", show_header=False)
    width = max(len(b.cols) for b in spec.blocks) + 1
    for i in range(width):
        t.add_column(overflow="fold", min_width=8 if i else 14)
    for b in spec.blocks:
        t.add_row(Text(b.article, style="bold"), *[""] * (width - 1))
        t.add_row(Text("信息内容", style="dim"), *[Text(_k(c.label, c.key, keys).plain, style="dim")
                                                  for c in b.cols],
                  *[""] * (width - 1 - len(b.cols)))
        for r in b.rows:
            vals = [_cell(view, "proactive", r.key, c.key) for c in b.cols]
            t.add_row(_k(r.label, r.key, keys), *vals, *[""] * (width - 1 - len(vals)))
    return t


def _cell(view: DocumentView, table: str, row: str, col: str) -> Text:
    got = view.cells.get((table, row, col))
    if got is None:
        return Text("—", style="dim italic")  # not printed in the document
    value, raw, origin = got
    text = _fmt(value, raw)
    if origin == "correction":
        text.stylize("bold cyan")
    return text


def _requests(fmt, view: DocumentView, keys: bool = False) -> Table:
    spec = fmt.tables["requests"]
    t = Table(title=TABLE_TITLES["requests"], title_justify="left")
    t.add_column("", min_width=18, overflow="fold", ratio=3)
    for c in spec.cols:
        t.add_column(_k(_SHORT.get(c.key, c.label), c.key, keys), justify="right", no_wrap=not keys)
    group = None
    for r in spec.rows:
        if r.group and r.group != group:
            t.add_row(Text(f"（{_GROUP_NO[r.group]}）{r.group}", style="dim"), *[""] * len(spec.cols))
        group = r.group
        t.add_row(_k(r.label if not r.group else f"  {r.label}", r.key, keys),
                  *[_cell(view, "requests", r.key, c.key) for c in spec.cols])
    return t


_SHORT = {"natural_person": "自然人", "business": "商业企业", "research": "科研机构",
          "ngo": "公益组织", "legal_services": "法律服务", "other_org": "其他组织", "total": "总计"}
_GROUP_NO = {"不予公开": "三", "无法提供": "四", "不予处理": "五", "其他处理": "六"}


def _appeals(fmt, view: DocumentView, keys: bool = False) -> Table:
    spec = fmt.tables["appeals"]
    t = Table(title=TABLE_TITLES["appeals"], title_justify="left")
    t.add_column("")
    for c in spec.cols:
        t.add_column(_k(c.label, c.key, keys), justify="right")
    for r in spec.rows:
        t.add_row(_k(r.label, r.key, keys), *[_cell(view, "appeals", r.key, c.key) for c in spec.cols])
    return t


def annex_layout(view: DocumentView) -> tuple[list[str], list[tuple[int, str, str | None, str | None]]]:
    """The pre-2019 annex as a reader sees it: the measures it printed (column
    keys, in ``MEASURES`` order) and per row its depth, own name, unit and path,
    in printed order. A group heading that holds no value (``一、主动公开情况``)
    is not a cell; it comes back from the paths below it, with path None."""
    present = {c for t, _, c in view.cells if t == ANNEX}
    cols = [c for c in MEASURES if c in present] + sorted(present - set(MEASURES))
    paths = {path for path, _ in view.annex}
    rows: list[tuple[int, str, str | None, str | None]] = []
    shown: set[str] = set()
    for path, unit in view.annex:
        parts = path.split("/")
        for depth in range(1, len(parts)):
            group = "/".join(parts[:depth])
            if group not in paths and group not in shown:
                rows.append((depth - 1, parts[depth - 1], None, None))
            shown.add(group)
        rows.append((len(parts) - 1, parts[-1], unit, path))
        shown.add(path)
    return cols, rows


def _annex(view: DocumentView) -> Table:
    cols, rows = annex_layout(view)
    t = Table(title=ANNEX_TITLE, title_justify="left")
    t.add_column("指标", overflow="fold", ratio=3)
    t.add_column("单位")
    for c in cols:
        t.add_column(Text(sanitize(MEASURES.get(c, c))), justify="right", no_wrap=True)
    for depth, name, unit, path in rows:
        if path is None:
            t.add_row(Text("  " * depth + sanitize(name), style="bold"), "", *[""] * len(cols))
        else:
            t.add_row(Text("  " * depth + sanitize(name)), Text(sanitize(unit or "")),
                      *[_cell(view, ANNEX, path, c) for c in cols])
    return t


def print_document(view: DocumentView, console: Console | None = None, keys: bool = False) -> None:
    (console or Console()).print(document(view, keys))
