"""Generated images compared by what they show, not by their bytes.

A scan fixture is pixels drawn by the generator and then encoded by Pillow and
OpenCV (JPEG, PNG, TIFF, a PDF of JPEGs). Another release of the encoder writes other
bytes for the same picture, so the committed scans are compared with a fresh
generation decoded, page by page, within a tolerance that an encoder change stays
inside and a change to what was drawn (a moved line, a missing digit, another seal)
does not. Files the project writes itself (the truth JSON) are compared whole.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageSequence

# An encoder change moves pixels by a few levels (measured: libjpeg-turbo of
# Pillow 12 against the one the committed JPEGs were written with, at most 27 levels,
# mean 0.06-0.2); a drawn change moves a whole stroke by most of the range: one
# printed digit at 200 dpi is some hundreds of pixels.
MEAN_TOLERANCE = 1.5       # grey levels, over the page
FAR_LEVELS = 64            # a pixel this far off counts as drawn differently
FAR_PIXELS = 100           # … and a page may have at most this many


def pages(path: Path) -> list[np.ndarray]:
    """The decoded pages of an image file or an image-only PDF, as greyscale arrays."""
    if path.suffix.lower() == ".pdf":
        import pypdfium2 as pdfium
        import pypdfium2.raw as raw

        out = []
        pdf = pdfium.PdfDocument(str(path))
        try:
            for page in pdf:
                for obj in page.get_objects(filter=[raw.FPDF_PAGEOBJ_IMAGE]):
                    out.append(np.asarray(obj.get_bitmap(render=False).to_pil().convert("L")))
        finally:
            pdf.close()
        return out
    with Image.open(path) as im:
        return [np.asarray(frame.convert("L")) for frame in ImageSequence.Iterator(im)]


def difference(a: Path, b: Path) -> str | None:
    """Why the pictures in ``a`` and ``b`` differ, or None when they show the same."""
    pa, pb = pages(a), pages(b)
    if len(pa) != len(pb):
        return f"{len(pa)} pages against {len(pb)}"
    for n, (x, y) in enumerate(zip(pa, pb), 1):
        if x.shape != y.shape:
            return f"page {n}: {x.shape} against {y.shape}"
        d = np.abs(x.astype(np.int16) - y.astype(np.int16))
        if d.mean() > MEAN_TOLERANCE:
            return f"page {n}: mean difference {d.mean():.2f} grey levels"
        far = int((d > FAR_LEVELS).sum())
        if far > FAR_PIXELS:
            return f"page {n}: {far} pixels differ by more than {FAR_LEVELS} levels"
    return None
