"""Numbers stated in the prose: one mention per quantity, with its sentence.

Only paragraphs are read (titles, headings and tables are not prose). The page of
a mention is the page its number is printed on, also when the paragraph runs
across a page break.
"""

from __future__ import annotations

import re

from .layout import Block
from .model import Mention
from .numbers import find_quantities

_SENTENCE_END = re.compile(r"[。！？!?；;]")


def sentence_at(text: str, pos: int) -> str:
    start = 0
    for m in _SENTENCE_END.finditer(text):
        if m.end() <= pos:
            start = m.end()
        else:
            return text[start:m.end()].strip()
    return text[start:].strip()


def mentions(blocks: list[Block]) -> list[Mention]:
    out = []
    for b in blocks:
        if b.kind != "para":
            continue
        for f in find_quantities(b.text):
            q = f.quantity
            out.append(Mention(page=b.page_at(f.start), section=b.section, value=q.value,
                               unit=q.unit, qualifier=q.qualifier,
                               text=sentence_at(b.text, f.start), raw=q.raw))
    return out
