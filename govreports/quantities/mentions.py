"""Quantity mentions in context: each mention's sentence, section, subject, modality and change
(a change marked with its direction, increase or decrease, never read as a level).

The grammar that finds the bare mentions (number, unit, qualifier) is `quantity_grammar`; this
module places each one in its document (gold README): the sentence and clause around it, the
section that holds it, what it counts, and whether it is a target or a past figure.
"""

from __future__ import annotations

import functools
import re

from govreports import rules as rulebook
from govreports.models import Quantity, Section
from govreports.quantities.grammar import grammar, scan
from govreports.text import citations, tokenize
from govreports.text.charclasses import CLAUSE_END, LAST_CLAUSE_END, LAST_SENTENCE_END, SENTENCE_END

__all__ = ["extract_quantities", "grammar", "in_plan_part", "innermost_section", "scan"]

#: context cue name → its key in rules/quantities.yaml
_CUE_KEYS = {"target": "target_cues", "future": "future_cues", "change": "change_cues",
             "decrease": "decrease_cues", "negative_change": "negative_change_cues",
             "fillers": "subject_fillers", "year": "governing_year"}


def innermost_section(sections: list[Section], offset: int) -> Section | None:
    """The deepest section whose [start, end) holds `offset`."""
    inside = [s for s in sections if s.start <= offset < s.end]
    return max(inside, key=lambda s: (s.start, s.level)) if inside else None


def in_plan_part(sections: list[Section], section: Section | None,
                 by_id: dict[str, Section] | None = None) -> bool:
    """True when the section or an ancestor is the next-year plan part (its figures are targets).

    `by_id` is {s.id: s for s in sections}, passed by callers that ask for many offsets.
    """
    by_id = {s.id: s for s in sections} if by_id is None else by_id
    while section is not None:
        if section.part == "next_year_plan":
            return True
        section = by_id.get(section.parent_id) if section.parent_id else None
    return False


@functools.cache
def _cues() -> dict[str, re.Pattern[str]]:
    """The context cues of rules/quantities.yaml, compiled once (they run for every mention)."""
    r = rulebook.quantities()
    return {name: re.compile(r[key]) for name, key in _CUE_KEYS.items()}


@functools.cache
def _stops() -> frozenset[str]:
    return frozenset(rulebook.quantities()["subject_stops"])


def _change(q: Quantity, before: str) -> None:
    """Mark a change (增长12%, 同比下降3件) with its direction; a negative change is a decrease.

    负增长5% is a change of -5; 减少-200万元 keeps its written minus and is still a decrease.
    """
    cues = _cues()
    if not cues["change"].search(before) and not cues["negative_change"].search(before):
        return
    q.change = True
    if cues["negative_change"].search(before) and q.value is not None and q.value > 0:
        q.value, q.low, q.high = -q.value, (-q.low if q.low else q.low), (-q.high if q.high else q.high)
    negative = q.value is not None and q.value < 0
    q.change_direction = "decrease" if negative or cues["decrease"].search(before) else "increase"


def _modality(head: str, blocked_free: str, doc_type: str, report_year: int | None,
              in_plan: bool) -> str:
    """target (plans, plan parts, 力争…), historical (an earlier year governs it), else actual."""
    if doc_type == "work_plan" or in_plan or _cues()["target"].search(head):
        return "target"
    years = _cues()["year"].findall(blocked_free)
    if years and report_year:
        year = int(years[-1])
        if year < report_year:
            return "historical"
        if year > report_year and _cues()["future"].search(head):
            return "target"  # "2024年,我局将…" in a 2023 report; a bare 2024年初 is still actual
    return "actual"


def _subject(body: str, q: Quantity, clause_start: int, clause_end: int) -> str | None:
    stops = _stops()
    head = body[clause_start:q.start].strip()
    while head and (trimmed := _cues()["fillers"].sub("", head)) != head:
        head = trimmed
    before, verb_only = tokenize.noun_phrase_before(head, stops) if head else (None, False)
    if before and not verb_only:
        return before
    return tokenize.noun_phrase_after(body[q.end:clause_end], stops) or before


def _bounds(body: str, rx: re.Pattern[str], last: re.Pattern[str], start: int, end: int) -> tuple[int, int]:
    """After the last `rx` mark within 400 characters before `start`, up to the first from `end`."""
    lo = max(0, start - 400)
    left = last.match(body, lo, start)
    right = rx.search(body, end)
    return left.end() if left else lo, right.start() if right else len(body)


def extract_quantities(body: str, sections: list[Section] | None = None, *, doc_type: str = "annual_report",
                       report_year: int | None = None) -> list[Quantity]:
    """Every quantity mention of `body`, with section, sentence, subject, modality and change.

    Args:
        body: the document body; offsets of the result index into it (body[q.start:q.end] == q.surface).
        sections: the document's sections, for `section_id` and for plan parts (targets).
        doc_type: `work_plan` makes every figure a target.
        report_year: the year reported on; a figure governed by an earlier year is `historical`.
    """
    sections = sections or []
    by_id = {s.id: s for s in sections}
    blocked = citations.name_spans(body)
    out = scan(body)
    for q in out:
        s_start, s_end = _bounds(body, SENTENCE_END, LAST_SENTENCE_END, q.start, q.end)
        c_start, c_end = _bounds(body, CLAUSE_END, LAST_CLAUSE_END, q.start, q.end)
        q.sentence = body[s_start:s_end].strip()
        section = innermost_section(sections, q.start)
        q.section_id = section.id if section else None
        head = body[s_start:q.start]
        free = citations.mask(body, blocked, s_start, q.start)
        q.modality = _modality(head, free, doc_type, report_year, in_plan_part(sections, section, by_id))
        _change(q, body[max(0, q.start - 12):q.start])
        q.subject = _subject(body, q, c_start, c_end)
    return out
