"""The national report formats, read from ``spec/report-formats.yaml``, and the
tolerant matching of printed labels against them.

Real reports print the official labels with spaces inside (``结果 维持``), either
width of brackets and punctuation, typos (``属于三类内容事务信息``), and notes added
in brackets (``规章（县级无此项）``, ``现行有效件数 (历史累计)``). Labels are compared
by their *core*: NFKC-folded, whitespace and quotes removed, the enumerator
(``一、`` ``（三）`` ``1.``) and bracketed notes stripped; then exactly, then by a
fuzzy ratio that must be high and unambiguous. The keys are never fuzzy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import yaml
import contextvars

from rapidfuzz import fuzz

from .numbers import fold

FORMATS = ("gov2021", "gov2019")
TABLE_TITLES = {
    "proactive": "二、主动公开政府信息情况",
    "requests": "三、收到和处理政府信息公开申请情况",
    "appeals": "四、政府信息公开行政复议、行政诉讼情况",
}

# --------------------------------------------------------------------- labels

_ENUM_RE = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.．]|\([一二三四五六七八九十]+\)|\d+[.、．]|\(\d+\))"
)
_BRACKETED = re.compile(r"\([^()]*\)")
_UNCLOSED = re.compile(r"\([^()]{4,}$")          # a note whose closing bracket was lost
_OCR_ENUM = re.compile(r"^\([^()]{1,2}\)(?=[\u4e00-\u9fff])")  # (=) (A): a garbled （二）
# what OCR makes of round brackets in labels: {一) 《单位) 〈区分
_BRACKET_LOOKALIKES = str.maketrans("{《〈【〔[", "((((((", )
_BRACKET_LOOKALIKES.update(str.maketrans("}》〉】〕]", "))))))"))
_CJK = re.compile(r"[\u4e00-\u9fff]")


def enumerator(label: str) -> str | None:
    """The list marker a label starts with, folded: ``（三）不予公开`` → ``(三)``."""
    m = _ENUM_RE.match(_squash(label))
    return m.group().rstrip("、.．").replace("．", ".") if m else None


def _squash(label: str) -> str:
    return re.sub(r"[\s\"'“”]+", "", fold(label))


def core(label: str) -> str:
    """The comparable heart of a label: ``（二） 部分公开(区分处理的, …)`` → ``部分公开``."""
    text = _squash(label)
    if _CJK.search(text):  # Latin letters in a CJK label are OCR noise (商业企wy)
        text = re.sub(r"[A-Za-z]+", "", text)
    text = text.translate(_BRACKET_LOOKALIKES)
    text = _ENUM_RE.sub("", text, count=1)
    text = _OCR_ENUM.sub("", text, count=1)
    stripped = _UNCLOSED.sub("", _BRACKETED.sub("", text))
    return (stripped or text).strip(":：")


@dataclass(frozen=True)
class Label:
    key: str
    label: str
    core: str
    group: str | None = None  # the core of the group label it sits under, if any


MATCH_THRESHOLD = contextvars.ContextVar("MATCH_THRESHOLD", default=80.0)
OCR_THRESHOLD = 70.0  # OCR'd labels: one wrong glyph in a four-glyph label (子以公开) still matches


def best_match(text: str, labels: tuple[Label, ...], group: str | None = None,
               threshold: float | None = None) -> Label | None:
    """The label ``text`` stands for, or None when no label is close enough or two
    are equally close. A label under the current ``group`` wins a tie. The
    threshold is lower while OCR'd tables are mapped (``MATCH_THRESHOLD``)."""
    threshold = MATCH_THRESHOLD.get() if threshold is None else threshold
    c = core(text)
    if not c:
        return None
    exact = [lab for lab in labels if lab.core == c]
    if len(exact) == 1:
        return exact[0]
    if len(exact) > 1:
        in_group = [lab for lab in exact if lab.group == group]
        return in_group[0] if len(in_group) == 1 else None
    scored = sorted(((fuzz.ratio(c, lab.core) + (3 if group and lab.group == group else 0), i)
                     for i, lab in enumerate(labels)), reverse=True)
    if not scored or scored[0][0] < threshold:
        return None
    if len(scored) > 1 and scored[1][0] >= scored[0][0] - 2:
        return None
    return labels[scored[0][1]]


# ----------------------------------------------------------------------- spec

@dataclass(frozen=True)
class Block:
    article: str
    rows: tuple[Label, ...]
    cols: tuple[Label, ...]


@dataclass(frozen=True)
class TableSpec:
    key: str
    rows: tuple[Label, ...]
    cols: tuple[Label, ...]
    groups: tuple[str, ...] = ()          # cores of the group labels (no values)
    blocks: tuple[Block, ...] = ()

    def cells(self) -> list[tuple[str, str]]:
        """Every (row, col) the format prints a value for."""
        if self.blocks:
            return [(r.key, c.key) for b in self.blocks for r in b.rows for c in b.cols]
        return [(r.key, c.key) for r in self.rows for c in self.cols]


@dataclass(frozen=True)
class FormatSpec:
    key: str
    tables: dict[str, TableSpec] = field(default_factory=dict)


# Table 3's group labels carry no numbers; their numbered sub-rows are keyed by a
# prefix. The 2019 spec omits the group wording, so it is written here once.
_REQUEST_GROUPS = {"denied": "不予公开", "unable": "无法提供", "rejected": "不予处理",
                   "other": "其他处理"}
_REQUEST_GROUP_CORES = ("本年度办理结果",) + tuple(_REQUEST_GROUPS.values())


def _labels(mapping: dict, grouped: bool = False) -> tuple[Label, ...]:
    out = []
    for key, text in mapping.items():
        last = str(text).split("·")[-1].strip()
        group = None
        if grouped and (enumerator(last) or "")[:1].isdigit():
            group = _REQUEST_GROUPS.get(key.split("_")[0])
        out.append(Label(key, last, core(last), group))
    return tuple(out)


@lru_cache(maxsize=1)
def load_spec() -> dict[str, FormatSpec]:
    """The formats of the canonical spec shipped with the package."""
    text = resources.files("extract").joinpath("spec/report-formats.yaml").read_text("utf-8")
    data = yaml.safe_load(text)
    formats = {}
    for fkey, fdata in data["formats"].items():
        tables = {}
        for tkey, tdata in fdata["tables"].items():
            if "blocks" in tdata:
                blocks = []
                for b in tdata["blocks"]:
                    blocks.append(Block(b["article"], _labels(b["rows"]), _labels(b["cols"])))
                all_rows = tuple(r for b in blocks for r in b.rows)
                all_cols = tuple(dict.fromkeys(c for b in blocks for c in b.cols))
                tables[tkey] = TableSpec(tkey, all_rows, all_cols, blocks=tuple(blocks))
            else:
                rows = _labels(tdata["rows"], grouped=tkey == "requests")
                row_cores = {r.core for r in rows}
                groups = tuple(g for g in _REQUEST_GROUP_CORES if g not in row_cores)
                tables[tkey] = TableSpec(tkey, rows, _labels(tdata["cols"]),
                                         groups if tkey == "requests" else ())
        formats[fkey] = FormatSpec(fkey, tables)
    return formats


def appeal_group(path: list[str]) -> str | None:
    """Which row of table 4 a column header path belongs to."""
    text = "".join(_squash(p) for p in path)
    if "复议后" in text:
        return "suit_after_review"
    if "未经复议" in text or "直接起诉" in text:
        return "suit_direct"
    if "行政诉讼" in text:
        return None  # a 诉讼 column without its sub-group: ambiguous
    if "复议" in text:
        return "review"
    return None


# ------------------------------------------------------------------- formats

_MARKERS = {
    "gov2021": ("本年制发件数", "本年废止件数", "现行有效件数", "本年收费金额",
                "逾期未按收费通知", "逾期不补正"),
    "gov2019": ("本年新制作数量", "本年新公开数量", "对外公开总数量", "上一年项目数量",
                "本年增/减", "政府集中采购", "采购项目数量", "其他对外管理服务事项"),
    "legacy": ("同意公开答复数", "申请答复数", "历年累计", "统计指标", "主动公开政府信息数",
               "不同意公开答复数", "政府信息公开情况统计表", "本期实际", "申请办结数"),
}


@dataclass(frozen=True)
class FormatEvidence:
    format: str | None
    scores: dict[str, int]


def detect_format(text: str) -> FormatEvidence:
    """Decide the format from the labels a report prints (not from its year).

    Returns the format whose marker labels appear most often; ``None`` when the
    text prints none of them (no national table at all).
    """
    flat = re.sub(r"\s+", "", fold(text))
    scores = {k: sum(flat.count(re.sub(r"\s+", "", fold(m))) for m in ms)
              for k, ms in _MARKERS.items()}
    best = max(scores, key=lambda k: scores[k])
    return FormatEvidence(best if scores[best] > 0 else None, scores)


def expected_format(year: int | None) -> str | None:
    if year is None:
        return None
    if year >= 2021:
        return "gov2021"
    if year >= 2019:
        return "gov2019"
    return "legacy"
