"""Where heading markers stand in a body: at line starts, inside paragraphs, on flattened lines.

markers.py says what a marker is (the grammar, one match at one position); this module finds
them: every line start, then inside a line the places a real page hides them: 一是…二是… leads
after a clause end (or glued to the word before, continuing a run), run-in siblings that lost
their line breaks (1.…。2.…), and every marker of a body flattened onto one line, where a blank is
what is left of the line break. Why hand-written: markers.py's docstring.
"""

from __future__ import annotations

from dataclasses import replace

from govreports.sections.markers import (
    ENUM,
    Marker,
    cn_ordinal,
    first_char,
    grammar,
    iter_lines,
    match_marker,
    read_heading,
)


def find_markers(body: str, stop: int) -> tuple[list[Marker], list[Marker]]:
    """Structural marker candidates and 一是-lead candidates in body[:stop], in reading order."""
    g = grammar()
    structural: list[Marker] = []
    enums: list[Marker] = []
    lines = iter_lines(body, stop)
    filled = sum(1 for s, e in lines if body[s:e].strip())
    # paragraph breaks lost: long lines on average, or the whole text on a line or two
    dense = filled > 0 and (stop / filled >= g.inline_min_mean_line_chars or filled <= 2)
    for line_start, line_end in lines:
        line_end = min(line_end, stop)
        pos = first_char(body, line_start, line_end)
        if pos >= line_end:
            continue
        long = dense and line_end - line_start >= g.inline_min_line_chars
        found = match_marker(body, pos, line_start, line_end, dense=long)
        lead = None if found else match_marker(body, pos, line_start, line_end, enum=True, dense=long)
        marks = [x for x in (found, lead) if x]
        if long:
            for m in g.inline_after.finditer(body, pos, line_end):
                if m.end() < line_end:
                    inner = match_marker(body, m.end(), line_start, line_end, inline=True, dense=True)
                    if inner:
                        marks.append(inner)
        elif found:
            marks.extend(_siblings_inside(body, found, line_end))
        marks.extend(_leads_inside(body, pos, line_end, lead, dense=long))
        marks.sort(key=lambda x: x.start)
        for k in range(len(marks) - 1):  # a heading ends where the next marker of its line starts
            if marks[k].heading_end > marks[k + 1].start:
                marks[k] = _cut_heading(body, marks[k], marks[k + 1].start)
        for mark in marks:
            if mark.heading:
                (enums if mark.family == ENUM else structural).append(mark)
    return structural, enums


def _siblings_inside(body: str, first: Marker, line_end: int) -> list[Marker]:
    """Run-in headings that lost their line breaks: "1.加强领导。…。2.抓实督察。…" on one line.

    Inside a paragraph that opens with a heading, only the next numbers of that same family,
    each after a sentence end, are headings (a "主要做法:1.…2.…" list inside a sentence is not).
    """
    g = grammar()
    found: list[Marker] = []
    last = first.ordinal
    for m in g.sibling_after.finditer(body, first.heading_end, line_end):
        inner = match_marker(body, m.end(), first.line_start, line_end, inline=True)
        if inner and inner.family == first.family and inner.ordinal == last + 1:
            found.append(inner)
            last = inner.ordinal
    return found


def _leads_inside(body: str, pos: int, line_end: int, first: Marker | None,
                  dense: bool = False) -> list[Marker]:
    """一是 leads inside one paragraph (after its first character).

    `first` is the paragraph's opening lead, if any. A lead after a clause end is a candidate; one
    glued to the word before it is kept only as the next number after a lead of this paragraph
    (the writer left out the 。: "…明确分工三是…").
    """
    g = grammar()
    found: list[Marker] = [first] if first else []
    for m in g.enum.regex.finditer(body, pos + 1, line_end):
        before = body[m.start() - 1]
        glued = not g.lead_after.match(before)
        if glued and (g.glued_not_after.match(before) or not found
                      or cn_ordinal(m.group("num")) != found[-1].ordinal + 1):
            continue
        lead = match_marker(body, m.start(), pos, line_end, inline=True, enum=True, dense=dense)
        if lead is not None:
            found.append(replace(lead, glued=glued) if glued else lead)
    return found[1 if first else 0:]


def _cut_heading(body: str, mark: Marker, end: int) -> Marker:
    """`mark` with its heading read again up to `end` (the next lead's label)."""
    text_start = mark.start + len(mark.label_raw)
    while text_start < end and body[text_start] in " \t\u3000\xa0":
        text_start += 1
    heading, heading_end = read_heading(body, text_start, end)
    return replace(mark, heading=heading, heading_end=heading_end)
