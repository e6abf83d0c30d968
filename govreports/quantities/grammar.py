"""Quantity mentions of a report body: a number with the measure word it counts (gold README).

Why a hand-written grammar: no library does this job (shared/docs/domain.md §4.1). jionlp only
parses money and reads 不少于 as "less than"; cn2an/chinese2digits rewrite idioms (一网通办→1网通办)
and know nothing of measure words, ordinals (第七届, 十五届…四十次会议), slogans (“3熟”, 1333防护网),
redacted figures (xx万人) or the qualifiers analysts need (余/多/近/不少于/以上). So this module
runs the in-house grammar of §4.2 — QTY := [PREFIX] NUM [MULT] [APPROX] UNIT [SUFFIX] and ranges —
whose vocabulary lives in rules/quantities.yaml and rules/units.yaml; `numerals.py` turns the
isolated number span into a value. Every rejected candidate has a stated reason (a filter below),
and the search resumes one character later, so a shorter valid reading is never lost.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from decimal import Decimal

from govreports import rules as rulebook
from govreports.models import Quantity
from govreports.quantities import numerals
from govreports.rules.types import QuantitiesRules
from govreports.text import citations, rxfirst, tokenize
from govreports.text.textfold import simplified

_SP = r"[ \u3000\xa0]{0,2}"


@dataclass(frozen=True)
class Grammar:
    """The compiled quantity grammar and its filters (all from the rules files)."""

    pattern: re.Pattern[str]
    unit_class: dict[str, str]
    aliases: dict[str, str]
    clashes: dict[str, tuple[str, ...]]  # unit -> the longer words it starts (家 -> 家长, 家庭)
    prefixes: tuple[tuple[re.Pattern[str], str], ...]
    approximators: dict[str, str]
    suffixes: tuple[tuple[re.Pattern[str], str], ...]
    multipliers: dict[str, int]
    rules: QuantitiesRules
    filters: dict[str, re.Pattern[str]]  # the NOT-a-quantity regexes of the rules, compiled once


@functools.cache
def grammar() -> Grammar:
    """Compile rules/quantities.yaml + rules/units.yaml once per process."""
    q, u = rulebook.quantities(), rulebook.units()
    units = sorted(u["units"], key=len, reverse=True)
    mults = sorted(q["multipliers"], key=len, reverse=True)
    pfx = "|".join(f"(?:{p})" for p in q["prefixes"])
    sfx = "|".join(f"(?:{s})" for s in q["suffixes"])
    num = f"{numerals.ARABIC}|{numerals.CHINESE}"
    mult = "|".join(map(re.escape, mults))
    approx = "|".join(map(re.escape, q["approximators"]))
    sep = "|".join(map(re.escape, q["range_separators"]))
    pattern = (
        rf"(?:(?P<prefix>{pfx}){_SP})?"
        rf"(?:(?P<pct>{numerals.PERCENT_WORDS})"
        rf"|(?:(?P<lo>{num})(?P<lomult>{mult})?{_SP}(?P<sep>{sep}){_SP}"
        rf"(?P<hi>{numerals.ARABIC_CORE}|{numerals.CHINESE_CORE})"
        rf"|(?P<sign>{q['negative_sign']})(?P<snum>{numerals.ARABIC_CORE}|{numerals.CHINESE_CORE})"
        rf"|(?P<num>{num}|{q['redacted']}))"
        rf"{_SP}(?:(?P<approx0>{approx})(?=(?:{mult})))?(?P<mult>{mult})?"
        rf"(?P<approx>{approx})?{_SP}"
        rf"(?P<unit>{'|'.join(map(re.escape, units))}))"
        rf"(?P<suffix>{sfx})?"
    )
    first = rxfirst.first_class(pattern)  # lets `re` skip the positions no quantity starts at
    return Grammar(
        pattern=re.compile(f"(?={first}){pattern}" if first else pattern),
        unit_class=dict(u["units"]),
        aliases=dict(u.get("aliases") or {}),
        clashes={unit: tuple(c for c in u.get("clashes") or () if c.startswith(unit) and len(c) > len(unit))
                 for unit in units},
        prefixes=tuple((re.compile(f"(?:{p})"), v) for p, v in q["prefixes"].items()),
        approximators=dict(q["approximators"]),
        suffixes=tuple((re.compile(f"^(?:{s})"), v) for s, v in q["suffixes"].items()),
        multipliers={k: int(v) for k, v in q["multipliers"].items()},
        rules=q,
        filters={name: re.compile(rx) for name, rx in (
            ("ordinal_before", q["ordinal_before"]), ("duration_after", q["duration_after"]),
            ("session_before", q["session_ordinal"]["before"]), ("session_after", q["session_ordinal"]["after"]),
            ("set_phrases", q["set_phrases"]), ("rank_before", q["rank_before"]))},
    )


def _number(text: str) -> tuple[Decimal, Decimal | None]:
    """A numeral → (value, high); high is set for 两三-style Chinese ranges."""
    if text[0] not in numerals.CN_CHARS:
        return numerals.parse_arabic(text), None
    pair = numerals.chinese_range(text)
    return (Decimal(pair[0]), Decimal(pair[1])) if pair else (numerals.parse_chinese(text), None)


def _cn_straddles(body: str, starts_ok: tuple[int, int], unit_start: int, unit_end: int) -> bool:
    """True when a Chinese numeral + unit sits inside a longer word (统一, 千家万户, 百家争鸣).

    `starts_ok` are the numeral start and the match start: a token may begin at either (上千/人).
    """
    lo = max(0, min(starts_ok) - 8)
    window = body[lo:min(len(body), unit_end + 6)]
    starts = set()
    for s, e in tokenize.spans(window):
        s, e = s + lo, e + lo
        starts.add(s)
        if s < unit_start and e > unit_end:
            return True
    return not starts.intersection(starts_ok)


def _reject(m: re.Match[str], body: str, g: Grammar, blocked: list[tuple[int, int]]) -> bool:
    """The filters of what is NOT a quantity (gold README; domain.md §4.3)."""
    r, f = g.rules, g.filters
    num_start = next(m.start(g) for g in ("lo", "num", "snum", "pct") if m.group(g))
    if citations.inside(blocked, num_start):
        return True
    before = body[max(0, num_start - 16):num_start]
    if f["ordinal_before"].search(before[-3:]):
        return True
    if m.group("pct"):
        return False
    unit, unit_start, unit_end = m.group("unit"), m.start("unit"), m.end("unit")
    after = body[unit_end:unit_end + 8]
    if body.startswith(g.clashes.get(unit, ()), unit_start):
        return True
    if unit == "个" and f["duration_after"].match(after):
        return True
    if unit == "次" and f["session_before"].search(before) and f["session_after"].match(after):
        return True
    if f["set_phrases"].match(body[num_start:num_start + 12]):
        return True
    if f["rank_before"].search(before[-3:]) and unit in r["rank_units"]:
        return True
    text = m.group("hi") or m.group("num") or m.group("snum")
    if text[0] in numerals.CN_CHARS:
        hedged = m.group("approx") or m.group("approx0") or m.group("lo")
        if text in ("一", "二") and not hedged:
            return True  # 一件事 / 一次性 / 二等奖: an article or an ordinal, not a count
        if text in ("百", "千", "万", "亿") and not (hedged or m.group("prefix")):
            return True  # 百名律师进万家, 万件化访: a name; 百余场, 上千人, 近百人 count
        return _cn_straddles(body, (num_start, m.start()), unit_start, unit_end)
    return False


def _qualifier(m: re.Match[str], g: Grammar, redacted: bool) -> str | None:
    if redacted:
        return "redacted"
    if m.group("prefix"):
        for rx, qual in g.prefixes:  # matched in place, so look-arounds (上(?=[百千万])) still see the text
            hit = rx.match(m.string, m.start("prefix"))
            if hit and hit.end() == m.end("prefix"):
                return qual
    if m.group("approx") or m.group("approx0"):
        return g.approximators[m.group("approx") or m.group("approx0")]
    if m.group("suffix"):
        for rx, qual in g.suffixes:
            if rx.match(m.group("suffix")):
                return qual
    return None


def _build(m: re.Match[str], body: str, g: Grammar) -> Quantity | None:
    """Turn a grammar match into a Quantity, or None when its numeral does not parse."""
    low = high = None
    try:
        if m.group("pct"):
            value: Decimal | None = numerals.parse_percent_words(m.group("pct"))
            unit, redacted = "%", False
        else:
            unit = g.aliases.get(m.group("unit"), m.group("unit"))
            mult = Decimal(g.multipliers.get(m.group("mult") or "", 1))
            text = m.group("hi") or m.group("num") or m.group("snum")
            redacted = not (text[0].isdigit() or text[0] in numerals.CN_CHARS)
            value, high = (None, None) if redacted else _number(text)
            if m.group("sign") and value is not None:  # -5件, 负五件: a negative is negative
                value, high = -value, (-high if high is not None else None)
            if value is not None:
                value, high = value * mult, (high * mult if high is not None else None)
            if m.group("lo"):
                lomult = Decimal(g.multipliers.get(m.group("lomult") or "", 0)) or mult
                low_value, _ = _number(m.group("lo"))
                low, high = low_value * lomult, value
                value = None if redacted else low
            elif high is not None:
                low = value
    except numerals.NumeralError:
        return None
    qualifier = _qualifier(m, g, redacted)
    return Quantity(
        surface=m.group(0), value=None if value is None else numerals.to_float(value), unit=unit,
        qualifier=qualifier, start=m.start(), end=m.end(),
        unit_class=g.unit_class.get(unit, "other"),
        low=None if low is None else numerals.to_float(low),
        high=None if high is None else numerals.to_float(high),
        approximate=bool(m.group("approx") or m.group("approx0")) or qualifier == "nearly"
        or (high is not None and not m.group("lo")),
        redacted=redacted,
    )


def scan(body: str) -> list[Quantity]:
    """The bare mentions (value, unit, qualifier, offsets) in reading order, no context yet.

    The grammar runs over a same-length Traditional→Simplified fold of the body (textfold), so 2.6萬人次 and
    不少於2期 read like their simplified forms while offsets and surfaces stay the page's own;
    units come out simplified (個 → 个) so that mentions compare across pages.
    """
    g = grammar()
    text = simplified(body)
    blocked = citations.name_spans(text)
    out: list[Quantity] = []
    pos = 0
    while (m := g.pattern.search(text, pos)) is not None:
        q = None if _reject(m, text, g, blocked) else _build(m, text, g)
        if q is None:
            pos = m.start() + 1
            continue
        q.surface = body[q.start:q.end]
        out.append(q)
        pos = m.end()
    return out
