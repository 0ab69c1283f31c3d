"""Property tests: the number normaliser and the text-table parser take any input
without an exception escaping; what they cannot read they say so clearly."""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extract.document import extract
from extract.model import NotAReport
from extract.numbers import ZERO_MARKS, find_quantities, parse_cell
from ocr.errors import ReadError
from ocr.model import Source
from ocr.text import read_text_pages

from .conftest import SAMPLES

# characters a table cell really holds: digits (half and full width), Chinese
# numerals, dashes, units, qualifiers, separators, and some noise
CELL_ALPHABET = st.sampled_from(list("0123456789０１２３４５６７８９,.，。-－—–/／无一二三四五六七八九十百千万亿"
                                     "余多约近超过逾件条人个万元%％ \t\u3000()（）abcXYZ#*?\x00\ufffd"))
cell_text = st.one_of(st.text(CELL_ALPHABET, max_size=14), st.text(max_size=14))

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(cell_text)
def test_parse_cell_never_raises_and_never_guesses(raw):
    q = parse_cell(raw)
    assert q.raw == raw
    assert q.kind in ("number", "zero_mark", "blank", "invalid")
    if q.kind == "invalid":
        assert q.value is None and q.error and "\n" not in q.error
    elif q.kind == "blank":
        assert q.value is None and not raw.strip()
    elif q.kind == "zero_mark":
        assert q.value == 0
    else:
        assert q.value is not None and math.isfinite(q.value)


@FUZZ
@given(st.integers(min_value=0, max_value=10**9))
def test_parse_cell_reads_plain_and_grouped_integers(n):
    assert parse_cell(str(n)).value == n
    assert parse_cell(f"{n:,}").value == n
    assert parse_cell(str(n).translate(str.maketrans("0123456789", "０１２３４５６７８９"))).value == n


@FUZZ
@given(st.sampled_from(sorted(ZERO_MARKS)), st.sampled_from(["", " ", "\u3000"]))
def test_zero_marks_are_zero_with_the_mark_kept(mark, pad):
    q = parse_cell(pad + mark + pad)
    assert (q.value, q.kind, q.raw) == (0, "zero_mark", pad + mark + pad)


@FUZZ
@given(st.text(max_size=300))
def test_find_quantities_never_raises(text):
    for f in find_quantities(text):
        assert 0 <= f.start < f.end <= len(text)
        assert f.quantity.value is None or math.isfinite(f.quantity.value)


def _sample_lines() -> list[list[str]]:
    return [p.read_text(encoding="utf-8").split("\n") for p in sorted(SAMPLES.glob("*.txt"))]


SAMPLE_LINES = _sample_lines()


@st.composite
def mangled_report(draw) -> str:
    """A real text dump, mangled: table cells replaced by fuzz, lines dropped,
    doubled or swapped, page breaks inserted, columns split differently."""
    lines = list(draw(st.sampled_from(SAMPLE_LINES)))
    for _ in range(draw(st.integers(0, 25))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["cell", "cell", "cell", "drop", "dup", "swap", "page", "tabs"]))
        if op == "cell" and "\t" in lines[i]:
            parts = lines[i].split("\t")
            j = draw(st.integers(0, len(parts) - 1))
            parts[j] = draw(cell_text)
            lines[i] = "\t".join(parts)
        elif op == "drop":
            del lines[i]
        elif op == "dup":
            lines.insert(i, lines[i])
        elif op == "swap" and i + 1 < len(lines):
            lines[i], lines[i + 1] = lines[i + 1], lines[i]
        elif op == "page":
            lines.insert(i, "\f")
        elif op == "tabs":
            lines[i] = lines[i].replace("\t", draw(st.sampled_from(["  ", " ", "|", "\t\t", ""])))
    return "\n".join(lines)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mangled_report(), st.sampled_from(["utf-8", "gb18030", "utf-16"]))
def test_text_table_parser_takes_any_mangled_dump(text, encoding):
    data = text.encode(encoding, errors="replace")
    try:
        x = extract(Source("fuzz.txt", "0" * 64, "text/plain", read_text_pages(data, "fuzz.txt")))
    except (ReadError, NotAReport) as exc:  # the ways a dump is refused: a clear, one-line reason
        assert exc.reason and "\n" not in exc.reason
        return
    assert x.status in ("ok", "needs_review")
    for c in x.cells:
        assert c.table_key in ("proactive", "requests", "appeals")
        assert c.value is None or math.isfinite(c.value)
    assert all(f.severity in ("review", "info") for f in x.flags)
