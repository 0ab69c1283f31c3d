"""Title, issuing body and report year, read from the title block and the text.

Titles come in several forms (domain notes §1d):
``{机关}{YYYY}年政府信息公开工作年度报告`` (canonical), ``{YYYY}年{机关}…``,
``{机关}政府信息公开工作{YYYY}年度报告``, ``关于{YYYY}年度…的报告`` (no body named).
Where the title names no body, the line under it or the signature line at the
end (``盐池县王乐井乡人民政府`` above a date) is used. The statistics-period
sentence (``统计数据从 2023 年 1 月 1 日至 12 月 31 日``) cross-checks the year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .layout import DATE_LINE, Block
from .numbers import chinese_to_int, fold

_YEAR = r"(?P<year>(?:19|20)\d{2}|[〇○零一二][〇○零一二三四五六七八九]{3})"
_DISCLOSURE = r"(?:政府|政务)?(?:信息)?公开(?:工作)?"
_TITLE_FORMS = [
    re.compile(rf"^关于{_YEAR}年度?.*报告$"),
    re.compile(rf"^{_YEAR}年度?(?P<agency>.*?){_DISCLOSURE}.*报告$"),
    re.compile(rf"^(?P<agency>.+?){_DISCLOSURE}(?:工作)?{_YEAR}年度?.*报告$"),
    re.compile(rf"^(?P<agency>.*?){_YEAR}年度?.*报告$"),
]
# the national report type: 政府信息公开工作年度报告 and its variants (政务公开, 年报)
_REPORT_TYPE = re.compile(r"(?:信息|政务)公开.*(?:报告|年报)")
_NOT_REPORT = re.compile(r"解读|范文|模板|格式.*通知|的通知$|制度$|图解")
_AGENCY_END = re.compile(r"(人民政府|政府|办公室|办公厅|局|委员会|委|办|厅|中心|院|所|处|站|队|"
                         r"署|乡|镇|街道|街道办事处|办事处|管委会|管理委员会|分局|社区|集团)$")
_PERIOD = re.compile(
    r"(?:统计期限|统计数据|统计时限|统计时间|数据统计)[^。]{0,12}?(?:自|从|为|是)?\s*"
    rf"{_YEAR}\s*年\s*1\s*月\s*1\s*日")


@dataclass(frozen=True)
class Metadata:
    title: str | None
    agency: str | None
    year: int | None
    period_year: int | None
    agency_source: str | None  # title | line | signature
    is_report: bool
    reason: str | None = None  # why it is not a report


def _year(text: str) -> int:
    return int(text) if text.isdigit() else chinese_to_int(text)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", fold(text))


_FIELD_PREFIX = re.compile(r"^(?:#+|标题|题目|文章标题|正文)[:：]?")
_BRACKETED_BODY = re.compile(r"^[(\[]([^()\[\]]{2,30})[)\]]")


def clean_agency(name: str | None) -> str | None:
    """A body's name without what crawlers and converters put around it:
    ``标题:`` fields, Markdown ``#``, enclosing brackets (``（汉阳区人民政府办公室）``)."""
    if not name:
        return None
    t = _FIELD_PREFIX.sub("", _squash(name))
    m = _BRACKETED_BODY.match(t)
    if m and (m.end() == len(t) or _AGENCY_END.search(m.group(1))):
        t = m.group(1)
    t = t.strip("《》<>\"'：:，,()[]")
    return t or None


def is_report_title(title: str | None) -> bool:
    """Does ``title`` name a disclosure annual report (信息公开 / 政务公开 … 报告 / 年报)?
    ``关于2023年度部门预算执行情况的报告`` is a report, but not of this type."""
    return bool(title) and bool(_REPORT_TYPE.search(_FIELD_PREFIX.sub("", _squash(title))))


def parse_title(title: str) -> tuple[str | None, int | None]:
    """(agency, year) from a title line; either may be None."""
    t = _FIELD_PREFIX.sub("", _squash(title))
    for form in _TITLE_FORMS:
        m = form.match(t)
        if m:
            agency = (m.groupdict().get("agency") or "").strip("《》<>\"'：:，,")
            agency = re.sub(r"^关于", "", agency)
            agency = re.sub(r"(的|关于)$", "", agency)
            return clean_agency(agency), _year(m.group("year"))
    return None, None


def read_metadata(blocks: list[Block], publisher: str | None = None) -> Metadata:
    """``publisher``: the body a crawler's ``发布机构``/``单位`` field names, used
    when neither the title, the line under it nor the signature names one."""
    text_blocks = [b for b in blocks if b.kind != "table"]
    title_block = next((b for b in text_blocks if b.kind == "title"), None)
    title = title_block.text.strip() if title_block else None
    agency, year, source = None, None, None
    if title:
        agency, year = parse_title(title)
        source = "title" if agency else None
        if not agency:
            i = text_blocks.index(title_block)
            for nb in text_blocks[i + 1:i + 2] + text_blocks[max(0, i - 1):i]:
                cand = _squash(nb.text)
                if len(cand) <= 30 and _AGENCY_END.search(cand) and "。" not in cand:
                    agency, source = cand, "line"
                    break
    if not agency:
        agency = signature(text_blocks)
        source = "signature" if agency else None
    if not agency and publisher and _AGENCY_END.search(clean_agency(publisher) or ""):
        agency, source = clean_agency(publisher), "publisher"
    agency = clean_agency(agency)
    period = None
    for b in text_blocks[:12]:
        m = _PERIOD.search(_squash(b.text))
        if m:
            period = _year(m.group("year"))
            break
    is_report, reason = True, None
    if title and _NOT_REPORT.search(_squash(title)):
        is_report, reason = False, f"not a report: the title is {title[:40]!r}"
    return Metadata(title, agency, year or period, period, source, is_report, reason)


def signoff_year(text_blocks: list[Block]) -> int | None:
    """The year of the closing date (``2023 年 1 月 16 日``) under the signature, if the
    report ends with one: a report is signed in the year after the one it covers."""
    for b in reversed(text_blocks[-4:]):
        m = DATE_LINE.match(b.text)
        if m:
            try:
                return _year(m.group(1))
            except ValueError:
                return None
    return None


def signature(text_blocks: list[Block]) -> str | None:
    """The issuing body signed above the closing date, if the report ends that way."""
    tail = text_blocks[-4:]
    for i in range(len(tail) - 1, 0, -1):
        if DATE_LINE.match(tail[i].text):
            cand = _squash(tail[i - 1].text)
            if len(cand) <= 30 and _AGENCY_END.search(cand):
                return cand
    return None
