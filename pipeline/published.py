"""When a report was published, where the file says so.

Only a publication field counts: a web page's 发布时间/发布日期 line (the portal's
own record of when it put the report up) or the same field a crawler wrote at the
head of a text dump (``发布时间: 2024-01-20``). The date under the signature
(成文日期, the sign-off) says when the report was written, not when the public
could read it, and a file's modification time says when it was copied: neither is
taken. A PDF, a Word file or a scan carries no such field, so their publication
date stays unknown (NULL) and no deadline is judged for them.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

# 发布时间：2024-01-20 10:31 · 发布日期:2024年1月20日 · 公开日期 2024/01/20
_FIELD = re.compile(r"(发布时间|发布日期|公开日期|发布于)\s*[:：]?\s*"
                    r"(\d{4})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})")
_HTML = (".html", ".htm", ".shtml")
_HEAD = 4000  # characters of a text dump's head where a crawler's fields stand


def _first_date(text: str) -> date | None:
    for m in _FIELD.finditer(text):
        try:
            return date(int(m.group(2)), int(m.group(3)), int(m.group(4)))
        except ValueError:
            continue
    return None


def published(path: str, media_type: str | None, first_page: str | None) -> tuple[date, str] | None:
    """(date, basis) of publication, or None when the file does not say.
    ``first_page``: the text of the document's first page as read."""
    p = Path(path)
    if p.suffix.lower() in _HTML or (media_type or "").startswith("text/html"):
        from ocr.html import decode_html
        try:
            text = re.sub(r"<[^>]*>", " ", decode_html(p.read_bytes())[0])
        except Exception:  # noqa: BLE001 — unreadable here: the reader has said why, or read it anyway
            return None
        got = _first_date(text)
        return (got, "web page 发布时间 field") if got else None
    if first_page and (media_type or "").startswith("text/plain"):
        got = _first_date(first_page[:_HEAD])
        return (got, "crawler 发布时间 field") if got else None
    return None
