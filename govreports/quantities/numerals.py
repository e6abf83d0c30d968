"""Number literals of report text: Arabic, full-width, Chinese and redacted, as regex pieces and values.

Why hand-written: cn2an converts a numeral fine once it is isolated, but its `transform` rewrites
whole sentences and mangles idioms (一网通办→1网通办, 两三个→23个; shared/docs/domain.md §4.1), and
no library knows that `xx` is a redacted figure or that 3.17亿 must be multiplied out exactly. So
the grammar in `quantities.py` isolates the numeral span with the patterns below and this module
turns that span (and only it) into a value; cn2an is called on Chinese spans alone.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

import cn2an

#: Chinese numeral characters a count can be written with (大写 财务 digits are not used in reports).
CN_DIGITS = "零〇一二两三四五六七八九"
CN_CHARS = CN_DIGITS + "十百千万亿"
_CN_VALUE = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
             "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}

#: an Arabic number: ASCII or full-width digits, optional 1,234 grouping and decimals. It may not
#: continue a word, another number or a range (H5, CETV1, 2021-2025); the _CORE forms are for
#: the right-hand side of a range, which does follow a separator.
ARABIC_CORE = r"[0-9０-９]+(?:,[0-9]{3}(?![0-9]))*(?:[.．][0-9０-９]+)?"
ARABIC = r"(?<![0-9０-９A-Za-zＡ-Ｚａ-ｚ.．\-—–−~～/])" + ARABIC_CORE
#: a run of Chinese numeral characters not continuing another numeral (唯一一个, 数十家, 第八).
CHINESE_CORE = f"[{CN_CHARS}]+"
CHINESE = rf"(?<![{CN_CHARS}几数第])" + CHINESE_CORE
#: 百分之九十, 百分之九十五点五, 百分之百.
PERCENT_WORDS = rf"百分之[{CN_CHARS}点]+"


class NumeralError(ValueError):
    """The span looks numeric but is not a number (一二三 read digit by digit, a lone 万)."""


def parse_arabic(text: str) -> Decimal:
    """'1,234.5' / '３.１７' → Decimal (exact, so 3.17 × 1e8 stays 317000000)."""
    plain = unicodedata.normalize("NFKC", text).replace(",", "").replace(" ", "")
    try:
        return Decimal(plain)
    except InvalidOperation as exc:
        raise NumeralError(text) from exc


def chinese_range(text: str) -> tuple[int, int] | None:
    """两三 / 三四 / 七八 (two neighbouring digits) read as a range, else None."""
    if len(text) == 2 and all(ch in _CN_VALUE for ch in text):
        low, high = _CN_VALUE[text[0]], _CN_VALUE[text[1]]
        if high == low + 1 and low > 0:
            return low, high
    return None


def parse_chinese(text: str) -> Decimal:
    """'一万' → 10000, '十' → 10, lone '百'/'千'/'万' → 100/1000/10000; NumeralError on '一二'.

    Two plain digits side by side (other than after 零: 一百零五) are a code or a name, never a
    count, and cn2an would read them digit by digit; they are refused here.
    """
    lone = {"百": 100, "千": 1000, "万": 10000, "亿": 100000000}
    if text in lone:
        return Decimal(lone[text])  # 百分之百, 百余场, 上千人; the grammar decides if it counts
    if not any(ch in _CN_VALUE or ch == "十" for ch in text):
        raise NumeralError(text)
    if re.search(f"[{CN_DIGITS.replace('零', '').replace('〇', '')}][{CN_DIGITS}]", text):
        raise NumeralError(text)
    try:
        value = cn2an.cn2an(text, "smart")
    except (ValueError, KeyError, IndexError) as exc:
        raise NumeralError(text) from exc
    return Decimal(str(value))


def parse_percent_words(text: str) -> Decimal:
    """'百分之九十' → 90, '百分之九十五点五' → 95.5, '百分之百' → 100."""
    body = text.removeprefix("百分之")
    if body == "百":
        return Decimal(100)
    if "点" in body:
        whole, _, frac = body.partition("点")
        if not frac or any(ch not in _CN_VALUE for ch in frac):
            raise NumeralError(text)
        digits = "".join(str(_CN_VALUE[ch]) for ch in frac)
        return parse_chinese(whole) + Decimal(f"0.{digits}")
    return parse_chinese(body)


def to_float(value: Decimal) -> float:
    """Decimal → float without binary noise for the magnitudes reports use."""
    return float(value.normalize()) if value == value.to_integral_value() else float(value)
