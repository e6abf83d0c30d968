"""Quantities mapped to comparable indicators of the catalog (rules/indicators.yaml, domain.md §4.5).

Why keyword windows and not a model: the reports name what they count right next to the number
("完成合同审查195件", "制定31项权责事项"), the vocabulary is small and official, and every binding
must be explainable to an analyst (`evidence` keeps the keyword). No open-source project maps
法治政府 report figures to indicators (§4.1), so the catalog is data and this module is the small
binder: the keyword nearest the number in its clause wins — before it first, after it when the
text before ends in 等 or has no keyword — with the sentence as a last resort for entries that
allow it. Windows stop at the previous quantity, so in "检查438次,双随机抽查308次" each number
binds to its own keyword.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from govreports import rules as rulebook
from govreports.indicators.catalog import Entry, Pattern, catalog
from govreports.models import IndicatorValue, Quantity, Section
from govreports.quantities.mentions import in_plan_part, innermost_section
from govreports.text.charclasses import CLAUSE_END, LAST_CLAUSE_MARK, LAST_SENTENCE_END, SENTENCE_END
from govreports.text.textfold import has_traditional, simplified

BEFORE_CHARS = 24
AFTER_CHARS = 14
CARRY_CHARS = 24  # at most this far from the previous mention for a part or list item to inherit its indicator


@functools.cache
def _breakdown_cues() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(breakdown cue, one more list item) of rules/indicator_values.yaml, compiled once."""
    r = rulebook.indicator_values()
    return re.compile(r["breakdown"]), re.compile(r["list_item"])


@dataclass(frozen=True)
class _Window:
    before: str
    after: str
    sentence: str


def _window(body: str, quantities: list[Quantity], i: int) -> _Window:
    """The clause text around quantity i, cut at the neighbouring quantities."""
    q = quantities[i]
    last = LAST_SENTENCE_END.match(body, max(0, q.start - 300), q.start)
    s_start = last.end() if last else max(0, q.start - 300)
    end_m = SENTENCE_END.search(body, q.end)
    s_end = end_m.start() if end_m else len(body)
    start = max(s_start, q.start - BEFORE_CHARS)
    if i > 0 and quantities[i - 1].end <= q.start:
        start = max(start, quantities[i - 1].end)
    mark = LAST_CLAUSE_MARK.match(body, start, q.start)
    if mark:
        start = mark.end()
    if not _is_list_head(body[start:q.start]):  # "A、B、C等N项X" keeps its list; else 、 cuts
        cut = _last_list_mark(body, start, q.start)
        start = cut + 1 if cut >= 0 else start
    stop = min(q.end + AFTER_CHARS, s_end)
    if i + 1 < len(quantities) and quantities[i + 1].start >= q.end:
        stop = min(stop, quantities[i + 1].start)
    cut = CLAUSE_END.search(body, q.end, stop)
    if cut:
        stop = cut.start()
    return _Window(body[start:q.start], body[q.end:max(q.end, stop)], body[s_start:s_end])


def _last_list_mark(body: str, start: int, end: int) -> int:
    """The last 、 of body[start:end] outside brackets (法治讲座(培训、报告会)3390场 keeps 法治讲座), or -1."""
    depth = 0
    for i in range(end - 1, start - 1, -1):
        c = body[i]
        if c in ")）":
            depth += 1
        elif c in "(（":
            depth = max(0, depth - 1)
        elif c == "、" and depth == 0:
            return i
    return -1


def _is_list_head(text: str) -> bool:
    """True for '行政许可、行政确认等': the examples of a list whose noun follows the number."""
    return text.rstrip().endswith(("等", "等共", "等计", "等共计"))


def _best_before(patterns: tuple[Pattern, ...], text: str) -> tuple[tuple[int, int], Pattern, str] | None:
    """Nearest match ending before the number (then the longest): key, pattern, matched text."""
    best = None
    for p in patterns:
        for m in p.rx.finditer(text):
            if not m.group(0):
                continue
            key = (len(text) - m.end(), -len(m.group(0)))
            if best is None or key < best[0]:
                best = (key, p, m.group(0))
    return best


def _best_after(patterns: tuple[Pattern, ...], text: str) -> tuple[tuple[int, int], Pattern, str] | None:
    best = None
    for p in patterns:
        m = p.rx.search(text)
        if m and m.group(0):
            key = (m.start(), -len(m.group(0)))
            if best is None or key < best[0]:
                best = (key, p, m.group(0))
    return best


@functools.cache
def _for_unit(unit: str) -> tuple[Entry, ...]:
    """The catalog entries that may measure `unit`, in catalog order (most allow a few units)."""
    return tuple(e for e in catalog() if unit in e.factors)


_Shortcut = tuple[int, re.Pattern[str], Entry]


@functools.cache
def _shortcuts(unit: str) -> tuple[tuple[_Shortcut, ...], tuple[_Shortcut, ...]]:
    """(position among the unit's entries, any-pattern search, entry) of the entries that have
    `before` / `after` patterns: the loop of `_bind` runs over these alone."""
    entries = _for_unit(unit)
    return (tuple((k, e.any_before, e) for k, e in enumerate(entries) if e.any_before is not None),
            tuple((k, e.any_after, e) for k, e in enumerate(entries) if e.any_after is not None))


def _eligible(entry: Entry, w: _Window) -> bool:
    if entry.requires and not entry.requires.search(w.sentence):
        return False
    return not (entry.exclude and (entry.exclude.search(w.before) or entry.exclude.search(w.after)))


def _bind(q: Quantity, w: _Window) -> tuple[Entry, Pattern, str] | None:
    """The catalog entry quantity q measures, with the pattern and text that decided it.

    Eligibility (requires/exclude) is checked only for entries whose patterns occur in the window,
    and once per entry: candidates keep their catalog order, the tie-breaker.
    """
    candidates = _for_unit(q.unit)
    checked: dict[int, bool] = {}

    def eligible(k: int) -> bool:
        if k not in checked:
            checked[k] = _eligible(candidates[k], w)
        return checked[k]

    def pick(kind: str, text: str) -> tuple[Entry, Pattern, str] | None:
        before = kind == "before"
        best = None
        for order, shortcut, e in (_shortcuts(q.unit)[0] if before else _shortcuts(q.unit)[1]):
            if shortcut.search(text) is None:
                continue  # no pattern of this entry occurs in the text
            found = _best_before(e.before, text) if before else _best_after(e.after, text)
            if found and (best is None or (found[0], order) < best[0]) and eligible(order):
                best = ((found[0], order), e, found[1], found[2])
        return best[1:] if best else None

    order = ("after", "before") if _is_list_head(w.before) else ("before", "after")
    for kind in order:
        hit = pick(kind, w.before if kind == "before" else w.after)
        if hit:
            return hit
    return _pick_context([e for k, e in enumerate(candidates) if eligible(k)], w.sentence)


def _pick_context(entries: list[Entry], sentence: str) -> tuple[Entry, Pattern, str] | None:
    """Last resort: an entry whose context words occur in the sentence (first in catalog order)."""
    for e in entries:
        for p in e.context:
            m = p.rx.search(sentence)
            if m:
                return e, p, m.group(0)
    return None


def _carried(text: str, quantities: list[Quantity], i: int, last: tuple[int, Entry, str] | None,
             in_breakdown: bool) -> tuple[Entry, Pattern, str] | None:
    """A mention with no keyword of its own continues an earlier mention's indicator when it is a part
    of it (其中行政许可3706条, 其中线上办理1626件: a breakdown cue between them, at most one sentence
    apart), the next part of that breakdown (其中概况类信息213条,政务动态信息386条), or the next bare
    number of a list (2次、3次): same written unit, at most three mentions back."""
    if last is None:
        return None
    k, entry, unit = last
    q, prev = quantities[i], quantities[k]
    if q.unit != unit or i - k > 3:
        return None
    gap = text[prev.end:q.start]
    end = LAST_SENTENCE_END.match(gap)
    if end:  # a part may open the next sentence: 罚没118万元。其中非法行医9件
        gap = gap[end.end():]
        if not gap.startswith(("其中", "分别")):
            return None
    if len(gap) > CARRY_CHARS:
        return None
    breakdown, list_item = _breakdown_cues()
    cue = breakdown.search(gap)
    if cue is None and gap.strip() not in ("、", ",", "，") and not (in_breakdown and list_item.fullmatch(gap)):
        return None  # neither a part (其中 …), nor a bare list (2次、3次), nor the next part of a breakdown
    return entry, Pattern(breakdown), cue.group(0) if cue else "(same list)"


def _sub(entry: Entry, pattern: Pattern, text: str) -> str | None:
    if pattern.sub:
        return pattern.sub
    for p in entry.subs:
        if p.rx.search(text):
            return p.sub
    return None


def _text_hits(text: str, body: str, sections: list[Section], doc_type: str) -> list[IndicatorValue]:
    """Indicators stated without a number: 法律顾问全覆盖 (100 %), 无行政败诉 (0 件); matched on the
    Simplified fold `text`, read out of `body`."""
    out = []
    for entry in catalog():
        for rx, value in entry.text:
            for m in rx.finditer(text):
                section = innermost_section(sections, m.start())
                in_plan = in_plan_part(sections, section)
                out.append(IndicatorValue(
                    indicator_id=entry.id, value=value, unit=entry.unit, qualifier=None, sub=None,
                    quantity_index=-1, section_id=section.id if section else None,
                    start=m.start(), end=m.end(), surface=body[m.start():m.end()], evidence=rx.pattern,
                    measure=entry.measure,
                    modality="target" if doc_type == "work_plan" or in_plan else "actual"))
    return out


def map_indicators(body: str, quantities: list[Quantity], *, sections: list[Section] | None = None,
                   doc_type: str = "annual_report") -> list[IndicatorValue]:
    """Bind each quantity to at most one catalog indicator, plus number-less statements.

    A change (增长12%) measures no level, so it binds to nothing; a bound value is converted to the
    indicator's unit (‰ → %), so an indicator's values always share one unit.

    Args:
        body: the document body the quantities were extracted from.
        quantities: `extract_quantities(body, ...)`, in body order; `quantity_index` points into it.
        sections: optional, only to place number-less statements (quantity_index -1) in a section.
        doc_type: `work_plan` makes number-less statements targets.
    Returns:
        IndicatorValues in body order, lineage (section_id, start, end, surface) copied from the quantity.
    """
    text = simplified(body) if has_traditional(body) else body  # same offsets; rules are Simplified
    out: list[IndicatorValue] = []
    last: tuple[int, Entry, str] | None = None  # (quantity index, entry, written unit) of the last bound mention
    in_breakdown = False  # the last bound mention was a part carried from a total
    for i, q in enumerate(quantities):
        if q.change or (q.value or 0) < 0 or not _for_unit(q.unit):  # a change or -5件 is never a level
            continue
        w = _window(text, quantities, i)
        hit = _bind(q, w)
        carried = hit is None
        if carried:
            hit = _carried(text, quantities, i, last, in_breakdown)
            if hit is None:
                continue
        entry, pattern, evidence = hit
        in_breakdown = carried
        last = (i, entry, q.unit)
        factor = entry.factors[q.unit]
        out.append(IndicatorValue(
            indicator_id=entry.id, value=None if q.value is None else round(q.value * factor, 10),
            unit=entry.unit, qualifier=q.qualifier,
            sub=_sub(entry, pattern, w.before + q.surface + w.after), quantity_index=i,
            section_id=q.section_id, start=q.start, end=q.end, surface=q.surface,
            evidence=evidence, modality=q.modality, measure=entry.measure))
    out.extend(_text_hits(text, body, sections or [], doc_type))
    out.sort(key=lambda v: (v.start, v.indicator_id, v.quantity_index))
    return out
