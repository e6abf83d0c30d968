"""One comparable value per (document, indicator, sub), chosen from the document's mentions.

The indicators table keeps every mapped mention (targets, repeats, breakdowns), which is right for
lineage and wrong for a comparison: summing it double counts, and a target is not an achievement. This
module picks the one value an analyst should compare, and says which rule picked it
(rules/indicator_values.yaml); the choice is deterministic and points back to one mention.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from govreports import rules as rulebook
from govreports.indicators.catalog import by_id
from govreports.models import IndicatorChoice, IndicatorValue


@dataclass(frozen=True)
class _Rules:
    modalities: frozenset[str]
    total_cue: re.Pattern[str]
    cue_chars: int
    order: tuple[str, ...]


@functools.cache
def _rules() -> _Rules:
    r = rulebook.indicator_values()
    return _Rules(frozenset(r["modalities"]), re.compile(r["total_cue"]), int(r["total_cue_chars"]),
                  tuple(r["order"]))


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


def _pick(mentions: list[IndicatorValue], body: str, measure: str) -> tuple[IndicatorValue, str] | None:
    """The mention a comparison uses and the rule that chose it; None when no rule decides."""
    r = _rules()
    values = [m.value for m in mentions]
    for rule in r.order:
        if rule == "only" and len(mentions) == 1:
            return mentions[0], rule
        if rule == "repeated" and all(_close(v, values[0]) for v in values):
            return mentions[0], rule
        if rule == "marked_total":
            marked = [m for m in mentions if r.total_cue.search(body[max(0, m.start - r.cue_chars):m.start])]
            if len(marked) == 1 or (marked and all(_close(m.value, marked[0].value) for m in marked)):
                return marked[0], rule
        if rule == "sum_of_breakdown" and len(mentions) > 2:
            total = sum(values)
            for m in mentions:
                if _close(2 * m.value, total):
                    return m, rule
        if rule == "largest" and measure != "rate":
            return max(mentions, key=lambda m: (m.value, -m.start)), rule
        if rule == "first" and measure == "rate":
            return mentions[0], rule
    return None


def choose_values(body: str, indicators: list[IndicatorValue]) -> list[IndicatorChoice]:
    """One IndicatorChoice per (indicator_id, sub) the document states as an actual, in key order."""
    r = _rules()
    numeric: dict[tuple[str, str | None], list[IndicatorValue]] = {}
    statements: dict[tuple[str, str | None], list[IndicatorValue]] = {}
    for iv in indicators:
        if iv.modality not in r.modalities or iv.value is None:
            continue
        group = statements if iv.quantity_index < 0 else numeric
        group.setdefault((iv.indicator_id, iv.sub), []).append(iv)
    catalog = by_id()
    out = []
    for key in sorted(numeric.keys() | statements.keys(), key=lambda k: (k[0], k[1] or "")):
        entry = catalog.get(key[0])
        if entry is None:  # not a catalog id (validation quarantines the document)
            continue
        if key in numeric:
            mentions = sorted(numeric[key], key=lambda m: m.start)
            picked = _pick(mentions, body, entry.measure)
        else:
            mentions = sorted(statements[key], key=lambda m: m.start)
            picked = (mentions[0], "statement")
        if picked is None:
            continue
        m, rule = picked
        out.append(IndicatorChoice(indicator_id=key[0], sub=key[1], value=m.value, unit=entry.unit,
                                   measure=entry.measure, qualifier=m.qualifier, rule=rule,
                                   n_mentions=len(mentions), quantity_index=m.quantity_index,
                                   start=m.start, end=m.end, surface=m.surface))
    return out
