"""Pre-2019 reports: the statistics annex (政府信息公开情况统计表) as ``legacy_stats`` cells.

Before the 2019 national format there was no fixed table. Many 2008–2018 reports
append an annex listing indicators with a unit and one or more value columns
(domain notes §1c): ``统计指标 | 单位 | 统计数`` in the 2014 national indicator set,
``代码 | 指标 | 单位 | 本期实际 | 本年累计`` in 定西, ``2009年度 | 历年累计`` in 莆田.
The annex is not comparable cell by cell with the 2019+ tables, so it is stored
with the annex's own indicator names rather than mapped onto the spec's keys.

Keys, chosen so that the same indicator gets the same key across reports:

* ``table_key`` = ``legacy_stats``;
* ``row_key`` = the indicator's *path*: the cleaned names of the group headings
  it sits under and its own, joined with ``/``:
  ``三、依申请公开情况`` › ``（一）收到申请数`` › ``1.当面`` →
  ``依申请公开情况/收到申请数/当面``. A name is cleaned by folding widths (NFKC),
  removing spaces, the enumerator (``一、`` ``（一）`` ``1.`` ``（1）`` ``①``), a
  leading ``其中：``, bracketed notes (``（不同渠道和方式公开相同信息计1条）``) and a
  trailing colon; a ``/`` inside a name is written ``／``. The full path is kept
  because leaf names repeat (``被依法纠错数`` under both 行政复议 and 行政诉讼).
  Hierarchy comes from the enumerators (一、 > （一） > 1. > （1） > ①); a
  ``其中`` row is a child of the row above it; a row without enumerator is a
  child of a heading row above it, else a sibling of the row above it. When two
  rows clean to the same path, the second keeps its bracketed note, and if that
  is not enough it gets ``#2``, ``#3`` (flag ``duplicate_indicator``);
* ``col_key`` from the value column's header: ``value`` (统计数, 数量, 数值, 数据),
  ``period`` (本期实际, 本期, 本年度, a year such as ``2009年度``), ``year_to_date``
  (本年累计), ``cumulative`` (历年累计, 累计);
* ``unit`` from the 单位 column as printed (条 件 次 篇 万元 个 人 人次 …), else from
  a unit in brackets in the name, else from the value (``12件``), else NULL.

A row with no unit and no value (``一、主动公开情况``) is a group heading, not a
cell. A row with a unit and a blank value is a cell with value NULL, flagged
``blank_cells`` (one flag per cell, scoped to it, so a correction clears it);
``—`` and ``无`` are 0, as in the national tables.

Identities: the annex cannot be checked like the national tables. Two identities
are safe where the annex prints the parent and exactly these parts, and are
evaluated only then: 申请办结数 = 按时办结 + 延期办结 (``legacy_handled``) and
收到申请数 = 当面 + 传真 + 网络 + 信函 (``legacy_received``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .layout import Block, TableRow
from .model import Cell, Check, Flag
from .numbers import UNITS, fold, parse_cell
from .readings import UNCOVERED

TABLE = "legacy_stats"
ANNEX_TITLE = "政府信息公开情况统计表"

_INDICATOR_HEADS = ("统计指标", "指标名称", "指标", "统计项目", "项目", "内容", "名称")
_UNIT_HEADS = ("计量单位", "单位")
_CODE_HEADS = ("代码", "序号", "行次", "栏次", "编号", "代号")
_VALUE_HEADS = (  # (pattern on the squashed header, col_key), first match wins
    (re.compile(r"^本年累计"), "year_to_date"),
    (re.compile(r"^(历年)?累计"), "cumulative"),
    (re.compile(r"^(本期实际|本期|本年度|本年|(19|20)\d{2}年度?)"), "period"),
    (re.compile(r"^(统计数|数量|数值|数据|统计数据|数)$"), "value"),
)

# the value columns as a reader sees them (``reportdb show``, the review site), in this order
MEASURES = {"value": "统计数", "period": "本期", "year_to_date": "本年累计", "cumulative": "历年累计"}

_ENUM = re.compile(r"^(?:(?P<l1>[一二三四五六七八九十]+[、.])|(?P<l2>\([一二三四五六七八九十]+\)[、.]?)"
                   r"|(?P<l3>\d+[、.](?!\d))|(?P<l4>\(\d+\)[、.]?))")
_CIRCLED = re.compile(r"^\s*[①-⑳]")  # level 5; NFKC would fold ⑤ to a bare 5, so tested first
_OF_WHICH = re.compile(r"^其中[:：]?")
_BRACKETS = re.compile(r"\([^()]*\)")


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", fold(text))


# --------------------------------------------------------------- the header

@dataclass(frozen=True)
class Columns:
    """Where an annex prints what: indicator, unit, code and value columns."""

    indicator: int
    unit: int | None
    code: int | None
    values: tuple[tuple[int, str, str], ...]  # (column, col_key, header as printed)


def _head_key(text: str) -> str | None:
    t = _squash(text)
    for pattern, key in _VALUE_HEADS:
        if pattern.search(t):
            return key
    return None


def read_header(row: TableRow) -> Columns | None:
    """The columns of an annex if ``row`` is its header row, else None."""
    cells = [_squash(c) for c in row.cells]
    indicator = next((i for i, c in enumerate(cells) if c in _INDICATOR_HEADS), None)
    unit = next((i for i, c in enumerate(cells) if c in _UNIT_HEADS), None)
    code = next((i for i, c in enumerate(cells) if c in _CODE_HEADS), None)
    values, seen = [], set()
    for i, c in enumerate(row.cells):
        key = _head_key(c) if i not in (indicator, unit, code) else None
        if key is None:
            continue
        if values and values[-1][0] == i - 1 and row.cells[i] == row.cells[i - 1]:
            continue  # one merged header cell over two grid columns
        n = 2
        base = key
        while key in seen:
            key, n = f"{base}_{n}", n + 1
        seen.add(key)
        values.append((i, key, c.strip()))
    if indicator is None and unit is None:
        return None
    if not values:
        return None
    if indicator is None:  # no indicator heading: the first column left of the unit column
        indicator = 0 if unit != 0 else None
        if indicator is None:
            return None
    return Columns(indicator, unit, code, tuple(values))


def find_header(rows: list[TableRow], within: int = 4) -> tuple[int, Columns] | None:
    """The header row among the first rows of a table (a title row may stand above it)."""
    for i, r in enumerate(rows[:within]):
        cols = read_header(r)
        if cols is not None:
            return i, cols
    return None


def is_annex(block: Block) -> bool:
    return block.kind == "table" and find_header(block.rows) is not None


# --------------------------------------------------------------- row names

def clean_name(text: str) -> str:
    """An indicator's printed name → the name used in ``row_key`` (module docstring)."""
    t = _squash(_CIRCLED.sub("", text))
    t = _OF_WHICH.sub("", t)
    t = _ENUM.sub("", t, count=1)
    t = _OF_WHICH.sub("", t)
    stripped = _BRACKETS.sub("", t)
    t = (stripped or t).strip(":：").replace("/", "／")
    return t


def _level(text: str) -> tuple[float | None, bool]:
    """(level from the enumerator or None, whether the row is a 其中 row)."""
    if _CIRCLED.match(text):
        return 5.0, False
    t = _squash(text)
    if _OF_WHICH.match(t):
        return None, True
    m = _ENUM.match(t)
    if not m:
        return None, False
    return float(next(i for i, g in enumerate(("l1", "l2", "l3", "l4"), 1) if m.group(g))), False


def _bracket_unit(text: str) -> str | None:
    for note in re.findall(r"\(([^()]*)\)", fold(text)):
        note = re.sub(r"^单位[:：]", "", note.strip())
        if note in UNITS:
            return note
    return None


# --------------------------------------------------------------- mapping

@dataclass
class Annex:
    cells: list[Cell] = field(default_factory=list)
    flags: list[Flag] = field(default_factory=list)


@dataclass
class _Node:
    level: float
    name: str
    heading: bool


def _flag(kind: str, scope: str, detail: str, severity: str = "review") -> Flag:
    return Flag(kind, f"{TABLE}:{scope}", detail, severity)


def map_annex(rows: list[TableRow], origin: str) -> Annex:
    """Every indicator row of one annex (header first) as ``legacy_stats`` cells."""
    out = Annex()
    found = find_header(rows)
    if found is None:
        out.flags.append(_flag("header_unrecognised", "columns", "no 统计指标/单位/统计数 header row"))
        return out
    start, cols = found
    stack: list[_Node] = []
    prev: _Node | None = None
    taken: set[str] = set()
    blanks: list[str] = []
    for r in rows[start + 1:]:
        if read_header(r) is not None:  # the header repeated on a continuation page
            continue
        cells = list(r.cells)
        get = lambda i: cells[i].strip() if i is not None and i < len(cells) else ""  # noqa: E731
        label = get(cols.indicator)
        if not label:  # a misaligned dump row: the first text left of the values
            first_value = min(i for i, _, _ in cols.values)
            label = next((c.strip() for i, c in enumerate(cells[:first_value])
                          if c.strip() and i not in (cols.unit, cols.code)
                          and parse_cell(c).kind not in ("number", "zero_mark")), "")
        raws = [get(i) for i, _, _ in cols.values]
        unit = fold(get(cols.unit)) or None
        if not label:
            label = get(cols.code)
            if not label:
                if any(raws):
                    out.flags.append(_flag("unrecognised_row", "unlabelled",
                                           f"values without an indicator: {r.cells}"))
                continue
        has_value = any(parse_cell(x).kind != "blank" for x in raws)
        heading = not has_value and unit is None
        level, of_which = _level(label)
        if of_which:
            level = (prev.level + 0.5) if prev else 1.0
        elif level is None:
            if prev is None:
                level = 1.0
            elif prev.heading:
                level = prev.level + 0.5
            else:
                level = prev.level
        while stack and stack[-1].level >= level:
            stack.pop()
        name = clean_name(label)
        node = _Node(level, name, heading)
        stack.append(node)
        prev = node
        if heading:
            continue
        row_key = "/".join(n.name for n in stack)
        if row_key in taken:
            row_key = _unique(row_key, label, stack, taken, out)
        taken.add(row_key)
        unit = unit or _bracket_unit(label)
        for (i, col_key, header), raw in zip(cols.values, raws):
            q = parse_cell(raw)
            bbox = r.bboxes[i] if r.bboxes and i < len(r.bboxes) else None
            conf = r.confidences[i] if r.confidences and i < len(r.confidences) else 1.0
            alts = r.alternatives[i] if r.alternatives and i < len(r.alternatives) else ()
            out.cells.append(Cell(TABLE, row_key, col_key, q.value, raw, unit or q.unit,
                                  r.page, bbox, conf, origin, alts))
            scope = f"{row_key}/{col_key}"
            if q.kind == "blank":
                blanks.append(scope)
            elif q.kind == "invalid":
                out.flags.append(_flag("unreadable_cell", scope, q.error or "unreadable"))
            elif q.qualifier:
                out.flags.append(_flag("approximate_cell", scope, f"printed {raw!r}"))
    if not out.cells:
        out.flags.append(_flag("table_missing", "all", "no value of the annex could be read"))
    for scope in blanks:  # one flag per cell, so that a person's correction of it clears it
        out.flags.append(_flag("blank_cells", scope, "printed blank: NULL, not 0"))
    return out


def _unique(row_key: str, label: str, stack: list[_Node], taken: set[str], out: Annex) -> str:
    printed = _ENUM.sub("", _squash(_CIRCLED.sub("", label)), count=1)
    noted = "/".join([n.name for n in stack[:-1]] + [_OF_WHICH.sub("", printed).replace("/", "／")])
    key, n = noted, 2
    while key in taken:
        key, n = f"{noted}#{n}", n + 1
    out.flags.append(_flag("duplicate_indicator", key,
                           f"{label!r} cleans to {row_key!r} like an earlier row; stored as {key!r}",
                           "info"))
    return key


# --------------------------------------------------------------- OCR'd names

# The indicator names of the 2014 national set and common provincial ones, in
# their cleaned form: an OCR'd name is checked against them (``verify_names``).
KNOWN_NAMES = frozenset((
    "主动公开情况", "主动公开政府信息数", "主动公开规范性文件数", "制发规范性文件总数",
    "通过不同渠道和方式公开政府信息的情况", "政府公报公开政府信息数", "政府网站公开政府信息数",
    "政务微博公开政府信息数", "政务微信公开政府信息数", "其他方式公开政府信息数", "回应解读情况",
    "回应公众关注热点或重大舆情数", "通过不同渠道和方式回应解读的情况", "参加或举办新闻发布会总次数",
    "主要负责同志参加新闻发布会次数", "政府网站在线访谈次数", "主要负责同志参加政府网站在线访谈次数",
    "政策解读稿件发布数", "微博微信回应事件数", "其他方式回应事件数", "依申请公开情况", "收到申请数",
    "当面申请数", "传真申请数", "网络申请数", "信函申请数", "申请办结数", "按时办结数", "延期办结数",
    "申请答复数", "属于已主动公开范围数", "同意公开答复数", "同意部分公开答复数", "不同意公开答复数",
    "涉及国家秘密", "涉及商业秘密", "涉及个人隐私", "危及国家安全、公共安全、经济安全和社会稳定",
    "不是《条例》所指政府信息", "法律法规规定的其他情形", "不属于本行政机关公开数", "申请信息不存在数",
    "告知作出更改补充数", "告知通过其他途径办理数", "行政复议数量", "维持具体行政行为数", "被依法纠错数",
    "其他情形数", "行政诉讼数量", "维持具体行政行为或者驳回原告诉讼请求数", "举报投诉数量",
    "依申请公开信息收取的费用", "机构建设和保障经费情况", "政府信息公开工作专门机构数",
    "设置政府信息公开查阅点数", "从事政府信息公开工作人员数", "专职人员数", "兼职人员数",
    "政府信息公开专项经费", "政府信息公开会议和培训情况", "召开政府信息公开工作会议或专题会议数",
    "举办各类培训班数", "接受培训人员数",
    # 定西-style wording (domain notes §1c: 免予公开范围)
    "受理申请总数", "已答复申请数", "同意公开数", "同意部分公开数", "免予公开数", "信息不存在数",
    "非本机关信息数", "政府网站公开数", "政府公报公开期数", "收费及复议诉讼情况", "收取费用",
    "行政复议数", "行政诉讼数", "举报投诉数", "工作保障情况", "工作人员数", "培训人次",
))


def verify_names(annex: Annex) -> Annex:
    """OCR'd indicator names, whose misreadings would change a key silently: a name
    one or two glyphs from exactly one known name takes that name
    (``indicator_name_matched``, info, the reading kept in the detail); a name
    close to none is kept as read and flagged ``indicator_unverified``."""
    from rapidfuzz import fuzz

    renamed: dict[str, str] = {}
    for c in annex.cells:
        for part in c.row_key.split("/"):
            if part in KNOWN_NAMES or part in renamed:
                continue
            scored = sorted(((fuzz.ratio(part, k), k) for k in KNOWN_NAMES), reverse=True)
            best = scored[0]
            unique = len(scored) < 2 or scored[1][0] < best[0] - 5
            renamed[part] = best[1] if best[0] >= 75 and unique else part
    out = Annex(flags=list(annex.flags))
    told: set[str] = set()
    for c in annex.cells:
        parts = c.row_key.split("/")
        key = "/".join(renamed.get(p, p) for p in parts)
        for p in parts:
            if p in told or p in KNOWN_NAMES:
                continue
            told.add(p)
            if renamed.get(p, p) != p:
                out.flags.append(_flag("indicator_name_matched", key,
                                       f"OCR read {p!r}; taken as the known indicator {renamed[p]!r}", "info"))
            else:
                out.flags.append(_flag("indicator_unverified", key,
                                       f"OCR read the indicator name {p!r}, which matches no known name"))
        out.cells.append(Cell(c.table_key, key, *[getattr(c, f) for f in (
            "col_key", "value", "raw", "unit", "page", "bbox", "confidence", "origin", "alternatives")]))
    old_to_new = {c.row_key: n.row_key for c, n in zip(annex.cells, out.cells)}
    out.flags = [Flag(f.flag, _rescope(f.scope, old_to_new), f.detail, f.severity) for f in out.flags]
    return out


def _rescope(scope: str, keys: dict[str, str]) -> str:
    for old, new in keys.items():
        prefix = f"{TABLE}:{old}/"
        if old != new and scope.startswith(prefix):
            return f"{TABLE}:{new}/" + scope[len(prefix):]
    return scope


# --------------------------------------------------------------- identities

# (check_key, parent name, the exact set of parts, each by the start of its name)
_IDENTITIES = (
    ("legacy_handled", "申请办结数", ("按时办结", "延期办结")),
    ("legacy_received", "收到申请数", ("当面", "传真", "网络", "信函")),
)


def evaluate(cells: list[Cell]) -> list[Check]:
    """The safe annex identities (module docstring), where every part is printed."""
    out = []
    by_col: dict[str, dict[str, float | None]] = {}
    for c in cells:
        if c.table_key == TABLE:
            by_col.setdefault(c.col_key, {})[c.row_key] = c.value
    for col, v in sorted(by_col.items()):
        for check_key, parent, parts in _IDENTITIES:
            for key in [k for k in v if k.split("/")[-1] == parent]:
                children = [k for k in v if k.startswith(key + "/") and "/" not in k[len(key) + 1:]]
                heads = sorted(k.split("/")[-1][:len(p)] for k in children for p in parts
                               if k.split("/")[-1].startswith(p))
                if len(children) != len(parts) or heads != sorted(parts):
                    continue
                values = [v[k] for k in children]
                if v[key] is None or any(x is None for x in values):
                    continue
                expected, actual = float(sum(values)), float(v[key])
                out.append(Check(check_key, f"row={key};col={col}", expected, actual,
                                 abs(expected - actual) < 1e-6))
    return out


def unsure_cells(cells: list[Cell], threshold: float = UNCOVERED) -> list[Flag]:
    """OCR'd annex values read with less than the confidence asked of a value no
    identity covers (``readings.UNCOVERED``): nothing vouches for them."""
    return [_flag("low_confidence", f"{c.row_key}/{c.col_key}",
                  f"read {c.raw!r} at confidence {c.confidence:.2f}"
                  + (f" (also read as {', '.join(repr(a) for a in c.alternatives)})"
                     if c.alternatives else ""))
            for c in cells if c.origin in ("ocr", "mixed") and c.confidence < threshold]
