"""What the reading stage hands on: pages of text lines and raw table grids.

Plain, picklable dataclasses, so a page job can run in this process, a pool or a
cluster. Coordinates are page units with the origin at the top left: PDF points
for PDF pages, pixels for images. Text dumps, web pages and Word documents
have no geometry (``bbox`` None); where such a page holds grids, each grid says
where it stands in the flow of lines (``Grid.at``), so document order survives
without inventing coordinates.
"""

from __future__ import annotations

from dataclasses import dataclass, field

BBox = tuple[float, float, float, float]


@dataclass(frozen=True)
class Line:
    """One printed line as read (a text-dump line, a text-layer line, an OCR line)."""

    text: str
    bbox: BBox | None = None
    confidence: float = 1.0


@dataclass(frozen=True)
class GridCell:
    """One cell of a ruled table, merged cells kept with their spans."""

    row: int
    col: int
    text: str
    rowspan: int = 1
    colspan: int = 1
    bbox: BBox | None = None
    confidence: float = 1.0
    alternatives: tuple[str, ...] = ()  # other readings of an OCR'd cell, best first


@dataclass(frozen=True)
class Grid:
    """A table found on one page: its cells and where it sits.

    ``at``: on a page without geometry (HTML, Word), the grid stands before
    ``page.lines[at]`` (``len(lines)``: after the last line). ``source``: how the
    grid was read when that differs from its page (``ocr`` for a table pasted as
    an image into a web page), so each value's origin stays true.
    """

    page: int
    cells: tuple[GridCell, ...]
    bbox: BBox | None = None
    at: int | None = None
    source: str | None = None


@dataclass
class Page:
    """One page: ``source`` says how its text was obtained (text, text_layer, ocr,
    html, docx)."""

    number: int
    lines: list[Line]
    source: str = "text"
    width: float | None = None
    height: float | None = None
    grids: list[Grid] = field(default_factory=list)
    dpi: int | None = None               # image pages: the resolution read at
    notes: tuple[str, ...] = ()          # how an image page was prepared (turned, straightened …)

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


@dataclass
class Source:
    """A whole input file as read."""

    path: str
    sha256: str
    media_type: str
    pages: list[Page]
    images: dict[int, tuple[bytes, int]] = field(default_factory=dict)  # OCR'd page → (JPEG, dpi)
    timings: dict[str, float] = field(default_factory=dict)         # OCR stage → seconds, summed
    page_seconds: dict[int, float] = field(default_factory=dict)    # OCR'd page → seconds
