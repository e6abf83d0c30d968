"""Part cues of a report body: heading keywords, un-headed plan/closing paragraphs, the signature.

Both the section parser (which must not let a signature or a closing paragraph into the last
section, and must see where an un-headed plan block starts) and the part tagger read the same
cues, so they live here once, compiled from rules/parts.yaml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache

from govreports import rules as rulebook
from govreports.sections.markers import first_char, iter_lines, match_marker


@dataclass(frozen=True, slots=True)
class PartRules:
    """The compiled part rules (rules/parts.yaml)."""

    keywords: tuple[tuple[str, re.Pattern[str]], ...]  # in priority order; a part's words as one alternation
    breaks_out: frozenset[str]
    part_titles: dict[str, tuple[re.Pattern[str], ...]]
    may_nest_in: dict[str, frozenset[str]]
    content_parts: frozenset[str]
    embeddable: frozenset[str]
    default_part: dict[str, str]
    graded_parts: dict[str, frozenset[str]]
    optional_parts: frozenset[str]
    plan_cues: tuple[re.Pattern[str], ...]
    closing_cues: tuple[re.Pattern[str], ...]
    base_year: re.Pattern[str]
    title_max_chars: int
    sentence_end: re.Pattern[str]
    base_year_window: int
    sig_date: re.Pattern[str]
    sig_org: re.Pattern[str]


@cache
def rules() -> PartRules:
    """Load and compile rules/parts.yaml (once per process)."""
    spec = rulebook.parts()
    kw = spec["keywords"]
    return PartRules(
        keywords=tuple((part, _any_of(kw[part])) for part in spec["priority"]),
        breaks_out=frozenset(spec["breaks_out"]),
        part_titles={k: tuple(re.compile(p) for p in v) for k, v in spec["part_titles"].items()},
        may_nest_in={k: frozenset(v) for k, v in spec["may_nest_in"].items()},
        content_parts=frozenset(spec["content_parts"]),
        embeddable=frozenset(spec["embeddable"]),
        default_part=dict(spec["default_part"]),
        graded_parts={k: frozenset(v) for k, v in spec["graded_parts"].items()},
        optional_parts=frozenset(spec["optional_parts"]),
        plan_cues=tuple(re.compile(p) for p in spec["plan_cues"]),
        closing_cues=tuple(re.compile(p) for p in spec["closing_cues"]),
        base_year=re.compile(spec["base_year"]),
        title_max_chars=int(spec["unnumbered_heading"]["max_chars"]),
        sentence_end=re.compile(spec["unnumbered_heading"]["sentence_end"]),
        base_year_window=int(spec["base_year_window"]),
        sig_date=re.compile(spec["signature"]["date"]),
        sig_org=re.compile(spec["signature"]["org"]),
    )


def _any_of(patterns: list[str]) -> re.Pattern[str]:
    """One regex that finds something exactly when one of `patterns` does (one search, not many)."""
    return re.compile("|".join(f"(?:{p})" for p in patterns)) if patterns else re.compile(r"(?!)")


@lru_cache(maxsize=512)
def classify(heading: str) -> tuple[str, ...]:
    """Every part the heading's keywords name, highest priority first (empty: a thematic heading).

    Memoised: the section parser and the part tagger classify the same headings.
    """
    return tuple(part for part, words in rules().keywords if words.search(heading))


def opens_part(heading: str, part: str | None) -> bool:
    """Whether a heading whose keywords name `part` is that part's title, so it may open the part
    on its own (outside a top section that names another part, or as an implicit part)."""
    r = rules()
    if part is None or part not in r.breaks_out:
        return False
    titles = r.part_titles.get(part)
    return titles is None or any(t.search(heading) for t in titles)


def breaks_out(heading: str, part: str | None, top_parts: tuple[str, ...]) -> bool:
    """Whether a heading naming `part` cannot be a descendant of a top section naming `top_parts`.

    A report's parts do not nest into each other (the shortcomings are not a measure), except
    where the genre does it (the first-responsible duty as a sub-item of the measures).
    """
    if not top_parts or part in top_parts or not opens_part(heading, part):
        return False
    return not (rules().may_nest_in.get(part or "", frozenset()) & set(top_parts))


def overrides(own: str | None, parent_part: str, parent_names: tuple[str, ...]) -> bool:
    """Whether a child heading naming `own` leaves the part it would inherit from its parent."""
    if own is None or own == parent_part:
        return False
    if own in parent_names:
        return True
    r = rules()
    return parent_part in r.content_parts and own in r.embeddable


def base_year(body: str) -> int | None:
    """The year the body is about: the first year named in its opening."""
    r = rules()
    m = r.base_year.search(body, 0, r.base_year_window)
    return int(m.group(0)) if m else None


def plan_cue(paragraph: str, year: int | None) -> bool:
    """Whether an un-headed paragraph opens the plan for the coming year ("2023年,我局将…")."""
    for pattern in rules().plan_cues:
        m = pattern.match(paragraph)
        if m:
            said = m.groupdict().get("year")
            return said is None or year is None or int(said) > year
    return False


def block_part(paragraph: str, year: int | None) -> tuple[str, str] | None:
    """The part an un-numbered paragraph opens, and how it says so, or None.

    ("shortcomings", "heading") for a short un-numbered title naming a part ("存在问题");
    ("next_year_plan", "cue") for a plan paragraph ("2023年,我局将…").
    """
    r = rules()
    title = paragraph.strip().rstrip(":：")
    if title and len(title) <= r.title_max_chars and not r.sentence_end.search(title):
        names = classify(title)
        if names and opens_part(title, names[0]):
            return names[0], "heading"
    if plan_cue(paragraph, year):
        return "next_year_plan", "cue"
    return None


def closing_cue(paragraph: str) -> bool:
    """Whether an un-headed last paragraph is a closing statement ("下一步,我局将…")."""
    return any(p.match(paragraph) for p in rules().closing_cues)


@lru_cache(maxsize=4)
def find_signature(body: str) -> int | None:
    """Offset where the signature block (org line + date line at the end) starts, or None.

    Memoised: the section parser and the part tagger both ask for it.
    """
    r = rules()
    lines = [(s, e) for s, e in iter_lines(body) if body[s:e].strip()]
    if not lines:
        return None
    s, e = lines[-1]
    if not r.sig_date.match(body[s:e]):
        return None
    start = s
    if len(lines) > 1:
        ps, pe = lines[-2]
        if r.sig_org.match(body[ps:pe]) and not _numbered(body[ps:pe]):
            start = ps
    return start


def _numbered(line: str) -> bool:
    """Whether a line starts with a heading marker (then it is no org line)."""
    pos = first_char(line, 0, len(line))
    return match_marker(line, pos, 0, len(line)) is not None
