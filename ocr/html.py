"""Saved government web pages (``.html``/``.htm``) → one page of lines and grids.

The recipe:

1. **decode**: a byte-order mark first, then the page's own ``<meta charset>`` /
   ``http-equiv`` declaration (when the bytes really decode that way), then
   charset-normalizer's guess. GB2312 and GBK are read as GB18030, their
   superset: sites declare GB2312 and then print characters outside it. Bytes
   that are valid UTF-8 are read as UTF-8 even under a GB declaration (a CMS
   template's leftover): GB18030 decodes many such byte strings without an
   error, into nonsense, while GBK text is almost never valid UTF-8 by chance.
2. **clean**: parse with lxml (through BeautifulSoup); drop what is never report
   text (scripts, styles, forms, ``<nav>``/``<header>``/``<footer>``/``<aside>``),
   blocks whose class or id names site furniture (nav, menu, breadcrumb, footer,
   share, related links …), lists that are mostly links, and short lines that
   are page chrome (``当前位置：``, ``打印本页``, ``发布时间：``, ``版权所有``, ICP
   numbers …).
3. **find the article**: the element holding the most paragraph text (text
   and tables counted where they sit, links not counted), widened to the report
   title's heading when the title stands outside it (``<h1>`` above the body
   ``<div>``, as most CMS templates print it).
4. **walk it in document order**: block elements end a line (and a blank line
   follows, as between paragraphs of a text dump); ``<br>`` ends a line only;
   each data ``<table>`` becomes a ``Grid`` with its ``rowspan``/``colspan``
   kept (tables that hold tables are page layout and are walked as flow); an
   ``<img>`` whose file was saved beside the page (``name_files/``) or that is
   written into the page (``data:image/…;base64``) and is big enough to be a
   table is OCR'd with the scan path, and its grids and lines come in at that
   place. Images on the web site (``/images/…``, ``http://…``) are not fetched.

A page has no geometry, so each grid records where it stands among the lines
(``Grid.at``) instead of a box; ``extract.layout.stream`` keeps that order.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import tempfile
from dataclasses import replace
from pathlib import Path
from urllib.parse import unquote, urlsplit

from .errors import ReadError
from .model import Grid, GridCell, Line, Page

HTML_SUFFIXES = {".html", ".htm", ".shtml", ".xhtml"}  # ocr.read takes them from here
COMPANION_SUFFIXES = ("_files", ".files")  # browsers' "save complete page" folder
PAGE_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp"}
MIN_TABLE_IMAGE = (300, 120)  # px: smaller images are icons, logos, QR codes

_GB = {"gb2312", "gbk", "gb18030", "x-gbk", "gb_2312-80", "csgb2312", "chinese", "euc-cn", "cp936",
       "windows-936", "hz-gb-2312"}

# --------------------------------------------------------------- decoding


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    n = name.strip().strip("'\"").lower()
    if n in _GB:
        return "gb18030"
    import codecs
    try:
        return codecs.lookup(n).name
    except LookupError:
        return None


def declared_encoding(data: bytes) -> str | None:
    """The encoding the page declares in its ``<meta>`` (read by bs4's detector)."""
    from bs4.dammit import EncodingDetector
    return _codec(EncodingDetector.find_declared_encoding(data[:8192], is_html=True,
                                                          search_entire_document=False))


def decode_html(data: bytes) -> tuple[str, str]:
    """The page's text and the encoding it was read in."""
    for bom, enc in ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(enc), enc
            except UnicodeDecodeError as exc:
                raise ReadError(f"page starts with a {enc} byte-order mark but is not {enc}") from exc
    if b"\x00" in data[:4096]:  # UTF-16 saved without its byte-order mark
        from .text import utf16_without_bom
        text = utf16_without_bom(data)
        if text is not None:
            return text, "utf-16"
    declared = declared_encoding(data)
    if declared and declared != "gb18030":
        try:
            return data.decode(declared), declared
        except UnicodeDecodeError:
            pass  # the declaration is wrong (a GBK page saved as "utf-8"): ask the detector
    try:  # GB18030 decodes many UTF-8 byte strings without an error; GBK is rarely valid UTF-8:
        return data.decode("utf-8"), "utf-8"  # bytes that are UTF-8 are read so, whatever the <meta>
    except UnicodeDecodeError:
        pass
    if declared:
        try:
            return data.decode(declared), declared
        except UnicodeDecodeError:
            pass
    from charset_normalizer import from_bytes
    best = from_bytes(data).best()
    enc = _codec(best.encoding) if best else None
    if enc:
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise ReadError("web page in an unknown encoding (no usable charset declared; "
                        "not UTF-8 or GB18030)") from exc


# --------------------------------------------------------------- cleaning

_DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "form", "button", "select",
              "input", "textarea", "nav", "header", "footer", "aside", "object", "embed", "svg",
              "canvas", "map", "link", "meta")
# class / id words of site furniture (whole words of the attribute, split on -_ and case)
_FURNITURE_WORDS = {"nav", "navbar", "navigation", "menu", "menus", "submenu", "breadcrumb",
                    "breadcrumbs", "crumb", "crumbs", "footer", "header", "topbar", "toolbar",
                    "sidebar", "share", "print", "related", "friendlink", "friendlinks", "copyright",
                    "banner", "search", "login", "qrcode", "gotop", "totop", "pager", "prevnext",
                    "comment", "comments", "wza", "skip"}
_CHROME = re.compile(
    r"(?:当前|您|你|现在|所在)[^，。,.]{0,3}位置|打印本页|打印此页|[【\[]\s*打印\s*[】\]]|关闭窗口"
    r"|[【\[]\s*关闭\s*[】\]]"
    r"|返回顶部|收藏本页|加入收藏|设为首页|分享到|相关链接|相关文章|相关阅读|相关信息|上一篇|下一篇"
    r"|字体\s*[：:]|【\s*大\s*中\s*小\s*】|字号\s*[：:]|发布时间\s*[：:]|发布日期\s*[：:]|来源\s*[：:]"
    r"|浏览次数|访问量|阅读次数|点击数|扫一扫|版权所有|ICP\s*备|公网安备|网站标识码|主办单位|承办单位"
    r"|技术支持|联系我们|网站地图|无障碍|索\s*引\s*号\s*[：:]")
_CHROME_MAX = 80  # a line longer than this is report text even if a chrome word is in it
_BLOCK = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl", "dt", "dd",
          "section", "article", "main", "blockquote", "center", "pre", "address", "figure",
          "figcaption", "hr", "table", "tr", "caption", "body", "html"}
_TITLE_RE = re.compile(r"^.{0,60}(政府信息公开|政务公开|信息公开).{0,20}报告$")


def _is_title(text: str) -> bool:
    """A report title line, whole (no breadcrumb ``首页 > … > 年度报告`` around it)."""
    return bool(_TITLE_RE.match(text)) and not re.search(r"[>＞»：:|]", text)


def _attr_words(el) -> set[str]:
    vals = []
    for key in ("class", "id", "role"):
        v = el.get(key)
        if isinstance(v, list):
            vals.extend(v)
        elif v:
            vals.append(v)
    words: set[str] = set()
    for v in vals:
        for w in re.split(r"[-_\s]+|(?<=[a-z])(?=[A-Z])|\d+", v):
            if w:
                words.add(w.lower())
    return words


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _text(el) -> str:
    return _squash(el.get_text())


def _has_title(el) -> bool:
    return bool(_is_title(_text(el))) or any(_is_title(_squash(s)) for s in el.stripped_strings)


def _link_text(el) -> int:
    return sum(len(_text(a)) for a in el.find_all("a"))


def _is_chrome_line(text: str) -> bool:
    t = re.sub(r"\s+", " ", text).strip()
    return bool(t) and len(t) <= _CHROME_MAX and bool(_CHROME.search(t)) and not _is_title(_squash(t))


def clean(soup) -> None:
    """Remove site furniture from the parsed page, in place. Nothing inside a
    data table is removed (a cell taken out would shift its row)."""
    for el in soup.find_all(_DROP_TAGS):
        el.decompose()
    data_tables = {id(t) for t in soup.find_all("table") if _is_data_table(t)}

    def in_data_table(el) -> bool:
        return id(el.find_parent("table")) in data_tables

    for el in soup.find_all(True):
        if el.decomposed or el.name in ("html", "body", "table", "tr", "td", "th", "tbody", "thead"):
            continue
        if (_attr_words(el) & _FURNITURE_WORDS and not in_data_table(el) and not el.find("table")
                and not _has_title(el)):
            el.decompose()
    for el in soup.find_all(["ul", "ol", "dl", "div", "p", "span", "td"]):
        if el.decomposed or in_data_table(el) or el.find("table"):
            continue
        text = _text(el)
        if text and _link_text(el) >= 0.6 * len(text) and len(el.find_all("a")) >= 2:
            el.decompose()  # a list of links: menus, 相关链接, friend sites
    for el in soup.find_all(["p", "div", "span", "li", "td", "font", "strong", "b", "em", "a"]):
        if el.decomposed or in_data_table(el) or el.find(["table", "img"]):
            continue
        if _is_chrome_line(el.get_text(" ")):
            el.decompose()


_PARAGRAPHS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "span", "font", "strong", "b", "table", "center",
               "blockquote")
_CONTAINERS = ["div", "p", "table", "ul", "ol", "section", "article", "main"]


def _score(el) -> float:
    """Paragraph text held directly by ``el``: its own text and its paragraph
    children (a ``<div>`` with no block inside counts as one: some CMSs write
    every paragraph as a div), not deeper containers; tables with their text,
    link text not counted."""
    total = 0.0
    for child in el.children:
        name = getattr(child, "name", None)
        if name is None:
            total += len(str(child).strip())
        elif name in _PARAGRAPHS or (name == "div" and not child.find(_CONTAINERS)):
            total += len(_text(child)) - _link_text(child)
    return total


def find_article(soup):
    """The element that holds the report: the best-scoring container, widened to
    take in the report title's heading when that stands outside it."""
    body = soup.body or soup
    candidates = [body] + body.find_all(["div", "td", "article", "section", "main", "center"])
    best = max(candidates, key=_score)
    if _score(best) <= 0:
        return body
    if any(_is_title(_text(h)) for h in best.find_all(["h1", "h2", "h3", "p", "div", "strong"], limit=8)):
        return best
    title = next((h for h in body.find_all(["h1", "h2", "h3", "div", "p", "td", "span", "font", "b"])
                  if _is_title(_text(h)) and not h.find(["table", "p", "div"])), None)
    if title is None:
        return best
    ancestors = set(id(a) for a in best.parents) | {id(best)}
    node = title
    while node is not None and id(node) not in ancestors:
        node = node.parent
    return node or best


# ----------------------------------------------------------------- tables

def _cell_text(td) -> str:
    return re.sub(r"[\s\u3000\xa0]+", " ", td.get_text(" ")).strip()


def _span(value, limit: int, zero: int = 1) -> int:
    """A span attribute as browsers read it: junk is 1, 0 is ``zero`` (rowspan="0"
    runs to the end of the table section, colspan="0" is 1), never past ``limit``."""
    try:
        n = int(str(value).strip())
    except (TypeError, ValueError):
        return 1
    return max(1, min(n, limit)) if n > 0 else max(1, zero)


def _rows(table) -> list:
    out = []
    for child in table.children:
        name = getattr(child, "name", None)
        if name == "tr":
            out.append(child)
        elif name in ("thead", "tbody", "tfoot"):
            out.extend(c for c in child.children if getattr(c, "name", None) == "tr")
    return out


def table_grid(table, page: int = 1, at: int | None = None) -> Grid:
    """A ``<table>`` as a grid: each cell at its row and column, spans kept
    (a slot a span already covers is skipped, as browsers lay tables out)."""
    rows = _rows(table)
    taken: set[tuple[int, int]] = set()
    cells = []
    for r, tr in enumerate(rows):
        c = 0
        for td in tr.find_all(["td", "th"], recursive=False):
            while (r, c) in taken:
                c += 1
            rs = _span(td.get("rowspan", 1), len(rows) - r, zero=len(rows) - r)
            cs = _span(td.get("colspan", 1), 1000)
            for i in range(r, r + rs):
                for k in range(c, c + cs):
                    taken.add((i, k))
            cells.append(GridCell(r, c, _cell_text(td), rs, cs))
            c += cs
    return Grid(page, tuple(cells), None, at)


def _is_data_table(table) -> bool:
    if table.find("table"):
        return False  # a layout table: its cells are walked as flow
    rows = _rows(table)
    cols = max((len(tr.find_all(["td", "th"], recursive=False)) for tr in rows), default=0)
    return len(rows) >= 2 or cols >= 2


# ------------------------------------------------------------------- walk

_CJK = "\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK_BREAK = re.compile(rf"(?<=[{_CJK}])[ \t\r]*\n\s*(?=[{_CJK}])")


def _flow_text(s: str) -> str:
    """Source whitespace as a browser shows it: a line break between two CJK
    characters disappears (CSS Text, segment break transformation), any other
    run of whitespace is one space."""
    return re.sub(r"\s+", " ", _CJK_BREAK.sub("", s))


class _Flow:
    """Lines and grids of the article in document order."""

    def __init__(self, base: Path | None, ocr, page: int = 1):
        self.lines: list[Line] = []
        self.grids: list[Grid] = []
        self.buf: list[str] = []
        self.base = base
        self.ocr = ocr
        self.page = page
        self.timings: dict[str, float] = {}

    def end_line(self) -> None:
        text = re.sub(r"[ \t\u3000\xa0]+", " ", "".join(self.buf)).strip()
        self.buf = []
        if text:
            self.lines.append(Line(text))

    def end_block(self) -> None:
        self.end_line()
        if self.lines and self.lines[-1].text:
            self.lines.append(Line(""))

    def walk(self, el) -> None:
        for child in el.children:
            name = getattr(child, "name", None)
            if name is None:
                if type(child).__name__ in ("Comment", "Doctype", "Declaration", "ProcessingInstruction",
                                            "CData"):
                    continue
                self.buf.append(_flow_text(str(child)))
            elif name == "br":
                self.end_line()
            elif name == "table" and _is_data_table(child):
                self.end_block()
                self.grids.append(table_grid(child, self.page, len(self.lines)))
            elif name == "img":
                self.image(child)
            elif name in ("td", "th"):  # a cell of a layout table: its text is a line
                self.end_line()
                self.walk(child)
                self.end_line()
            elif name in _BLOCK:
                self.end_block()
                self.walk(child)
                self.end_block()
            else:  # inline: <span>, <font>, <a>, <strong> …
                self.walk(child)

    def image(self, img) -> None:
        if self.ocr is None or not self.ocr.enabled:
            return
        src = (img.get("src") or "").strip()
        if src.startswith("data:"):  # embedded in the page, as single-file savers write them
            embedded = embedded_image(src)
            if embedded is not None:
                with tempfile.TemporaryDirectory(prefix="reportdb-img-") as tmp:
                    path = Path(tmp) / f"embedded{embedded[1]}"
                    path.write_bytes(embedded[0])
                    self.read_image(path)
            return
        path = local_image(self.base, src)
        if path is not None:
            self.read_image(path)

    def read_image(self, path: Path) -> None:
        """An image of the page, OCR'd with the scan path when it is big enough
        to be a table; its grids and lines come in at this place."""
        from PIL import Image
        try:
            with Image.open(path) as im:
                w, h = im.size
        except Exception:  # noqa: BLE001 — an unreadable image is no table
            return
        if w < MIN_TABLE_IMAGE[0] or h < MIN_TABLE_IMAGE[1]:
            return
        from .images import PageRef
        from .read import ocr_pages
        self.end_block()
        pages, _, timings, _ = ocr_pages([(self.page, PageRef(str(path), 0, "image"))],
                                         replace(self.ocr, keep_images=False))
        for k, v in timings.items():
            self.timings[k] = round(self.timings.get(k, 0.0) + v, 4)
        read = pages[0]
        boxes = [g.bbox for g in read.grids]
        placed = [(g.bbox[1] if g.bbox else 0.0, 0, g) for g in read.grids]
        placed += [(ln.bbox[1] if ln.bbox else 0.0, 1, ln) for ln in read.lines
                   if not any(_inside(ln.bbox, b) for b in boxes)]
        for _, _, item in sorted(placed, key=lambda t: (t[0], t[1])):
            if isinstance(item, Grid):  # the image's pixels mean nothing on this page: boxes dropped
                cells = tuple(GridCell(c.row, c.col, c.text, c.rowspan, c.colspan, None, c.confidence,
                                       c.alternatives) for c in item.cells)
                self.grids.append(Grid(self.page, cells, None, len(self.lines), "ocr"))
            else:
                self.lines.append(Line(item.text, None, item.confidence))
        self.end_block()


def _inside(b, outer) -> bool:
    if b is None or outer is None:
        return False
    cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
    return outer[0] <= cx <= outer[2] and outer[1] <= cy <= outer[3]


_DATA_URI = re.compile(r"data:image/(png|jpeg|jpg|gif|bmp|tiff|webp);base64,", re.I)


def embedded_image(src: str) -> tuple[bytes, str] | None:
    """The bytes and file suffix of an image written into the page itself
    (``data:image/png;base64,…``); None for anything else or broken base64."""
    m = _DATA_URI.match(src)
    if not m:
        return None
    try:
        data = base64.b64decode(re.sub(r"\s+", "", src[m.end():]), validate=True)
    except (binascii.Error, ValueError):
        return None
    return (data, "." + m.group(1).lower()) if data else None


def local_image(base: Path | None, src: str) -> Path | None:
    """The saved file an ``<img src>`` names, when it is an image file in the
    page's own folder or below it (never a path that climbs out of it)."""
    if base is None or not src or src.startswith("data:"):
        return None
    parts = urlsplit(src)
    if parts.scheme in ("http", "https", "ftp") or parts.netloc:
        return None
    rel = unquote(parts.path)
    if parts.scheme not in ("", "file") or (parts.scheme == "" and rel.startswith("/")):
        return None  # a path on the web site (/images/x.png), not a saved file
    try:
        root = base.resolve()
        p = (root / rel).resolve() if parts.scheme == "" else Path(rel).resolve()
    except OSError:
        return None
    if root not in p.parents or p.suffix.lower() not in PAGE_IMAGE_SUFFIXES or not p.is_file():
        return None
    return p


# ------------------------------------------------------- the saved folder


def companion_dir(path: Path) -> Path | None:
    """The folder a browser saved beside ``name.html`` (``name_files``), if any."""
    if path.suffix.lower() not in HTML_SUFFIXES:
        return None
    for suffix in COMPANION_SUFFIXES:
        d = path.with_name(path.stem + suffix)
        if d.is_dir():
            return d
    return None


def is_companion_file(path: Path) -> bool:
    """Is ``path`` inside the saved folder of a web page beside it (so part of
    that page, not a document of its own)?"""
    for parent in path.parents:
        for suffix in COMPANION_SUFFIXES:
            if parent.name.endswith(suffix) and len(parent.name) > len(suffix):
                stem = parent.name[:-len(suffix)]
                if any((parent.parent / (stem + s)).is_file() for s in HTML_SUFFIXES):
                    return True
    return False


def page_sha256(path: Path, data: bytes | None = None) -> str:
    """The content hash of a saved page: the HTML's own SHA-256 when nothing was
    saved beside it; else SHA-256 over the HTML's digest and the name and digest
    of every image in its folder, so a changed table image is a changed page."""
    data = path.read_bytes() if data is None else data
    digest = hashlib.sha256(data)
    folder = companion_dir(path)
    if folder is None:
        return digest.hexdigest()
    h = hashlib.sha256(digest.digest())
    for f in sorted(folder.rglob("*")):
        if f.is_file() and f.suffix.lower() in PAGE_IMAGE_SUFFIXES:
            h.update(str(f.relative_to(folder)).encode("utf-8") + b"\0")
            h.update(hashlib.sha256(f.read_bytes()).digest())
    return h.hexdigest()


# ----------------------------------------------------------------- entry


class _TooDeep(Exception):
    pass


class _Depth:
    """An lxml parser target that only counts how deep elements nest: the same
    events BeautifulSoup builds its tree from, so the same depth."""

    def __init__(self, stop: int):
        self.stop, self.depth, self.deepest = stop, 0, 0

    def start(self, tag, attrib) -> None:
        self.depth += 1
        if self.depth > self.deepest:
            self.deepest = self.depth
            if self.deepest > self.stop:
                raise _TooDeep()

    def end(self, tag) -> None:
        self.depth -= 1

    def data(self, data) -> None:
        pass

    def close(self) -> int:
        return self.deepest


def nesting_depth(text: str, stop: int = 1 << 30) -> int:
    """How deep the page's elements nest, as the parser reports them (in C,
    without building a tree: a page nested 10,000 deep is measured in
    milliseconds); counting ends just past ``stop``. lxml's ``huge_tree`` stays
    off, so libxml2 keeps its own limits on the size of text nodes."""
    from lxml import etree

    target = _Depth(stop)
    parser = etree.HTMLParser(target=target, recover=True, huge_tree=False, no_network=True)
    try:
        parser.feed(text)
        parser.close()
    except _TooDeep:
        pass
    except etree.LxmlError:
        pass  # what the parser cannot take, BeautifulSoup says below
    return target.deepest


def read_html_pages(data: bytes, path: Path | None = None, ocr=None) -> tuple[list[Page], dict[str, float]]:
    """One page (number 1, source ``html``) with the article's lines and grids;
    and the OCR timings of any table image read. A page nested deeper than the
    limit (``ocr.limits``) is refused before it is parsed into a tree: the cleaning
    and the walk below look at every element's ancestors."""
    from bs4 import BeautifulSoup

    from .limits import Limits

    limits = getattr(ocr, "limits", None) or Limits()
    text, _ = decode_html(data)
    if nesting_depth(text, limits.max_html_depth) > limits.max_html_depth:
        raise ReadError(f"web page nested too deep (more than {limits.max_html_depth} elements one inside "
                        "another; REPORTDB_MAX_HTML_DEPTH sets the limit)")
    import sys
    if sys.getrecursionlimit() < limits.max_html_depth * 4 + 500:  # the walk recurses per element
        sys.setrecursionlimit(limits.max_html_depth * 4 + 500)
    soup = BeautifulSoup(text, "lxml")
    head_title = soup.title.get_text(" ").strip() if soup.title else ""
    clean(soup)
    article = find_article(soup)
    flow = _Flow(path.parent if path else None, ocr)
    flow.walk(article)
    flow.end_block()
    lines = flow.lines
    if not any(_is_title(_squash(ln.text)) for ln in lines[:6]):
        if head_title:  # the page's <title>, without the site name after _ | - ——
            title = re.split(r"\s*(?:_|\||——|-\s)\s*", head_title)[0].strip()
            if _is_title(_squash(title)):
                lines = [Line(title), Line("")] + lines
                flow.grids = [Grid(g.page, g.cells, g.bbox, g.at + 2, g.source) for g in flow.grids]
    if not any(ln.text for ln in lines) and not flow.grids:
        raise ReadError("web page with no article text")
    return [Page(1, lines, "html", grids=flow.grids)], flow.timings
