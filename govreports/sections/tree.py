"""Section tree of a report body: numbered headings and 一是 leads, with levels, spans and owners.

Why hand-written: the tree is not in the markup (fonts carry levels in 公文 and are lost on the
web) and reports break the textbook order, so levels are inferred per document (domain.md §2.3):
a heading's level is its nesting depth among the marker families the document actually uses
(canonical order 第X部分 < 一、 < (一) < 1. < (1) < ①). Sequences are checked so that a line that
merely starts with a number stays body text, and the genre's part cues are honoured: an
un-headed plan paragraph ("2023年,我局将…", S0) or an un-numbered part title ("存在问题") opens an
implicit part, and so does a heading that names another required part than its explicitly named
top section (S2's CMS-flattened "1.工作中存在的不足和原因" cannot be a child of "一、…主要举措和成效").
An implicit part is a level-1 node without a heading: what follows it numbers from level 2.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

from govreports.models import Section
from govreports.sections import cues
from govreports.sections.marker_scan import find_markers
from govreports.sections.markers import Marker, first_char, grammar, iter_lines, owner_units


@dataclass(slots=True)
class _Node:
    """An open section (or an implicit part, `index` None) on the nesting stack."""

    rank: float
    level: int
    index: int | None
    parts: tuple[str, ...]
    last: dict[str, int] = field(default_factory=dict)  # family -> last child ordinal


@dataclass(slots=True)
class _Tree:
    """Accepted structural headings and the spans they govern while the stack is unwound."""

    body: str
    marks: list[Marker] = field(default_factory=list)
    parents: list[int | None] = field(default_factory=list)
    levels: list[int] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    implicit: list[tuple[int, int]] = field(default_factory=list)  # implicit parts: (start, end)
    stack: list[_Node] = field(default_factory=list)
    implicit_start: int | None = None

    def close(self, keep: int, at: int) -> None:
        """Pop the stack down to `keep` nodes; popped sections end at `at`."""
        while len(self.stack) > keep:
            node = self.stack.pop()
            if node.index is not None:
                self.ends[node.index] = _trim_end(self.body, at, self.marks[node.index].heading_end)
            elif self.implicit_start is not None:
                self.implicit.append((self.implicit_start, at))
                self.implicit_start = None

    def open_implicit(self, rank: float, part: str, at: int) -> None:
        """Close everything and open an implicit level-1 part (no heading) at `at`."""
        self.close(0, at)
        self.stack.append(_Node(rank, 1, None, (part,)))
        self.implicit_start = at


def _trim_end(body: str, at: int, floor: int) -> int:
    """`at` moved back over trailing blank space, never before `floor`."""
    at = max(at, floor)
    while at > floor and body[at - 1] in " \t\r\n\u3000\xa0":
        at -= 1
    return at


def _sequence_ok(ordinal: int, prev_sibling: int, prev_any: int) -> bool:
    """An ordinal follows its sibling, or its family anywhere (numbering across parents)."""
    gap = grammar().max_gap
    return prev_sibling < ordinal <= prev_sibling + gap or prev_any < ordinal <= prev_any + gap


def _restarts(structural: list[Marker], lookahead: int = 50) -> set[int]:
    """Starts of 1-items that begin a fresh run: the next item of their family, before any
    outer heading, is a 2 (a second list under one heading: "一方面：1.…2.… 另一方面：1.…2.…")."""
    out = set()
    for i, mark in enumerate(structural):
        if mark.ordinal != 1:
            continue
        for other in structural[i + 1:i + 1 + lookahead]:
            if other.rank < mark.rank:
                break
            if other.family == mark.family:
                if other.ordinal == 2:
                    out.add(mark.start)
                break
    return out


def _openers(structural: list[Marker], lookahead: int = 50) -> set[int]:
    """Starts of the first heading of a text that begins mid-report ("(三)…" then "(四)…"): the
    first of its family, no outer heading before it, and the next item of its family is the
    next number. Levels then count from what is there (gold README: "(三)" is level 1)."""
    out: set[int] = set()
    seen: set[str] = set()
    outer = 99.0
    for i, mark in enumerate(structural):
        if mark.family not in seen and mark.rank < outer and mark.ordinal > 1:
            for other in structural[i + 1:i + 1 + lookahead]:
                if other.rank < mark.rank:
                    break
                if other.family == mark.family:
                    if other.ordinal == mark.ordinal + 1:
                        out.add(mark.start)
                    break
        seen.add(mark.family)
        outer = min(outer, mark.rank)
    return out


def _place(tree: _Tree, mark: Marker, glob: dict[str, int], root: dict[str, int], restart: bool,
           opener: bool = False) -> None:
    """Put one structural candidate into the tree, or drop it when its numbering does not fit."""
    keep = len(tree.stack)
    while keep and tree.stack[keep - 1].rank >= mark.rank:
        keep -= 1
    kw = cues.classify(mark.heading)
    breaking = keep > 0 and cues.breaks_out(mark.heading, kw[0] if kw else None, tree.stack[0].parts)
    if breaking:
        parent = None
        prev_sibling = 0
    else:
        parent = tree.stack[keep - 1] if keep else None
        prev_sibling = (parent.last if parent else root).get(mark.family, 0)
    restart = restart and parent is not None  # a fresh list needs a heading to be under
    opener = opener and not glob.get(mark.family) and not tree.marks
    if not (restart or opener or _sequence_ok(mark.ordinal, prev_sibling, glob.get(mark.family, 0))):
        return
    if breaking:
        tree.open_implicit(tree.stack[0].rank, kw[0], mark.boundary)
        parent = tree.stack[0]
    else:
        tree.close(keep, mark.boundary)
    (parent.last if parent else root)[mark.family] = mark.ordinal
    glob[mark.family] = mark.ordinal
    tree.marks.append(mark)
    tree.parents.append(parent.index if parent else None)
    tree.levels.append(parent.level + 1 if parent else 1)
    tree.ends.append(len(tree.body))
    tree.stack.append(_Node(mark.rank, tree.levels[-1], len(tree.marks) - 1, kw))


def _open_block(tree: _Tree, at: int, following: Marker | None, part: str, how: str) -> None:
    """An un-numbered paragraph at `at` opening `part`: open an implicit part unless the current
    numbering simply goes on after it (then it is body text of the current section)."""
    if not tree.stack or any(part in n.parts for n in tree.stack):
        return
    top = tree.stack[0].rank
    restart = following is not None and following.ordinal == 1
    if following is not None and not restart and not (how == "heading" and following.rank <= top):
        return
    rank = following.rank - 0.5 if restart and following.rank <= top else top
    tree.open_implicit(rank, part, at)


def _closing_start(body: str, lines: list[tuple[int, int]], heads: dict[int, Marker]) -> int | None:
    """Start of an un-numbered closing paragraph at the very end, if there is one."""
    filled = [(s, e) for s, e in lines if body[s:e].strip()]
    if len(filled) < 2:
        return None
    s, e = filled[-1]
    pos = first_char(body, s, e)
    if s in heads or not cues.closing_cue(body[pos:e]) or cues.block_part(body[pos:e], None):
        return None
    prev = heads.get(filled[-2][0])
    if prev is not None and prev.stand_alone:
        return None  # the paragraph is the body of a stand-alone heading, not a closing
    return pos


def _structure(body: str) -> tuple[_Tree, list[Marker], int]:
    """Structural headings of the body; returns the tree, 一是 candidates and the text end."""
    sig = cues.find_signature(body)
    stop = len(body) if sig is None else sig
    structural, enums = find_markers(body, stop)
    lines = iter_lines(body, stop)
    heads = {m.line_start: m for m in [*structural, *enums] if not m.inline}
    closing = _closing_start(body, lines, heads)
    stop = stop if closing is None else closing
    structural = sorted((m for m in structural if m.start < stop), key=lambda m: m.start)
    year = cues.base_year(body)
    events: list[tuple[int, Marker | tuple[str, str]]] = [(m.start, m) for m in structural]
    if structural:
        for s, e in lines:
            pos = first_char(body, s, e)
            block = cues.block_part(body[pos:e], year) if structural[0].start < pos < stop else None
            if block and s not in heads:
                events.append((pos, block))
    tree = _Tree(body)
    glob: dict[str, int] = {}
    root: dict[str, int] = {}
    starts = [m.start for m in structural]
    restarts = _restarts(structural)
    openers = _openers(structural)
    for at, event in sorted(events, key=lambda ev: ev[0]):
        if isinstance(event, Marker):
            _place(tree, event, glob, root, event.start in restarts, event.start in openers)
        else:
            k = bisect_right(starts, at)
            _open_block(tree, at, structural[k] if k < len(structural) else None, *event)
    tree.close(0, stop)
    return tree, [m for m in enums if m.start < stop], stop


def _accept_leads(enums: list[Marker], breaks: list[int]) -> list[Marker]:
    """一是 leads that form a run 一是, 二是 … between two structural boundaries (a run may open at
    二是 where the writer left the first item unlabelled: 二是, 三是 is no accident either)."""
    accepted: list[Marker] = []
    run: list[Marker] = []

    def flush() -> None:
        if len(run) >= 2 and run[1].ordinal == run[0].ordinal + 1:
            accepted.extend(run)
        run.clear()

    gap = grammar().max_gap
    bounds = sorted(breaks)
    for lead in enums:
        if run:
            k = bisect_right(bounds, run[-1].start)
            if k < len(bounds) and bounds[k] < lead.start:  # a heading lies between: a new list
                flush()
        if lead.ordinal == 1 or (lead.ordinal == 2 and not run):
            flush()
            run.append(lead)
        elif run and run[-1].ordinal < lead.ordinal <= run[-1].ordinal + gap:
            run.append(lead)
    flush()
    return accepted


def _attach_leads(tree: _Tree, leads: list[Marker], stop: int) -> None:
    """Add accepted 一是 leads to the tree: children of the innermost heading around them.

    Sections nest, so the innermost one around a lead is on the ancestor chain of the last
    heading before it; a lead ends at the next heading, lead or block, within its parent.
    """
    n = len(tree.marks)
    heads = [m.start for m in tree.marks]
    implicit = sorted(tree.implicit)
    starts = sorted([m.boundary for m in tree.marks] + [m.boundary for m in leads]
                    + [s for s, _ in implicit] + [stop])
    for lead in leads:
        host = bisect_right(heads, lead.start) - 1 if n else -1
        host_i: int | None = host if host >= 0 else None
        while host_i is not None and tree.ends[host_i] <= lead.start:
            host_i = tree.parents[host_i]
        k = bisect_right(implicit, (lead.start, len(tree.body) + 1)) - 1
        in_implicit = k >= 0 and implicit[k][0] <= lead.start < implicit[k][1]
        limit = starts[bisect_right(starts, lead.start)]
        if host_i is not None:
            limit = min(limit, tree.ends[host_i])
        tree.marks.append(lead)
        tree.parents.append(host_i)
        tree.levels.append(tree.levels[host_i] + 1 if host_i is not None else (2 if in_implicit else 1))
        tree.ends.append(_trim_end(tree.body, limit, lead.heading_end))


def parse_sections(body: str, doc_id: str) -> list[Section]:
    """Numbered headings and 一是 leads of a report body, as a tree in reading order.

    Args:
        body: the document text, lines joined by "\\n", chrome and title removed.
        doc_id: the document id; section ids are f"{doc_id}-s{k:03d}" in reading order.
    Returns:
        Sections with normalised labels, levels (1 = outermost numbering used), parent ids and
        body offsets; `part` is left "other" for parts.tag_parts to fill in.
    """
    tree, enums, stop = _structure(body)
    leads = _accept_leads(enums, [m.start for m in tree.marks] + [s for s, _ in tree.implicit])
    _attach_leads(tree, leads, stop)
    order = sorted(range(len(tree.marks)), key=lambda i: tree.marks[i].start)
    new_index = {old: k for k, old in enumerate(order)}
    sections: list[Section] = []
    for k, old in enumerate(order):
        m, parent, end = tree.marks[old], tree.parents[old], tree.ends[old]
        nxt = tree.marks[order[k + 1]].boundary if k + 1 < len(order) else end
        own_end = min(max(nxt, m.heading_end), end)
        sections.append(Section(
            id=f"{doc_id}-s{k:03d}",
            parent_id=None if parent is None else f"{doc_id}-s{new_index[parent]:03d}",
            label=m.label, label_raw=m.label_raw, marker=m.family, heading=m.heading,
            level=tree.levels[old], part="other", start=m.start, heading_end=m.heading_end, end=end,
            ordinal=m.ordinal, responsible_units=owner_units(body[m.start:own_end]),
        ))
    return sections
