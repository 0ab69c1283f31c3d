"""The verification station: ``reportdb review --serve``, a small web app on
loopback where an archivist checks every doubtful value against the page it was
read from, and confirms or corrects it, without the terminal.

Per document it shows the page at full resolution (the OCR'd page as stored; a
born-digital PDF page rendered by pypdfium2) with each cell's box drawn as an
outline that never covers the ink, zoom and pan; beside it every value with its
snippet (the crop of its cell) and the reading, doubtful cells first. The keyboard
does the work: ``j``/``k`` next/previous doubtful cell, ``Enter`` confirms the
reading as printed, typing a value and ``Enter`` corrects it, ``a`` accepts the
repair the identities suggest, ``n`` opens the next document that needs review,
``+``/``-``/``0`` zoom.

Every action goes through ``pipeline.verify.correct`` — the function behind
``reportdb correct`` — under the same batch lock, recorded with who, when, the
old and new value and a note. Forms carry a per-visit token and the request must
come from the station's own origin, so another site cannot post corrections;
the app binds to loopback unless told otherwise. Everything a report wrote is
escaped (Jinja2 autoescaping) and the pages forbid inline script (CSP).
"""

from __future__ import annotations

import io
import ipaddress
import secrets
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from PIL import Image
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from extract.checks import identities
from extract.templates import TABLE_TITLES, load_spec
from warehouse.paths import os_path
from warehouse.query import DatabaseUnavailable, DocumentView, find_document, list_documents, open_read_only

from .verify import suggestions
from .web import STATION_CSP, environment

UNSURE = 0.75          # below this confidence a value is doubtful (extract.readings' review line)
PDF_SCALE = 2.0        # born-digital pages are rendered at 144 dpi: digits legible at 1×
SNIPPET_MARGIN = 6     # points or pixels around a cell's box in its snippet
SNIPPET_WIDEST = 4.5   # a snippet at most this many times as wide as high: a value printed in a
                       # wide merged cell (table 2's 本年处理决定数量) is cropped around the cell's
                       # middle, where the value stands, so that it is not shrunk out of sight
MAX_RENDER_PX = 6000   # a page rendered larger than this on a side is refused (hostile sizes)

_CSP = STATION_CSP
_ENV = environment("station/templates", strict=False)  # autoescaping, shared with the static site


class NotLoopback(ValueError):
    """The station was asked to listen beyond this machine."""


def check_host(host: str, allow_remote: bool = False) -> None:
    """Refuse any address but loopback unless ``allow_remote``: the station writes
    corrections with no login."""
    if allow_remote:
        return
    try:
        ok = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        ok = False
    if not ok:
        raise NotLoopback(f"refusing to listen on {host}: the station has no login; "
                          "use 127.0.0.1, or --allow-remote if you mean it")


@dataclass
class CellRow:
    """One value as the station lists it."""

    key: tuple[str, str, str]
    label: str
    value: str
    raw: str
    confidence: float | None
    origin: str | None
    page: int | None
    bbox: tuple | None
    doubtful: bool
    why: str
    suggested: str | None

    @property
    def id(self) -> str:
        return "c-" + "-".join(self.key)


def _num(v: float | None) -> str:
    if v is None:
        return ""
    return str(int(v)) if float(v).is_integer() else f"{v:g}"


def cell_rows(view: DocumentView, sugg) -> list[CellRow]:
    """Every value of the document in the format's order, doubtful ones marked
    with why: a review flag on the cell or its row, an identity it takes part in
    failing, a repair suggested for it, or a confidence below ``UNSURE``."""
    m = view.meta
    fmt = load_spec().get(m.get("format") or "")
    flagged = {s for _, s, _ in view.flags}
    failing: set = set()
    if fmt:
        by_scope = {(i.check_key, i.scope): i for i in identities(fmt)}
        for check_key, scope, *_ in view.failed_checks:
            ident = by_scope.get((check_key, scope))
            failing.update(ident.operands if ident else ())
    suggested = {(s.table_key, s.row_key, s.col_key): s for s in sugg}
    order = []
    if fmt:
        for t, ts in fmt.tables.items():
            labels = {r.key: r.label for r in ts.rows} | {r.key: r.label for b in ts.blocks for r in b.rows}
            cols = {c.key: c.label for c in ts.cols} | {c.key: c.label for b in ts.blocks for c in b.cols}
            order += [((t, r, c), f"{TABLE_TITLES.get(t, t)} · {labels.get(r, r)} · {cols.get(c, c)}")
                      for r, c in ts.cells()]
    known = {k for k, _ in order}
    order += [(k, " · ".join(k)) for k in sorted(view.cells) if k not in known]
    rows = []
    for k, label in order:
        if k not in view.cells:
            continue
        value, raw, origin = view.cells[k]
        page, bbox, conf = view.where.get(k, (None, None, None))
        why = []
        if origin != "correction":
            if f"{k[0]}:{k[1]}/{k[2]}" in flagged or f"{k[0]}:{k[1]}" in flagged:
                why.append("flagged")
            if k in failing:
                why.append("identity fails")
            if k in suggested:
                why.append("repair suggested")
            if conf is not None and conf < UNSURE:
                why.append("unsure reading")
        s = suggested.get(k)
        rows.append(CellRow(k, label, _num(value), raw or "", conf, origin, page, bbox, bool(why),
                            ", ".join(why), _num(s.suggested) if s else None))
    rows.sort(key=lambda r: not r.doubtful)  # stable: doubtful first, each group in printed order
    return rows


def _page_image(db: str, view: DocumentView, page: int) -> tuple[bytes, float] | None:
    """The page as JPEG and the scale from cell boxes to its pixels: the OCR'd
    page as stored, or a born-digital PDF page rendered now from its file."""
    if page in view.images:
        w, h, scale, jpeg = view.images[page]
        return jpeg, scale
    path = Path(os_path(view.meta.get("source_path") or ""))  # the stored name back to the file's
    if path.suffix.lower() != ".pdf" or not path.is_file():
        return None
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    try:
        if not 1 <= page <= len(pdf):
            return None
        pg = pdf[page - 1]
        w, h = pg.get_size()
        if max(w, h) * PDF_SCALE > MAX_RENDER_PX:
            return None
        img = pg.render(scale=PDF_SCALE, grayscale=True).to_pil()
    finally:
        pdf.close()
    buf = io.BytesIO()
    img.convert("L").save(buf, "JPEG", quality=90)
    return buf.getvalue(), PDF_SCALE


class Station:
    """The app over one database: ``Station(db).app`` is an ASGI application."""

    PAGE_CACHE = 12  # page images kept in memory (a document's pages, rendered once)

    def __init__(self, db: str):
        self.db = db
        self.tokens: set[str] = set()
        # a doc_id is its content's hash: its pages and cell boxes never change under it
        self._pages: OrderedDict[tuple[str, int], tuple[bytes, float] | None] = OrderedDict()
        self._where: dict[str, dict] = {}
        static = Path(__file__).parent / "station" / "static"
        self.app = Starlette(routes=[
            Route("/", self.queue),
            Route("/favicon.ico", lambda request: Response(status_code=204)),
            Route("/doc/{doc_id}", self.document),
            Route("/doc/{doc_id}/page/{page:int}.jpg", self.page),
            Route("/doc/{doc_id}/snippet/{table}/{row}/{col}.jpg", self.snippet),
            Route("/doc/{doc_id}/correct", self.correct, methods=["POST"]),
            Mount("/static", StaticFiles(directory=static), name="static"),
        ])

    # ------------------------------------------------------------------ pages

    def _html(self, name: str, **ctx) -> HTMLResponse:
        token = secrets.token_urlsafe(24)
        self.tokens.add(token)
        body = _ENV.get_template(name).render(token=token, **ctx)
        return HTMLResponse(body, headers={"Content-Security-Policy": _CSP, "X-Content-Type-Options": "nosniff",
                                           "Referrer-Policy": "same-origin", "Cache-Control": "no-store"})

    def _queue_docs(self) -> list[dict]:
        return [d for d in list_documents(self.db) if d["status"] != "failed"]

    async def queue(self, request: Request) -> Response:
        try:
            docs = self._queue_docs()
        except DatabaseUnavailable as exc:
            return PlainTextResponse(str(exc), status_code=503)
        todo = sum(1 for d in docs if d["status"] == "needs_review")
        return self._html("queue.html", docs=docs, todo=todo)

    def _page_image(self, view: DocumentView, page: int) -> tuple[bytes, float] | None:
        key = (view.meta["doc_id"], page)
        if key not in self._pages:
            self._pages[key] = _page_image(self.db, view, page)
            while len(self._pages) > self.PAGE_CACHE:
                self._pages.popitem(last=False)
        self._pages.move_to_end(key)
        return self._pages[key]

    def _view(self, doc_id: str) -> DocumentView | None:
        view = find_document(self.db, doc_id, images=True)
        if view is None or view.meta["doc_id"] != doc_id:
            return None
        return view

    async def document(self, request: Request) -> Response:
        doc_id = request.path_params["doc_id"]
        view = self._view(doc_id)
        if view is None:
            return PlainTextResponse("no such document", status_code=404)
        con = open_read_only(self.db)
        try:
            sugg = suggestions(con, doc_id, view.meta.get("format"))
        finally:
            con.close()
        rows = cell_rows(view, sugg)
        pages = sorted({r.page for r in rows if r.page and r.bbox} | set(view.images))
        sizes = {}
        self._where[doc_id] = view.where
        for p in pages:
            got = self._page_image(view, p)
            if got is not None:
                with Image.open(io.BytesIO(got[0])) as im:
                    sizes[p] = (im.width, im.height, got[1])
        boxes = {p: [(r, [v * sizes[p][2] for v in r.bbox]) for r in rows if r.page == p and r.bbox]
                 for p in sizes}
        queue = [d["doc_id"] for d in self._queue_docs() if d["status"] == "needs_review"]
        after = [d for d in queue if d != doc_id]
        nxt = queue[queue.index(doc_id) + 1] if doc_id in queue and queue.index(doc_id) + 1 < len(queue) \
            else (after[0] if after else None)
        return self._html("document.html", view=view, m=view.meta, rows=rows, sizes=sizes, boxes=boxes,
                          next_doc=nxt, message=request.query_params.get("msg"))

    async def page(self, request: Request) -> Response:
        doc_id, page = request.path_params["doc_id"], request.path_params["page"]
        got = self._pages.get((doc_id, page))
        if got is None:
            view = self._view(doc_id)
            got = self._page_image(view, page) if view else None
        if got is None:
            return PlainTextResponse("no such page image", status_code=404)
        return Response(got[0], media_type="image/jpeg", headers={"Cache-Control": "no-store"})

    async def snippet(self, request: Request) -> Response:
        p = request.path_params
        doc_id, key = p["doc_id"], (p["table"], p["row"], p["col"])
        view = None
        if doc_id not in self._where:
            view = self._view(doc_id)
            if view is None:
                return PlainTextResponse("no such document", status_code=404)
            self._where[doc_id] = view.where
        where = self._where[doc_id].get(key)
        if not where or not where[0] or not where[1]:
            return PlainTextResponse("no snippet for this cell", status_code=404)
        got = self._pages.get((doc_id, where[0]))
        if got is None:
            view = view or self._view(doc_id)
            got = self._page_image(view, where[0]) if view else None
        if got is None:
            return PlainTextResponse("no page image", status_code=404)
        jpeg, scale = got
        x0, y0, x1, y1 = where[1]
        with Image.open(io.BytesIO(jpeg)) as im:
            box = (max(0, int((x0 - SNIPPET_MARGIN) * scale)), max(0, int((y0 - SNIPPET_MARGIN) * scale)),
                   min(im.width, int((x1 + SNIPPET_MARGIN) * scale)), min(im.height, int((y1 + SNIPPET_MARGIN) * scale)))
            if box[2] <= box[0] or box[3] <= box[1]:
                return PlainTextResponse("empty cell box", status_code=404)
            widest = int((box[3] - box[1]) * SNIPPET_WIDEST)
            if box[2] - box[0] > widest:
                mid = (box[0] + box[2]) // 2
                box = (mid - widest // 2, box[1], mid + widest // 2, box[3])
            buf = io.BytesIO()
            im.crop(box).convert("L").save(buf, "JPEG", quality=92)
        return Response(buf.getvalue(), media_type="image/jpeg")

    # ---------------------------------------------------------------- actions

    async def correct(self, request: Request) -> Response:
        doc_id = request.path_params["doc_id"]
        origin = request.headers.get("origin")
        if origin is not None and origin != f"{request.url.scheme}://{request.url.netloc}":
            return PlainTextResponse("refused: the form was not sent by the station", status_code=403)
        form = await request.form()
        token = str(form.get("token", ""))
        if token not in self.tokens:
            return PlainTextResponse("refused: the form's token is not one the station issued", status_code=403)
        self.tokens.discard(token)  # one use: a replayed form is refused
        action = str(form.get("action", ""))
        table, row, col = (str(form.get(k, "")) for k in ("table", "row", "col"))
        by = str(form.get("by", "")).strip()
        note = str(form.get("note", "")).strip() or None
        value = str(form.get("value", ""))
        msg = apply(self.db, doc_id, action, table, row, col, value, by, note)
        return RedirectResponse(f"/doc/{doc_id}?msg={_q(msg)}#c-{_q(table)}-{_q(row)}-{_q(col)}", status_code=303)


def _q(text: str) -> str:
    from urllib.parse import quote
    return quote(text, safe="")


def apply(db: str, doc_id: str, action: str, table: str, row: str, col: str, value: str,
          by: str, note: str | None) -> str:
    """One reviewer action, as ``reportdb correct`` does it (same function, same
    lock): ``confirm`` the value as read, ``correct`` it to ``value``, ``accept``
    the suggested repair. Returns the line to show."""
    from warehouse.corrections import CorrectionError
    from warehouse.schema import connect

    from .lock import BatchLock, LockHeld
    from .verify import correct

    if not by:
        return "give your name first (top of the page)"
    if action not in ("confirm", "correct", "accept", "copy"):
        return f"unknown action {action!r}"
    try:
        lock = BatchLock(db).acquire()
    except (LockHeld, OSError) as exc:
        return f"not saved: {exc}"
    try:
        con = connect(db)
        try:
            if action == "confirm":
                raw = con.execute("SELECT raw FROM cell_values WHERE doc_id = ? AND table_key = ? AND row_key = ? "
                                  "AND col_key = ?", [doc_id, table, row, col]).fetchone()
                if raw is None:
                    return "no such cell"
                res = correct(con, doc_id, table, row, col, raw[0] or "", by, note or "confirmed as printed")
            elif action == "copy":  # the correction a copy of the report offers
                res = correct(con, doc_id, table, row, col, None, by, note, from_copy=True)
            else:
                res = correct(con, doc_id, table, row, col, None if action == "accept" else value, by, note,
                              accept=action == "accept")
        finally:
            con.close()
    except CorrectionError as exc:
        return f"not saved: {exc}"
    finally:
        lock.release()
    offered = f"; offered to its copies {', '.join(res.offered)}" if res.offered else ""
    return f"saved (correction #{res.correction_id}): the document is now {res.status}{offered}"


def serve(db: str, host: str = "127.0.0.1", port: int = 8765, allow_remote: bool = False) -> None:
    """Run the station until interrupted."""
    import uvicorn

    check_host(host, allow_remote)
    if not Path(db).exists():
        raise DatabaseUnavailable(f"{db}: no such database (run 'reportdb ingest' first)")
    uvicorn.run(Station(db).app, host=host, port=port, log_level="warning")
