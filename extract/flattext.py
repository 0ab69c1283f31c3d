"""Text that flattened the tables: cleaning, token streams and table regions.

Why this exists: most web archives hold these reports as text in which the
national tables lost their grid — one cell per line with blank lines for blank
cells (a browser copy), ``label | v | v |`` pipe residue (a crawler or a
Markdown converter), cells joined by spaces with ``Page N - …`` / ``P. N``
markers (PDF-to-HTML flipbooks), digits glued together (``规范性文件898989``), or
the whole report on one line behind crawler header fields. Reading one parser per
form would never end, so this module only turns any of them into *one* token
stream (text runs, numbers, explicit blanks); ``extract.align`` then aligns that
stream to the known national template. Nothing here decides a value.

Steps (pure functions):

* ``clean_lines``: crawler fields (``标题:`` ``发布时间:`` ``来源:`` ``原文链接:``
  ``发布机构:``, ``==== 正文 ====``), Markdown marks (``#`` headings, ``|---|``
  rules, ``**``), portal chrome and page markers are taken out; what they said
  (the title, the publisher) is kept as hints; a report printed on one line is cut
  at its section headings and sentence ends so the rest of the pipeline sees lines.
* ``regions``: the line ranges of tables 2, 3 and 4 (from the section headings,
  else from the tables' own anchor labels).
* ``tokens``: a region's lines → ``Run`` items. Whitespace between CJK characters
  joins them (``自 然 人``); ``|`` and line ends separate cells; an enumerator
  (``（三）`` ``1.`` ``一、``) starts a new run, so ``（三）不予公开1.属于国家秘密`` gives
  two labels; a bracketed note stays inside its label. Blank cells are runs that
  say where they came from (a blank line of a one-cell-per-line copy, an empty pipe
  cell, spaces a cell wide), so that the alignment can weigh them; a leading pipe
  is told from an empty first cell by how the document prints its value rows
  (``leading_pipes``); a number printed right after its label with nothing between
  is marked ``tight`` (the document glues digits).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .numbers import fold

_CJK = "\u4e00-\u9fff"
_CN_NUM = "一二三四五六七八九十"

# ------------------------------------------------------------------ cleaning

_FIELD = re.compile(r"^\s*(标题|题目|发布时间|发文日期|成文日期|发布日期|来源|信息来源|原文链接|链接|网址|"
                    r"发布机构|发布单位|单位|索引号|浏览次数|作者|字号|分享|访问量|所属机构)\s*[:：]\s*(.*)$")
_BANNER = re.compile(r"^\s*[=＝*#\-]{2,}\s*(正文|原文|内容|全文)?\s*[=＝*#\-]{2,}\s*$")
_MD_RULE = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_MD_HEAD = re.compile(r"^\s*#{1,6}\s*")
_PAGE_MARK = re.compile(r"^\s*(?:Page\s+\d{1,4}\b.*|[Pp]\s*\.\s*\d{1,4}|第\s*\d{1,4}\s*页(?:\s*共\s*\d+\s*页)?"
                        r"|[-—–]\s*\d{1,4}\s*[-—–])\s*$")
_BARE_NO = re.compile(r"^\s*\d{1,3}\s*$")
_CHROME = re.compile(r"(^\s*分享到?[:：]?\s*$|^\s*首页\s*[>＞])")
# chrome phrases taken out of a line, whatever else it holds (a one-line report holds everything)
_CHROME_INLINE = re.compile(r"(您访问的链接即将离开[^。\n]{0,40}?是否继续[?？]?|扫一扫在手机(?:上)?打开(?:当前页)?|"
                            r"打印本页|关闭窗口|【打印】|【关闭】|字号[:：]?\s*大\s*中\s*小|分享到[:：]|"
                            r"(?<=\s)分享[:：](?=\s))")
_SECTION_KEYS = ("总体情况", "工作基本情况", "概述", "主动公开政府信息情况", "收到和处理政府信息公开申请",
                 "行政复议、行政诉讼情况", "行政复议行政诉讼情况", "被申请行政复议", "存在的主要问题",
                 "其他需要报告的事项")
_MD_INLINE_RULE = re.compile(r"\|\s*(?::?-{3,}:?\s*\|\s*)+")  # a |---|---| rule inside a line
_SECTION_AT = re.compile(rf"(?<![{_CJK}\d])(?:#{{1,6}}\s*)?([一二三四五六七])\s*[、.．]\s*(?=(?:政府信息公开)?(?:因政府信息公开工作)?"
                         rf"(?:{'|'.join(_SECTION_KEYS)}))")
_DATE_AT = re.compile(r"\s+(?=(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日\s*$)")
_LONG_LINE = 400


@dataclass
class Hints:
    """What crawler fields and notes said about the document."""

    title: str | None = None
    publisher: str | None = None
    zero_note: str | None = None   # the sentence declaring how zeros are printed
    zero_marks: frozenset[str] = frozenset()  # '' (blank), '-', '/' declared as 0
    removed: list[str] = field(default_factory=list)
    glued: bool = False  # a label runs into its first value somewhere: digits may be glued


def split_one_line(text: str) -> list[str]:
    """A report printed on one line → lines: cut before section headings, crawler
    fields and the closing date, and after sentence ends."""
    t = re.sub(r"\s*(?=(?:标题|发布时间|来源|原文链接|发布机构|索引号)[:：])", "\n", text)
    t = re.sub(r"\s*([=＝]{2,}\s*正文\s*[=＝]{2,})\s*", r"\n\1\n", t)
    t = _MD_INLINE_RULE.sub("| ", t)
    t = _SECTION_AT.sub(lambda m: "\n" + m.group(0), t)
    # the heading on a line of its own: a table printed after it must not share its line
    t = re.sub(r"(\n(?:#{1,6}\s*)?[一二三四五六七]\s*[、.．][^|\n。]{2,30}?(?:情况|事项|概述))[ \t]*(?=\S)", "\\1\n", t)
    t = re.sub(r"(?<=[。！？])\s*", "\n", t)
    t = re.sub(r"^(.{6,80}?报告)\s+", r"\1\n", t.lstrip(), count=1)
    # the title after the crawler's fields: '# 关于2020年度政府信息公开情况的报告 本报告根据…'
    t = re.sub(r"(\n\s*(?:#{1,6}\s*)?[^\n|:：]{6,80}?(?:年度?|工作)[^\n|:：]{0,40}?报告)[ \t]+(?=\S)", r"\1\n", t, count=1)
    out = []
    for ln in t.split("\n"):
        out.extend(_DATE_AT.sub("\n", ln).split("\n"))
    return out


_ZERO_NOTE = re.compile(r"(空白[^。；;]{0,12}?表示[^。；;]{0,6}?(?:0|零|无)|"
                        r"[\"“]?\s*([—\-－/／])+\s*[\"”]?\s*(?:均)?表示\s*(?:数量为)?\s*(?:0|零|无))")


def zero_convention(text: str) -> tuple[str | None, frozenset[str]]:
    """The report's own statement of how it prints zeros, and the marks it covers."""
    marks: set[str] = set()
    note = None
    for m in _ZERO_NOTE.finditer(fold(text)):
        note = note or m.group(0)
        if m.group(0).startswith("空白"):
            marks.add("")
        else:
            marks.add("/" if m.group(2) in "/／" else "-")
    return note, frozenset(marks)


def _page_number_near(lines: list[tuple[int, str]], marked: list[bool], i: int) -> bool:
    """A bare number beside a flipbook's page marker is the page's printed number when
    it agrees with the marker's (``15`` before ``Page 16 - …`` / ``P. 16``); a value of a
    table that ends a page is not (``13`` before ``- 3 -``: that marker is the printed
    number itself)."""
    n = int(lines[i][1].strip())
    for j in range(max(0, i - 2), min(len(lines), i + 3)):
        if marked[j] and re.match(r"\s*(?:Page\s+\d|[Pp]\s*\.\s*\d)", lines[j][1]):
            m = re.search(r"\d{1,4}", lines[j][1])
            if m and abs(int(m.group()) - n) <= 1:
                return True
    return False


def clean_lines(lines: list[tuple[int, str]]) -> tuple[list[tuple[int, str]], Hints]:
    """(page, line) pairs without crawler fields, Markdown marks, chrome and page
    markers; a one-line report cut into lines. Blank lines are kept (they can be
    blank cells)."""
    hints = Hints()
    expanded: list[tuple[int, str]] = []
    for page, text in lines:
        if _CHROME_INLINE.search(text):
            hints.removed.extend(m.group(0) for m in _CHROME_INLINE.finditer(text))
            text = _CHROME_INLINE.sub(" ", text)
            if not text.strip():
                continue
        if len(text) > _LONG_LINE:
            expanded.extend((page, t) for t in split_one_line(text))
        else:
            expanded.append((page, text))
    marked = [bool(_PAGE_MARK.match(t)) for _, t in expanded]
    out: list[tuple[int, str]] = []
    for i, (page, text) in enumerate(expanded):
        t = text.replace("\u3000", " ").rstrip()
        near_mark = any(marked[j] for j in range(max(0, i - 2), min(len(expanded), i + 3)))
        m = _FIELD.match(t)
        if m and len(m.group(2)) <= 120:
            name, value = m.group(1), m.group(2).strip()
            if name in ("标题", "题目") and value:
                hints.title = hints.title or value
                out.append((page, value))
            elif name in ("发布机构", "发布单位", "单位", "所属机构") and value:
                hints.publisher = hints.publisher or re.split(r"\s{2,}|\s+\d{4}年", value)[0]
            hints.removed.append(t.strip())
            continue
        if _BANNER.match(t) or _MD_RULE.match(t) or marked[i] or _CHROME.search(t) \
                or (near_mark and _BARE_NO.match(t) and _page_number_near(expanded, marked, i)):
            if t.strip():
                hints.removed.append(t.strip())
            continue
        t = _MD_HEAD.sub("", t).replace("**", "")
        out.append((page, t))
    hints.zero_note, hints.zero_marks = zero_convention("\n".join(t for _, t in out))
    return out, hints


# ------------------------------------------------------------------- regions

def _squash(text: str) -> str:
    return re.sub(r"[\s|]+", "", fold(text))


_HEAD = {
    2: re.compile(r"^[二2][、.]?主动公开政府信息情况"),
    3: re.compile(r"^[三3][、.]?收到和处理政府信息公开申请情况"),
    4: re.compile(r"^[四4][、.]?(?:政府信息公开|因政府信息公开工作)?(?:被申请)?行政复议"),
    5: re.compile(r"^[五5][、.]?(?:政府信息公开工作)?存在的?主要问题"),
}
_ANCHOR = {2: re.compile(r"第二十条"), 3: re.compile(r"申请人情况|本列数据的勾稽关系|本年新收政府信息公开申请"),
           4: re.compile(r"^(?:行政复议)"), 5: re.compile(r"^[五六][、.]")}
TABLE_OF = {2: "proactive", 3: "requests", 4: "appeals"}


def _prose(text: str) -> bool:
    """A sentence of the report, not a table line."""
    if text.count("|") >= 3:
        return False  # pipe residue: a table line however long
    s = _squash(text)
    values = len(re.findall(r"(?:^|[\s|])(?:-?\d+(?:\.\d+)?|[-/—]|无)(?=$|[\s|])", fold(text)))
    return ("。" in s and len(s) > 24) or (len(s) > 60 and values < 3)


def regions(lines: list[tuple[int, str]]) -> dict[str, tuple[int, int]]:
    """Line ranges [start, end) of tables 2, 3 and 4: from the line after a table's
    section heading (or its first anchor) to the next section heading; prose lines
    at either edge are left out."""
    sq = [_squash(t) for _, t in lines]
    heads: dict[int, int] = {}
    for i, s in enumerate(sq):
        for n, rx in _HEAD.items():
            if n not in heads and rx.match(s) and len(s) <= 40:
                heads[n] = i
    starts: dict[int, int] = {}
    for n in (2, 3, 4):
        if n in heads:
            starts[n] = heads[n] + 1
            continue
        after = max([starts[k] for k in starts] + [0])
        hit = next((i for i in range(after, len(sq)) if _ANCHOR[n].search(sq[i])
                    and not _prose(lines[i][1])), None)
        if hit is not None:
            starts[n] = hit
    bounds = sorted(set(list(starts.values()) + [heads[5]] if 5 in heads else list(starts.values())))
    out: dict[str, tuple[int, int]] = {}
    for n, s in starts.items():
        nxt = [b for b in bounds if b > s]
        e = (nxt[0] - 1 if nxt and nxt[0] - 1 in heads.values() else nxt[0]) if nxt else len(lines)
        if nxt and any(h == nxt[0] for h in heads.values()):
            e = nxt[0]
        if not nxt:
            e = len(lines)
        while s < e and (not sq[s] or _prose(lines[s][1])):
            s += 1
        # the table ends where the prose after it starts
        k = s
        while k < e and not _prose(lines[k][1]):
            k += 1
        e = k
        while e > s and not sq[e - 1]:
            e -= 1
        if e > s:
            out[TABLE_OF[n]] = (s, e)
    return out


# -------------------------------------------------------------------- tokens

@dataclass
class Run:
    """One item of a flattened table's token stream."""

    kind: str           # text | num | blank
    text: str           # text: squashed label text; num: the value as printed
    index: int          # clean-line index where it starts (its page)
    spaced: bool = False  # num: separated from the previous num by a space or line
    src: str = ""       # blank: 'line' (a blank line of a one-cell-per-line copy), 'pipe' (an empty
    #                     ``| |`` cell) or 'space' (a run of spaces one cell wide, trusted only where
    #                     the spacing of the whole table agrees with the template)
    tight: bool = False  # num: printed right after label text, no space or pipe between (glued)
    own_line: bool = False  # num: a one-cell-per-line copy's cell (blank cells there are blank lines)


_PIECE = re.compile(
    rf"(?P<br>\([^()]*\))"                                   # a bracketed note or enumerator
    rf"|(?P<cnenum>[{_CN_NUM}]+\s*、)"
    rf"|(?P<numenum>\d\s*[.．](?=\s*[{_CJK}]))"
    rf"|(?P<num>-?\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?(?:万元|元)?(?![\d,])"    # 1,234 (thousands)
    rf"|-?(?:\d(?!\s*[.．]\s*[{_CJK}]))+(?:\.\d+)?(?:万元|元)?)"
    rf"|(?P<mark>[-/\\]+)"
    rf"|(?P<sp>\s+)"
    rf"|(?P<txt>[^\s\d()\-/\\]+|[\d])")


def _pieces(cell: str):
    """A cell's text → (kind, text) pieces: enum, text, num, mark, space."""
    s = fold(cell).replace('"', "").replace("'", "")
    prev_txt = ""
    for m in _PIECE.finditer(s):
        kind = m.lastgroup
        t = m.group()
        if kind == "br":
            inner = t[1:-1].strip()
            if re.fullmatch(rf"[{_CN_NUM}]+|\d{{1,2}}", inner) and not prev_txt.endswith("第"):
                yield "enum", t
            else:
                yield "text", t
        elif kind in ("cnenum", "numenum"):
            # a digit glued to the values before it: 0000002.其他… → values 000000, enumerator 2.
            yield "enum", re.sub(r"\s+", "", t)
        elif kind == "num":
            yield "num", t
        elif kind == "mark":
            yield ("mark", t) if t in ("-", "/", "\\", "--") or re.fullmatch(r"-+", t) else ("text", t)
        elif kind == "sp":
            yield "space", t
        elif t == "无" and not prev_txt.rstrip().endswith(tuple("([")) and (m.end() == len(s) or s[m.end()].isspace()):
            yield "mark", t   # 无 alone in a cell: 0, as — is
        else:
            yield "text", t
        if kind != "sp":
            prev_txt = t


_VALUE_ROW = re.compile(r"^\s*(\|)?\s*[^\s|\d\-/][^|]*\|\s*(?:-?\d|[-/])")


def leading_pipes(lines: list[tuple[int, str]]) -> bool:
    """Does this document print its value rows as ``| label | v |`` (a leading pipe
    that stands for nothing) rather than ``label | v |``? Decided by the rows that
    carry a label and a value; header rows are left out (converters print them
    either way)."""
    votes = [bool(m.group(1)) for _, t in lines for m in [_VALUE_ROW.match(fold(t))] if m]
    return not votes or sum(votes) * 2 >= len(votes)


def tokens(lines: list[tuple[int, str]], start: int, end: int, lead_pipe: bool = True) -> list[Run]:
    """The token stream of lines[start:end] (see the module docstring). ``lead_pipe``:
    the document's value rows start with a pipe that stands for nothing
    (``leading_pipes``); otherwise a line that starts with an empty cell and then
    values (a table-4 row without label) starts with a blank cell."""
    # one cell per line: more lines hold a value alone than hold a value beside something else
    value = re.compile(r"-?\d[\d.]*(?:万元|元)?|[-/\\]+")
    alone = beside = 0
    for _, t in lines[start:end]:
        f = fold(t).strip()
        if not f:
            continue
        if "|" not in f and value.fullmatch(f):
            alone += 1
        elif re.search(r"(?:^|[\s|])(?:-?\d[\d.]*|[-/])(?=$|[\s|])", f):
            beside += 1
    one_per_line = alone > beside and alone >= 2
    out: list[Run] = []
    open_br = 0       # an unclosed bracket carries a label over the line end
    glue = False      # the next text piece joins the current text run
    num_gap = True    # a separator stands before the next number
    prev_line = ""
    for li in range(start, end):
        text = lines[li][1]
        if not text.strip():
            if one_per_line:
                out.append(Run("blank", "", li, spaced=True, src="line"))  # a blank line, not an empty cell
            glue = open_br > 0
            num_gap = True
            continue
        if "|" in text:
            cells = text.split("|")
            if not cells[0].strip():
                first = next((c for c in cells[1:] if c.strip()), "")
                label_first = bool(first) and not re.fullmatch(r"\s*(?:-?\d[\d.]*(?:万元|元)?|[-/\\—－]+)\s*",
                                                                fold(first))
                continued = bool(prev_line) and "|" not in prev_line.rstrip()[-1:] \
                    and not re.search(r"\d\s*$", prev_line)   # a label whose pipe went to this line
                if label_first or lead_pipe or continued:
                    cells = cells[1:]
            if cells and not cells[-1].strip():
                cells = cells[:-1]
        else:
            cells = [text]
        after_text = False
        for ci, cell in enumerate(cells):
            if not cell.strip():
                out.append(Run("blank", "", li, src="pipe"))
                glue = False
                num_gap = True
                after_text = False
                continue
            if ci or "|" in text:
                glue = open_br > 0
                num_gap = True
                after_text = False
            pending_space = ""
            for kind, t in _pieces(cell):
                if kind == "space":
                    num_gap = True
                    pending_space = t
                    continue
                sp, pending_space = pending_space, ""
                if kind in ("num", "mark"):
                    if "|" not in text and not one_per_line and (out and out[-1].kind == "num" or after_text) \
                            and sp.count(" ") >= 2 and "\t" not in sp:
                        for _ in range(sp.count(" ") - 1):  # a cell's width of spaces: an empty cell
                            out.append(Run("blank", "", li, src="space"))
                    elif "|" not in text and not one_per_line and ci == 0 and not out_has_line(out, li) \
                            and sp and sp == cell[:len(sp)] and "\t" not in sp:
                        for _ in range(sp.count(" ")):  # spaces before a line's first value: empty cells
                            out.append(Run("blank", "", li, src="space"))
                    if kind == "num" and out and out[-1].kind == "num" and not num_gap \
                            and not out[-1].text.endswith("元") and not t.startswith("-"):
                        out[-1].text += t      # glued digits stay one raw token
                    else:
                        out.append(Run("num", t, li, spaced=num_gap, tight=after_text and not sp,
                                       own_line=one_per_line))
                    glue = False
                    num_gap = False
                    after_text = False
                    continue
                if kind == "enum":
                    out.append(Run("text", t, li))
                elif glue and out and out[-1].kind == "text":
                    out[-1].text += t
                else:
                    out.append(Run("text", t, li))
                open_br += t.count("(") - t.count(")")
                open_br = max(open_br, 0)
                glue = True
                num_gap = True
                after_text = True
        glue = open_br > 0
        num_gap = True
        prev_line = fold(text)
    return out


def out_has_line(out: list[Run], li: int) -> bool:
    """Has line ``li`` given a run already?"""
    return any(r.index == li for r in out[-8:])
