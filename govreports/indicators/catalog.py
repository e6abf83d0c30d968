"""The indicator catalog (rules/indicators.yaml), checked and compiled once.

An analyst compares one number per indicator across regions and years, so every entry declares ONE
measure (count, money or rate) and the unit its values are published in; the written units it accepts
must all belong to one family of rules/units.yaml, which says how they convert. Loading refuses a
catalog that breaks this, naming the entry: a rule file cannot make a column mix counts and rates.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govreports import rules as rulebook

MEASURES = {"count": None, "money": "元", "rate": "%"}  # measure → the unit it must use (None: any count unit)
PARTS_OF_INDICATORS = ("measures_results", "first_responsible")


@dataclass(frozen=True)
class Pattern:
    rx: re.Pattern[str]
    sub: str | None = None


@dataclass(frozen=True)
class Entry:
    """One catalog indicator with its compiled patterns."""

    id: str
    name_zh: str
    definition: str
    measure: str                       # count | money | rate
    unit: str                          # every value is published in this unit
    factors: dict[str, float]          # accepted written unit → factor to `unit`
    part: str
    topic: str
    before: tuple[Pattern, ...]
    after: tuple[Pattern, ...]
    context: tuple[Pattern, ...]
    subs: tuple[Pattern, ...]
    requires: re.Pattern[str] | None
    exclude: re.Pattern[str] | None
    text: tuple[tuple[re.Pattern[str], float], ...]
    any_before: re.Pattern[str] | None  # one search telling whether any `before` pattern can match
    any_after: re.Pattern[str] | None

    @property
    def units(self) -> frozenset[str]:
        return frozenset(self.factors)


def _any_of(patterns: tuple[Pattern, ...]) -> re.Pattern[str] | None:
    """The alternation of `patterns`: it finds nothing exactly when none of them finds anything."""
    if not patterns:
        return None
    try:
        return re.compile("|".join(f"(?:{p.rx.pattern})" for p in patterns))
    except re.error:  # e.g. a group name used twice: no shortcut, same result
        return None


def _patterns(items: list[Any] | None) -> tuple[Pattern, ...]:
    out = []
    for item in items or ():
        if isinstance(item, dict):
            out.append(Pattern(re.compile(item["re"]), item.get("sub")))
        else:
            out.append(Pattern(re.compile(item)))
    return tuple(out)


def unit_families(units_rules: dict[str, Any] | None = None) -> dict[str, dict[str, float]]:
    """Family name → {written unit: factor to the family's first unit}, from rules/units.yaml."""
    raw = (units_rules or rulebook.units())["families"]
    return {name: {str(u): float(f) for u, f in members.items()} for name, members in raw.items()}


def family_of(units: set[str], families: dict[str, dict[str, float]]) -> str | None:
    """The first family holding every one of `units`, or None when no single family does."""
    return next((name for name, members in families.items() if units <= set(members)), None)


def _compile(e: dict[str, Any], families: dict[str, dict[str, float]], topics: set[str]) -> Entry:
    where = f"rules/indicators.yaml: {e.get('id', '?')}"
    missing = [k for k in ("id", "name_zh", "definition", "measure", "unit", "units", "part", "topic") if not e.get(k)]
    if missing:
        raise ValueError(f"{where}: missing {', '.join(missing)}")
    measure, unit, written = e["measure"], str(e["unit"]), {str(u) for u in e["units"]}
    if measure not in MEASURES:
        raise ValueError(f"{where}: measure {measure!r} is not one of {sorted(MEASURES)}")
    if MEASURES[measure] and unit != MEASURES[measure]:
        raise ValueError(f"{where}: a {measure} is published in {MEASURES[measure]}, not {unit}")
    family = family_of(written | {unit}, families)
    if family is None or (measure == "count") != (family not in ("money", "rate")):
        raise ValueError(f"{where}: units {sorted(written)} and {unit} are not one {measure} family of "
                         "rules/units.yaml")
    if e["part"] not in PARTS_OF_INDICATORS or e["topic"] not in topics:
        raise ValueError(f"{where}: part {e['part']!r} or topic {e['topic']!r} unknown")
    members = families[family]
    if measure == "rate":  # a rate is a rate however written: ‰ converts to %
        written |= set(members)
    before, after = _patterns(e.get("before")), _patterns(e.get("after"))
    return Entry(
        id=e["id"], name_zh=e["name_zh"], definition=e["definition"], measure=measure, unit=unit,
        factors={u: members[u] / members[unit] for u in sorted(written)}, part=e["part"], topic=e["topic"],
        before=before, after=after, any_before=_any_of(before), any_after=_any_of(after),
        context=_patterns(e.get("context")), subs=_patterns(e.get("subs")),
        requires=re.compile(e["requires"]) if e.get("requires") else None,
        exclude=re.compile("|".join(e["exclude"])) if e.get("exclude") else None,
        text=tuple((re.compile(t["re"]), float(t["value"])) for t in e.get("text") or ()),
    )


def load_catalog(path: Path | None = None) -> tuple[Entry, ...]:
    """Compile a catalog file (default: rules/indicators.yaml); ValueError names a bad entry."""
    raw = rulebook.read_rule_file(path) if path else rulebook.indicators()
    families = unit_families()
    topics = {t["id"] for t in rulebook.topics()["topics"]}
    entries = tuple(_compile(e, families, topics) for e in raw["indicators"])
    ids = [e.id for e in entries]
    if len(set(ids)) != len(ids):
        raise ValueError(f"rules/indicators.yaml: duplicate ids {sorted({i for i in ids if ids.count(i) > 1})}")
    return entries


@functools.cache
def catalog() -> tuple[Entry, ...]:
    """The shipped catalog, compiled once per process, in file order (the binding tie-breaker)."""
    return load_catalog()


@functools.cache
def by_id() -> dict[str, Entry]:
    return {e.id: e for e in catalog()}


@functools.cache
def topic_names() -> dict[str, str]:
    """纲要 topic id → its short Chinese name (rules/topics.yaml `short`)."""
    return {t["id"]: t.get("short") or t["name"] for t in rulebook.topics()["topics"]}

