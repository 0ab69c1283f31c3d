"""The Tesseract engine's two ways in: its library held in the worker (tesserocr,
the default) and the ``tesseract`` command (pytesseract, where tesserocr is
missing). Both must be the same Tesseract and read the same words, or the
benchmark's comparison with the command and the goldens mean nothing."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from ocr import preprocess
from ocr.engines import Tesseract, engine
from ocr.images import PageRef, load

SCAN = Path(__file__).resolve().parents[1] / "fixtures" / "scans" / "2023_lixia_typo_clean.pdf"


@pytest.fixture(scope="module")
def backends():
    return Tesseract(backend="library"), Tesseract(backend="command")


@pytest.fixture(scope="module")
def page():
    img, dpi = load(PageRef(str(SCAN), 1, "pdf"))  # page 2: running text and table 1
    return preprocess.prepare(img, dpi).gray


def test_the_default_engine_holds_the_library(backends):
    library, command = backends
    assert engine("tesseract").backend == "InProcess"
    # built against the installed Tesseract (make: --no-binary tesserocr), not the
    # newer one its wheel carries
    assert library._b.version == command._b.version


def test_library_and_command_read_the_same_words(backends, page):
    library, command = backends
    top = np.ascontiguousarray(page[: page.shape[0] // 3])
    a, b = library.read_page(top), command.read_page(top)
    assert len(a) > 20
    assert [(w.text, w.box, w.line) for w in a] == [(w.text, w.box, w.line) for w in b]
    assert [round(w.confidence, 2) for w in a] == [round(w.confidence, 2) for w in b]


def test_library_and_command_read_the_same_digits(backends):
    library, command = backends
    crops = []
    for text in ("12", "305", "1", "4", "7", "2024", "0.5"):
        img = np.full((60, 40 * len(text) + 20), 255, np.uint8)
        cv2.putText(img, text, (10, 45), cv2.FONT_HERSHEY_SIMPLEX, 1.4, 0, 3)
        crops.append(img)
    a, b = library.read_crops(crops, True), command.read_crops(crops, True)
    assert [t for t, _ in a] == [t for t, _ in b]
    assert sum(t == want for (t, _), want in zip(a, ("12", "305", "1", "4", "7", "2024", "0.5"))) >= 5
    # each crop on its own, as one line (the reading for cells a strip lost)
    a, b = library.read_crops(crops, True, alone=True), command.read_crops(crops[:3], True, alone=True)
    assert [t for t, _ in a[:3]] == [t for t, _ in b]
    assert sum(t == want for (t, _), want in zip(a, ("12", "305", "1", "4", "7", "2024", "0.5"))) >= 5


def test_library_and_command_agree_on_a_turned_page(backends, page):
    library, command = backends
    turned = np.ascontiguousarray(cv2.rotate(page, cv2.ROTATE_90_CLOCKWISE))
    assert library.orientation(turned)[0] == command.orientation(turned)[0] == 270


def test_a_wrapped_label_is_cut_into_its_lines():
    """RapidOCR's recogniser reads one line: a label wrapped in its cell is cut
    first (``ocr.strips.text_lines``), a one-line crop is handed back whole."""
    from ocr.strips import text_lines

    crop = np.full((90, 300), 255, np.uint8)
    cv2.putText(crop, "first line", (5, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 0, 2)
    cv2.putText(crop, "second", (5, 75), cv2.FONT_HERSHEY_SIMPLEX, 0.9, 0, 2)
    lines = text_lines(crop)
    assert len(lines) == 2
    assert all(ln.shape[0] < 45 and (ln < 128).any() for ln in lines)
    one = crop[:45]
    assert len(text_lines(one)) == 1 and text_lines(one)[0] is one
    assert len(text_lines(np.full((20, 20), 255, np.uint8))) == 1
