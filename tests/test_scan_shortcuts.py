"""The speed shortcuts of the scanners give what the plain algorithms give (they are only faster)."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from govreports.quantities.grammar import grammar
from govreports.text import citations, rxfirst


def _walk_titles(body: str) -> list[tuple[int, int]]:
    """The character-by-character depth walk the regex scan replaced (the oracle)."""
    spans, depth, start = [], 0, 0
    for i, ch in enumerate(body):
        if ch == "《":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "》" and depth:
            depth -= 1
            if depth == 0 and i - start - 1 <= citations.MAX_TITLE:
                spans.append((start, i + 1))
        elif ch == "\n" or (depth and i - start > citations.MAX_TITLE):
            depth = 0
    return spans


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["《", "》", "\n", "“", "”", "法", "x" * 40, "x" * 90]), max_size=30))
def test_title_scan_matches_the_depth_walk(pieces: list[str]) -> None:
    body = "".join(pieces)
    assert citations.title_spans(body) == _walk_titles(body)


def test_first_class_reads_the_possible_first_characters() -> None:
    assert rxfirst.first_class(r"(?<!x)近|上(?=[百])") == "[上近]"
    assert rxfirst.first_class(r"x{0,3}y") == "[xy]"
    for unknown in (r"a?", r"ab|", r"\d+", r"(?i)a", r"[^a]b"):
        assert rxfirst.first_class(unknown) is None  # no shortcut rather than a wrong one


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="不超过近约上余多几个人次件项家万千百十一二三0123456789xX*%《》“”,。 ", max_size=60))
def test_grammar_lookahead_changes_no_match(text: str) -> None:
    fast = grammar().pattern
    assert fast.pattern.startswith("(?=[")
    plain = re.compile(fast.pattern[fast.pattern.index("])") + 2:])  # without its leading (?=[...])
    pos_fast = [m.span() for m in _all(fast, text)]
    assert pos_fast == [m.span() for m in _all(plain, text)]


def _all(rx: re.Pattern[str], text: str) -> list[re.Match[str]]:
    out, pos = [], 0
    while (m := rx.search(text, pos)) is not None:
        out.append(m)
        pos = m.start() + 1
    return out
