"""Canonical parts of a report (models.PARTS) over its section tree, and a completeness record.

Why: the 2019 规定 asks every annual report for five contents, but real reports nest, reorder and
flatten them (domain.md §1.2), so a part cannot be read from a heading's position or number. It is
read from keywords at any heading level (a child inherits its parent's part unless its own
keywords say otherwise), from un-headed cue paragraphs, and from the document type; the
completeness record then says for each required part whether a top heading names it ("present"),
only a sub-heading, 一是 lead or un-headed cue block does ("embedded"), or nothing does ("missing").
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from govreports.models import REQUIRED_PARTS, PartSpan, Section
from govreports.sections import cues
from govreports.sections.markers import ENUM, first_char, iter_lines

PLAN = "next_year_plan"
_RANK = {"missing": 0, "embedded": 1, "present": 2}


@dataclass(slots=True)
class _Item:
    """A stretch of the body that starts either a section's own text or an un-headed paragraph."""

    start: int
    part: str
    how: str


def _gap_paragraphs(body: str, sections: list[Section], text_end: int) -> list[int]:
    """Starts of the paragraphs no section covers (preamble, plan cue blocks, closing)."""
    spans = sorted((s.start, s.end) for s in sections if s.parent_id is None)  # children lie inside
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    starts = [a for a, _ in merged]
    out = []
    for s, e in iter_lines(body, text_end):
        pos = first_char(body, s, min(e, text_end))
        k = bisect_right(starts, pos) - 1
        if pos < min(e, text_end) and not (k >= 0 and pos < merged[k][1]):
            out.append(pos)
    return out


class _Walk:
    """One walk over a body's sections and un-headed paragraphs in reading order.

    Holds what the steps share: the part and `how` each section got (children inherit), the
    implicit part an un-numbered heading or cue block opened, the items so far and the grades.
    """

    def __init__(self, body: str, sections: list[Section], doc_type: str, paragraphs: list[int],
                 text_end: int) -> None:
        self.body, self.doc_type, self.text_end = body, doc_type, text_end
        self.default = cues.rules().default_part.get(doc_type, "measures_results")
        self.year = cues.base_year(body)
        self.status = dict.fromkeys(REQUIRED_PARTS, "missing")
        self.by_id = {s.id: s for s in sections}
        self.how_of: dict[str, str] = {}
        self.names_of: dict[str, tuple[str, ...]] = {}
        self.items: list[_Item] = []
        self.implicit: tuple[str, str] | None = None
        self.first_section = sections[0].start if sections else None
        self.last_paragraph = paragraphs[-1] if paragraphs else None

    def grade(self, part: str, level: str) -> None:
        """Raise a required part's completeness to `level` (never lower it)."""
        if part in self.status and _RANK[level] > _RANK[self.status[part]]:
            self.status[part] = level

    def paragraph(self, pos: int) -> None:
        """An un-headed paragraph: preamble, closing, a cue block opening a part, or more of the last part."""
        line_end = self.body.find("\n", pos)
        text = self.body[pos: self.text_end if line_end < 0 else min(line_end, self.text_end)]
        block = cues.block_part(text, self.year) if self.doc_type != "work_plan" else None
        self.items.append(self._paragraph_item(pos, text, block))

    def _paragraph_item(self, pos: int, text: str, block: tuple[str, str] | None) -> _Item:
        if (self.first_section is None and not self.items) or (
                self.first_section is not None and pos < self.first_section):
            return _Item(pos, "preamble", "position")
        if pos == self.last_paragraph and cues.closing_cue(text) and block is None:
            return _Item(pos, "closing", "cue")
        if block:
            self.implicit = block
            self.grade(block[0], "present" if block[1] == "heading" else "embedded")
            return _Item(pos, *block)
        prev = self.items[-1] if self.items else None
        keep = prev is not None and prev.part not in {"preamble", "closing"}
        return _Item(pos, prev.part if keep else self.default, prev.how if keep else "position")

    def section(self, sec: Section) -> None:
        """A section: its part from its own keywords, its parent or the implicit part; then its grade."""
        names = cues.classify(sec.heading)
        self.names_of[sec.id] = names
        own = names[0] if names else None
        part, how = self._section_part(sec, own)
        self._grade_section(sec, names, own, part, how)
        sec.part = part
        self.how_of[sec.id] = how
        self.items.append(_Item(sec.start, part, how))

    def _section_part(self, sec: Section, own: str | None) -> tuple[str, str]:
        if self.doc_type == "work_plan":
            return PLAN, "heading"
        if sec.parent_id is not None:
            parent = self.by_id[sec.parent_id]
            if cues.overrides(own, parent.part, self.names_of[parent.id]):
                return own, "embedded"  # overrides() is False for own=None
            return parent.part, self.how_of[parent.id]
        if sec.level > 1 or sec.marker == ENUM:  # in an implicit part, or a lead under no heading
            return self._implicit_part(sec, own)
        self.implicit = None
        return own or self.default, "heading"

    def _implicit_part(self, sec: Section, own: str | None) -> tuple[str, str]:
        lead = sec.marker == ENUM
        if not lead and cues.opens_part(sec.heading, own) and (self.implicit is None or self.implicit[0] != own):
            self.implicit = (own, "heading")  # this heading names the implicit part it opened
        around = (self.items[-1].part, self.items[-1].how) if lead and self.items else (self.default, "position")
        base = self.implicit or around
        return (own, "embedded") if cues.overrides(own, base[0], ()) else base

    def _grade_section(self, sec: Section, names: tuple[str, ...], own: str | None, part: str, how: str) -> None:
        top = sec.parent_id is None and sec.marker != ENUM
        if top and self.doc_type == "work_plan":
            self.grade(PLAN, "present")
        elif top:
            for name in names or ((part,) if sec.level == 1 else ()):
                self.grade(name, "present")
        elif how == "embedded" and own == part:
            self.grade(part, "embedded")


def _assign(body: str, sections: list[Section], doc_type: str, paragraphs: list[int],
            text_end: int) -> tuple[list[_Item], dict[str, str]]:
    """Walk sections and un-headed paragraphs in reading order; set parts; grade completeness."""
    walk = _Walk(body, sections, doc_type, paragraphs, text_end)
    timeline = sorted([(s.start, 1, s) for s in sections] + [(p, 0, None) for p in paragraphs],
                      key=lambda t: (t[0], t[1]))
    for pos, _, sec in timeline:
        if sec is None:
            walk.paragraph(pos)
        else:
            walk.section(sec)
    return walk.items, walk.status


def tag_parts(body: str, sections: list[Section], doc_type: str) -> tuple[list[PartSpan], dict[str, str | None]]:
    """Tag every section with its canonical part and cover the body with part spans.

    Args:
        body: the document body the sections point into.
        sections: parse_sections' output; each `.part` is set here (in place).
        doc_type: annual_report | work_plan | summary_and_plan | other.
    Returns:
        PartSpans covering body[0:len(body)] in order (adjacent equal spans merged), and the
        completeness record {required part: "present" | "embedded" | "missing" | None}, None
        where the part is not graded for this doc_type (rules/parts.yaml graded_parts).
    """
    sig = cues.find_signature(body)
    text_end = len(body) if sig is None else sig
    paragraphs = _gap_paragraphs(body, sections, text_end)
    items, status = _assign(body, sections, doc_type, paragraphs, text_end)
    if sig is not None:
        items.append(_Item(sig, "signature", "position"))
    spans: list[PartSpan] = []
    for k, item in enumerate(items):
        start = 0 if k == 0 else item.start
        end = items[k + 1].start if k + 1 < len(items) else len(body)
        if end <= start:
            continue
        if spans and spans[-1].part == item.part and spans[-1].how == item.how:
            spans[-1].end = end
        else:
            spans.append(PartSpan(item.part, start, end, item.how))
    if not spans and body:
        spans.append(PartSpan("preamble", 0, len(body), "position"))
    return spans, _graded(status, doc_type)


def _graded(status: dict[str, str], doc_type: str) -> dict[str, str | None]:
    """Completeness as published: None ("not assessed") for a part this doc_type is not graded
    on, and for an optional part that is not there."""
    r = cues.rules()
    graded = r.graded_parts.get(doc_type, frozenset())
    return {part: state if part in graded or (part in r.optional_parts and state != "missing") else None
            for part, state in status.items()}
