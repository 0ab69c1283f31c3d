"""Searchable PDFs for archivists: each OCR'd page image with the text that was
read laid invisibly over it (PDF text render mode 3), line by line and cell by
cell, at the place it was read — so the scan can be searched, selected and
copied in any PDF viewer while it still shows exactly what was scanned.

The text comes from reportdb's own reading (no second OCR pass); the page images
are the cleaned ones the boxes refer to (turned upright and straightened).
"""

from __future__ import annotations

import io
from pathlib import Path

from .model import Page

FONT_NAME = "ReportdbCJK"
FONT_CANDIDATES = ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
                   "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")


def _font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT_NAME in pdfmetrics.getRegisteredFontNames():
        return FONT_NAME
    for path in FONT_CANDIDATES:
        if Path(path).exists():
            pdfmetrics.registerFont(TTFont(FONT_NAME, path, subfontIndex=0))
            return FONT_NAME
    return "Helvetica"  # no CJK font: Latin text stays searchable, CJK does not


def _place(c, text: str, box: tuple[float, float, float, float], scale: float, page_h: float, font: str) -> None:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    if not text.strip():
        return
    x0, y0, x1, y1 = (v * scale for v in box)
    size = max(2.0, (y1 - y0) * 0.9)
    natural = stringWidth(text, font, size) or 1.0
    t = c.beginText()
    t.setTextRenderMode(3)  # invisible
    t.setFont(font, size)
    t.setHorizScale(max(1.0, min(1000.0, 100.0 * (x1 - x0) / natural)))
    t.setTextOrigin(x0, page_h - y1 + (y1 - y0) * 0.15)
    t.textOut(text)
    c.drawText(t)


def write_searchable_pdf(out: Path, pages: list[Page], images: dict[int, tuple[bytes, int]]) -> Path:
    """Write ``out``: the OCR'd pages (those with a kept image), text invisible on top."""
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    font = _font()
    out.parent.mkdir(parents=True, exist_ok=True)
    c = Canvas(str(out), invariant=1)
    for page in pages:
        if page.number not in images:
            continue
        jpeg, dpi = images[page.number]
        scale = 72.0 / dpi
        w, h = (page.width or 0) * scale, (page.height or 0) * scale
        c.setPageSize((w, h))
        c.drawImage(ImageReader(io.BytesIO(jpeg)), 0, 0, w, h)
        for line in page.lines:
            if line.bbox:
                _place(c, line.text, line.bbox, scale, h, font)
        for grid in page.grids:
            for cell in grid.cells:
                if cell.bbox:
                    _place(c, cell.text, cell.bbox, scale, h, font)
        c.showPage()
    c.save()
    return out
