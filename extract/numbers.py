"""The one number normaliser of reportdb.

Every value that reaches the warehouse — a table cell or a number in the prose —
passes through this module, so the rules live in one place:

* ASCII and full-width digits, thousands separators (``1,234`` / ``1，234``), decimals,
  a sign for the signed gov2019 column (``-417``);
* Chinese numerals (``三十二``, ``一百零五``, ``两千``, ``二〇二三``);
* qualifiers: ``余``/``多`` after the number, ``近``/``约``/``超过``/``逾`` before it —
  kept beside the value, never folded into it;
* multipliers ``万``/``亿`` on counts (``2.3万余条`` → 23000, qualifier 余); money keeps
  its printed unit (``20.3万元`` is 20.3 in 万元);
* table cells written ``—``, ``－``, ``-``, ``/`` or ``无`` mean 0 (the raw text keeps the
  mark); a blank cell is ``None`` with raw ``''`` — never a silent 0.

Numbers that are not counts — the 12345 hotline, years (``2023 年``), document
numbers (``〔2021〕30号``), dates, ordinals (``第二十条``) — are not read as quantities.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# --------------------------------------------------------------------------- text

_FULLWIDTH = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FULLWIDTH[0x3000] = 0x20  # ideographic space


def halfwidth(text: str) -> str:
    """Map full-width ASCII forms to ASCII, keeping the string's length.

    Unlike NFKC this never changes the number of characters, so positions found
    in the result are positions in the original text.
    """
    return text.translate(_FULLWIDTH)


def fold(text: str) -> str:
    """NFKC plus a few dash and quote unifications: the form labels are compared in."""
    text = unicodedata.normalize("NFKC", text)
    return text.translate(_FOLD)


_FOLD = str.maketrans({
    "“": '"', "”": '"', "‘": "'", "’": "'", "「": '"', "」": '"',
    "〔": "[", "〕": "]", "【": "[", "】": "]", "﹝": "[", "﹞": "]",
    "—": "-", "–": "-", "―": "-", "─": "-", "－": "-", "‐": "-",
    "−": "-",  # U+2212 MINUS SIGN: what word processors print for 本年增/减 −3
    "、": "、", "．": ".",
})

# ---------------------------------------------------------------------- numerals

_CN_DIGITS = {"零": 0, "〇": 0, "○": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
              "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_SMALL = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"万": 10_000, "亿": 100_000_000}
CN_NUMERAL_CHARS = "".join(_CN_DIGITS) + "".join(_CN_SMALL) + "".join(_CN_BIG)
# a numeral starts with a digit word or 十 (十五 = 15), never with 百/千/万/亿 alone
_CN_NUM = "[" + "".join(_CN_DIGITS) + "十][" + CN_NUMERAL_CHARS + "]{0,11}"


def chinese_to_int(text: str) -> int:
    """Read a Chinese numeral: ``三十二`` → 32, ``一百零五`` → 105, ``两千`` → 2000,
    ``十五`` → 15, ``二〇二三`` → 2023 (digit by digit when no unit word appears).

    Raises ``ValueError`` on anything else.
    """
    if not text or any(ch not in CN_NUMERAL_CHARS for ch in text):
        raise ValueError(f"not a Chinese numeral: {text!r}")
    if not any(ch in _CN_SMALL or ch in _CN_BIG for ch in text):
        return int("".join(str(_CN_DIGITS[ch]) for ch in text))
    total = section = digit = 0
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in _CN_SMALL:
            section += (digit or 1) * _CN_SMALL[ch]
            digit = 0
        else:  # 万 / 亿
            section += digit
            if ch == "亿":
                total = (total + section) * _CN_BIG[ch]
            else:
                total += section * _CN_BIG[ch]
            section = digit = 0
    return total + section + digit


def _arabic(text: str) -> float:
    """``1,234.5`` → 1234.5 (separators must sit every three digits)."""
    if "," in text:
        head, *groups = text.split(".")[0].split(",")
        if not head or any(len(g) != 3 for g in groups):
            raise ValueError(f"misplaced thousands separator in {text!r}")
    return float(text.replace(",", ""))


def as_number(value: float) -> int | float:
    """Integers stay integers in reports and JSON; 26.55 stays 26.55."""
    return int(value) if float(value).is_integer() else value


# ------------------------------------------------------------------------ units

COUNT_UNITS = ("人次", "件次", "家次", "条", "件", "篇", "人", "个", "次", "位", "项",
               "家", "期", "场", "份", "页", "部", "宗", "类", "户")
MONEY_UNITS = ("亿元", "万元", "元")
UNITS = MONEY_UNITS + COUNT_UNITS
_UNIT_RE = "|".join(sorted(UNITS + ("%",), key=len, reverse=True))
ZERO_MARKS = frozenset({"—", "——", "－", "-", "--", "–", "―", "─", "−", "/", "／", "无", "\\"})
PRE_QUALIFIERS = ("超过", "近", "约", "逾", "超")
POST_QUALIFIERS = ("余", "多")


@dataclass(frozen=True)
class Quantity:
    """A number read from text.

    ``kind`` says how it was read: ``number``; ``zero_mark`` (a dash, slash or 无
    meaning 0); ``blank`` (nothing printed: value ``None``); ``invalid`` (text that is
    not a number: value ``None`` and ``error`` says why).
    """

    value: float | None
    raw: str
    unit: str | None = None
    qualifier: str | None = None
    kind: str = "number"
    error: str | None = None

    @property
    def exact(self) -> bool:
        return self.kind in ("number", "zero_mark") and self.qualifier is None


_CELL_RE = re.compile(
    rf"^(?P<pre>{'|'.join(PRE_QUALIFIERS)})?"
    r"(?P<num>[+-]?\d[\d,]*(?:\.\d+)?|" + _CN_NUM + ")"
    r"(?P<mult>万|亿)?(?P<post>余|多)?(?P<mult2>万|亿)?"
    rf"(?P<unit>{_UNIT_RE})?$"
)


def parse_cell(raw: str | None) -> Quantity:
    """Read one table cell as printed.

    ``''`` → blank (``None``); ``—``/``－``/``-``/``/``/``无`` → 0 with the mark kept in raw;
    ``1,234`` / ``１２３`` / ``-417`` / ``26.55`` / ``251000元`` / ``三`` → numbers.
    Anything else is ``invalid`` with a reason — never a guessed number.
    """
    raw = "" if raw is None else raw
    # U+2212 MINUS SIGN is what word processors print for a negative 本年增/减
    text = unicodedata.normalize("NFKC", raw).replace("\u2212", "-")
    text = re.sub(r"\s+", "", text)
    if not text:
        return Quantity(None, raw, kind="blank")
    if text in ZERO_MARKS or raw.strip() in ZERO_MARKS:
        return Quantity(0, raw, kind="zero_mark")
    m = _CELL_RE.match(text)
    if not m:
        return Quantity(None, raw, kind="invalid", error=f"not a number: {raw.strip()!r}")
    try:
        value = _scaled(m)
    except ValueError as exc:
        return Quantity(None, raw, kind="invalid", error=str(exc))
    qualifier = m["pre"] or m["post"]
    unit = _unit(m)
    return Quantity(value, raw, unit=unit, qualifier=qualifier)


def _scaled(m: re.Match) -> float:
    num = m["num"]
    value = _arabic(num) if num[-1].isdigit() else chinese_to_int(num)
    mult = m["mult"] or m["mult2"]
    unit = m["unit"] or ""
    if mult and not unit.endswith("元"):
        value *= _CN_BIG[mult]
    return as_number(value)


def _unit(m: re.Match) -> str | None:
    unit = m["unit"]
    mult = m["mult"] or m["mult2"]
    if unit == "元" and mult:
        return mult + "元"
    return unit


# ------------------------------------------------------------------- in prose

@dataclass(frozen=True)
class Found:
    """A quantity found in running text, with its position in that text."""

    quantity: Quantity
    start: int
    end: int


_PROSE_RE = re.compile(
    rf"(?P<pre>{'|'.join(PRE_QUALIFIERS)})?\s*"
    r"(?P<num>\d[\d,]*(?:\.\d+)?|" + _CN_NUM + ")"
    r"\s*(?P<mult>万|亿)?\s*(?P<post>余|多)?\s*(?P<mult2>万|亿)?"
    rf"(?P<unit>{_UNIT_RE})?"
)
_NOT_COUNT_AFTER = re.compile(r"\s*(年|月|日|号|时|点|周岁|岁|届|次会议|大|五规划)")
_ORDINAL_BEFORE = ("第", "〔", "[", "【", "(", "（", "No", "NO", "编号")


def find_quantities(text: str) -> list[Found]:
    """Every count, amount or percentage stated in ``text``.

    A number is a quantity only when a unit (条, 件, 人, 个, 万元, % …) or a
    multiplier follows it. So hotline names (``12345 热线``), years (``2023 年``),
    dates, document numbers (``〔2021〕30号``), ordinals (``第二十条``) and list
    enumerators are not read as counts. A lone ``一`` is not read either (一个,
    一次 and 进一步 are idiom far more often than a count of one).
    """
    hw = halfwidth(text)
    found: list[Found] = []
    for m in _PROSE_RE.finditer(hw):
        num = m["num"]
        start = m.start("num")
        is_arabic = num[0].isdigit()
        if not (m["unit"] or m["mult"] or m["mult2"]):
            continue
        if m["unit"] is None and (m["mult"] or m["mult2"]) and not is_arabic:
            continue  # 一万 / 十万 in idioms (千方百计, 万无一失) stay words
        before = hw[max(0, start - 2):start].rstrip()
        if before.endswith(_ORDINAL_BEFORE):
            continue
        if is_arabic and start > 0 and (hw[start - 1].isdigit() or hw[start - 1] in ".-/"):
            continue
        if not is_arabic:
            if num == "一" or (start > 0 and hw[start - 1] in CN_NUMERAL_CHARS + "第"):
                continue
            if m["unit"] in ("类", "部") or m["unit"] is None:
                continue  # 三类内部事务信息, 四类过程性信息: category names, not counts
        if _NOT_COUNT_AFTER.match(hw, m.end("num")) and not m["unit"]:
            continue
        try:
            value = _scaled(m)
        except ValueError:
            continue
        unit = _unit(m)
        q = Quantity(value, text[m.start():m.end()].strip(), unit=unit,
                     qualifier=m["pre"] or m["post"])
        found.append(Found(q, m.start() + (len(m.group()) - len(m.group().lstrip())), m.end()))
    return found
