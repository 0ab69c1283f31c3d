"""One document through the extraction stage — the recipe, top to bottom:

pages → furniture stripped → blocks (paragraphs, headings, tables) → metadata →
format from the printed labels → tables mapped to canonical cells (a pre-2019
report's statistics annex to ``legacy_stats``, ``extract.legacy``) → identities
checked → narrative mentions → an ``Extraction``.
"""

from __future__ import annotations

from dataclasses import replace

from ocr.model import Source

from . import layout, legacy, textforms
from .checks import evaluate
from .mentions import mentions
from .metadata import is_report_title, read_metadata, signature, signoff_year
from .regions import mend_names, place_document, region_flags
from .readings import choose_readings, unsure_cells
from .model import Extraction, Flag, NotAReport, Paragraph
from .tables import map_table
from .templates import FORMATS, detect_format, expected_format, load_spec
from .layout import TableRow

_SECTION_TABLES = {2: "proactive", 3: "requests", 4: "appeals"}
_CONTENT_HINTS = {"proactive": ("第二十条", "信息内容", "规范性文件", "行政许可", "行政处罚", "事业性收费"),
                  "requests": ("申请人情况", "自然人", "本年新收", "第一项加第二项", "法人或其他", "商业企业",
                               "予以公开", "办理结果", "不予公开", "无法提供", "不予处理", "其他处理",
                               "国家秘密", "结转下年度"),
                  "appeals": ("行政复议", "行政诉讼", "直接起诉", "复议后起诉")}


def _table_key(block: layout.Block) -> str | None:
    """Which table a block is: what its first rows print, when that names exactly one
    table (a section heading OCR garbled, ``SS三、收到和处理…``, left table 3 in section
    二), else the section it stands in."""
    text = "".join("".join(r.cells) for r in block.rows[:8])
    hits = {key: sum(h in text for h in hints) for key, hints in _CONTENT_HINTS.items()}
    best = max(hits, key=lambda k: hits[k])
    if hits[best] and sum(1 for v in hits.values() if v == hits[best]) == 1 and \
            (hits[best] >= 2 or block.section not in _SECTION_TABLES):
        return best
    return _SECTION_TABLES.get(block.section, best if hits[best] else None)


def _origin(source: Source, rows: list[TableRow]) -> str:
    """How the rows were read: their page's source, or their grid's own where it
    differs (a table image OCR'd inside a web page)."""
    pages = {p.number: p.source for p in source.pages}
    grids = [g for p in source.pages for g in p.grids]  # numbered as layout.stream numbers them
    kinds = {(grids[r.grid].source if r.grid is not None and r.grid < len(grids) and grids[r.grid].source
              else pages.get(r.page, "text")) for r in rows}
    return kinds.pop() if len(kinds) == 1 else "mixed"


def _legacy_tables(source: Source, tables: list[layout.Block],
                   flags: list[Flag]) -> tuple[list, list]:
    """A pre-2019 report's annex tables as ``legacy_stats`` cells (``extract.legacy``);
    a table printed after an annex without a header of its own continues it;
    any other table is flagged, as in the national formats."""
    cells, annex_rows, groups = [], None, []
    for b in tables:
        if legacy.is_annex(b):
            annex_rows = list(b.rows)
            groups.append(annex_rows)
        elif annex_rows is not None and legacy.find_header(b.rows) is None and len(b.rows[0].cells) > 1:
            annex_rows.extend(b.rows)
        else:
            flags.append(Flag("unrecognised_table", f"page={b.page}",
                              f"a table of {len(b.rows)} rows is not a statistics annex"))
    for rows in groups:
        origin = _origin(source, rows)
        annex = legacy.map_annex(rows, origin)
        if origin in ("ocr", "mixed"):
            annex = legacy.verify_names(annex)
        cells.extend(annex.cells)
        flags.extend(annex.flags)
    flags.extend(legacy.unsure_cells(cells))
    return cells, legacy.evaluate(cells)


def _settle_year(meta, blocks: list[layout.Block], ocr: bool):
    """The report year when the title does not give it, or gives it misread: the
    statistics period (``2023年1月1日至12月31日``) says it, else the closing date, a
    year later. A title read by OCR whose year both of them contradict was misread;
    typed text that disagrees is the report's own mistake, kept and flagged
    (``year_mismatch``)."""
    text_blocks = [b for b in blocks if b.kind != "table"]
    signed = signoff_year(text_blocks)
    if meta.year is None and signed:
        return replace(meta, year=signed - 1), [Flag(
            "year_from_signoff", "document", f"no year in the title or the statistics period; the "
            f"report is signed in {signed}, so it covers {signed - 1}", "info")]
    if ocr and meta.period_year and signed == meta.period_year + 1 and meta.year != meta.period_year:
        return replace(meta, year=meta.period_year), [Flag(
            "year_mended", "document", f"title read with the year {meta.year}; the statistics period and "
            f"the closing date ({signed}) both say {meta.period_year}", "info")]
    return meta, []


def extract(source: Source) -> Extraction:
    """Everything reportdb reads from one source. Raises ``NotAReport``."""
    ocr_pages = [p.number for p in source.pages if p.source == "needs_ocr"]
    if ocr_pages and len(ocr_pages) == len(source.pages):
        raise NotAReport("no usable text layer on any page, and the pages were not OCR'd")
    forms = textforms.prepare(source)  # a text dump whose tables lost their rows (extract.textforms)
    pages, removed = layout.strip_furniture(forms.pages if forms else source.pages)
    blocks = layout.blocks(layout.stream(pages))
    meta = read_metadata(blocks, forms.hints.publisher if forms else None)
    if not meta.is_report:
        raise NotAReport(meta.reason or "not a report")
    year_flags = []
    meta, year_flags = _settle_year(meta, blocks, any(p.source == "ocr" for p in source.pages))
    all_text = "\n".join([p.text for p in source.pages]
                         + [c.text for p in source.pages for g in p.grids for c in g.cells])
    evidence = detect_format(all_text)
    tables = [b for b in blocks if b.kind == "table"]
    if meta.title is None and not tables:
        raise NotAReport("not a report: no report title and no tables")
    flags: list[Flag] = list(year_flags)
    fmt_key = evidence.format or (forms.format if forms else None)
    expected = expected_format(meta.year)
    annexes = [b for b in tables if legacy.is_annex(b)]
    if fmt_key is None and (annexes or expected == "legacy"):
        fmt_key = "legacy"  # a pre-2019 report: its tables are read as annexes below
    if fmt_key is None and not is_report_title(meta.title):
        # however legible: a notice, a budget report, a page of noise read as text
        raise NotAReport("not a report: no title of a disclosure annual report (…信息公开…报告) "
                         "and no table of its formats")
    if fmt_key is None:
        if tables or expected in FORMATS:
            flags.append(Flag("format_unknown", "document",
                              "no label of a national table format was found"))
    if fmt_key and expected and fmt_key != expected:
        flags.append(Flag("format_year_mismatch", "document",
                          f"{meta.year} report printed in the {fmt_key} format "
                          f"({expected} expected for that year)", "info"))
    if meta.period_year and meta.year and meta.period_year != meta.year:
        flags.append(Flag("year_mismatch", "document",
                          f"title says {meta.year}, statistics period says {meta.period_year}"))
    if meta.agency is None:
        flags.append(Flag("agency_unknown", "document", "no issuing body in title or signature"))
    for n in ocr_pages:
        flags.append(Flag("ocr_needed", f"page={n}",
                          "no usable text layer on this page; its content was not read"))
    for p in source.pages:
        for note in p.notes:
            flags.append(Flag("page_prepared", f"page={p.number}", note, "info"))
    for page, text in removed:
        flags.append(Flag("furniture_removed", f"page={page}", text, "info"))

    cells, checks = [], []
    if fmt_key in FORMATS:
        fmt = load_spec()[fmt_key]
        grouped: dict[str, list[TableRow]] = {}
        last: tuple[str, int] | None = None  # the table before, and its width
        for b in tables:
            key = _table_key(b)
            if key is None and last is not None and len(b.rows[0].cells) == last[1]:
                key = last[0]  # rows that name no table, as wide as the table before: its continuation
            if key is not None:
                last = (key, len(b.rows[-1].cells))
            if key is None:
                flags.append(Flag("unrecognised_table", f"page={b.page}",
                                  f"a table of {len(b.rows)} rows matches no table of the format"))
                continue
            grouped.setdefault(key, []).extend(b.rows)
        for key, spec in fmt.tables.items():
            rows = grouped.get(key, [])
            if not rows and forms is not None and key in forms.tables:
                cells.extend(forms.tables[key].cells)
                flags.extend(forms.tables[key].flags)
                continue
            if not rows:
                flags.append(Flag("table_missing", key, "the table is not in the document"))
                continue
            mapped = map_table(spec, rows, _origin(source, rows))
            cells.extend(mapped.cells)
            flags.extend(mapped.flags)
        if any(c.origin in ("ocr", "mixed") for c in cells):
            cells, chosen = choose_readings(fmt, cells)
            flags.extend(chosen)
            flags.extend(unsure_cells(fmt, cells))
        checks = evaluate(fmt, cells)
    elif fmt_key == "legacy":
        cells, checks = _legacy_tables(source, tables, flags)
        flags.extend(textforms.annex_flags(forms, False, cells))
    if forms is not None:
        flags.extend(forms.flags)

    paragraphs = [Paragraph(seq=i, section=b.section, page=b.page, text=b.text, kind=b.kind)
                  for i, b in enumerate(x for x in blocks if x.kind != "table")]
    region = place_document(meta.agency, meta.year, meta.title, [p.text for p in paragraphs],
                            signature([b for b in blocks if b.kind != "table"]))
    flags.extend(region_flags(region, meta.agency))
    place = region.place
    title, agency = meta.title, meta.agency
    if place is not None and any(p.source == "ocr" for p in source.pages):
        # names that matter are matched against what is known, not trusted raw
        for what, read in (("title", title), ("agency", agency)):
            mended = mend_names(read, place) if read else read
            if mended != read:
                flags.append(Flag("name_mended", what, f"read {read!r}; official place names put "
                                  f"back: {mended!r}", "info"))
                title, agency = (mended, agency) if what == "title" else (title, mended)
    return Extraction(
        title=title, agency=agency, year=meta.year, format=fmt_key,
        pages=[(p.number, p.text, p.source) for p in source.pages], paragraphs=paragraphs,
        cells=cells, checks=checks, mentions=mentions(blocks), flags=flags,
        province=place and place.province, city=place and place.prefecture,
        county=place and place.county, township=place and place.township,
        region_code=place and place.region_code, region=region)
