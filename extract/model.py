"""What the extraction stage hands on to the warehouse: one ``Extraction`` per
document, made of plain, picklable records."""

from __future__ import annotations

from dataclasses import dataclass, field

BBox = tuple[float, float, float, float]


@dataclass(frozen=True)
class Cell:
    """One table value under the spec's keys. ``value`` is None for a blank cell
    (raw '') or an unreadable one; ``origin`` says where it came from."""

    table_key: str
    row_key: str
    col_key: str
    value: float | None
    raw: str
    unit: str | None
    page: int | None
    bbox: BBox | None
    confidence: float
    origin: str
    alternatives: tuple[str, ...] = ()  # other OCR readings of the cell, best first


@dataclass(frozen=True)
class Check:
    """One identity of the spec evaluated on the printed cells."""

    check_key: str
    scope: str
    expected: float
    actual: float
    ok: bool


@dataclass(frozen=True)
class Mention:
    """A number stated in the prose."""

    page: int | None
    section: int
    value: float
    unit: str | None
    qualifier: str | None
    text: str
    raw: str


@dataclass(frozen=True)
class Paragraph:
    seq: int
    section: int
    page: int
    text: str
    kind: str = "para"  # para | heading | title


@dataclass(frozen=True)
class Flag:
    """Something the document itself says about how it was read. ``review`` flags
    make the document ``needs_review``; ``info`` flags are only recorded."""

    flag: str
    scope: str
    detail: str
    severity: str = "review"


@dataclass
class Extraction:
    title: str | None
    agency: str | None
    year: int | None
    format: str | None
    pages: list[tuple[int, str, str]]  # (number, text as read, how it was read)
    paragraphs: list[Paragraph]
    cells: list[Cell]
    checks: list[Check]
    mentions: list[Mention]
    flags: list[Flag] = field(default_factory=list)
    province: str | None = None
    city: str | None = None
    county: str | None = None
    township: str | None = None
    region_code: str | None = None
    region: object | None = None  # extract.regions.Resolution: codes, kind, candidates

    @property
    def status(self) -> str:
        """The reading's status: ``needs_review`` when a person must look at what was read
        (a review flag, or an identity failing where some value was OCR'd, so the
        failure may be the reading's). An identity failing on values read with
        certainty (text, a PDF's text layer, a web page, Word) is the report's own
        mistake: a finding (``report_status``), not a doubt about the reading."""
        return "needs_review" if any(f.severity == "review" for f in self.flags) or \
            (self.checks_failed and not all_certain(self.cells)) else "ok"

    @property
    def checks_failed(self) -> int:
        return sum(1 for c in self.checks if not c.ok)


UNCERTAIN_ORIGINS = ("ocr", "mixed")  # read by OCR: a failing identity may be the reading's


def all_certain(cells: list[Cell]) -> bool:
    """Were all values read with certainty (none OCR'd, or each corrected by a person)?"""
    return not any(c.origin in UNCERTAIN_ORIGINS for c in cells)


class NotAReport(Exception):
    """The file reads, but nothing of a report can be taken from it (not an annual
    report, or no readable text at all)."""

    stage = "extract"

    def __init__(self, reason: str = "not a report"):
        super().__init__(reason)
        self.reason = reason
