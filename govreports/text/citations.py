"""Documents a report cites by title (《…》: how often, where first, what kind), and name spans.

Why hand-written: a regex `《(.*?)》` breaks on nested titles (《关于印发〈…办法〉的通知》, or the
《…《…》…》 and <…> forms pages also use), so a small bracket-depth scan finds each outermost title.
The kind comes from the title's last word (rules of the 立法法 naming: …法 is a law, 条例/规定/办法
a regulation; 纲要/规划/方案 plans; 通知/意见 notices), after dropping a trailing (试行)/(2021-2025年).
"""

from __future__ import annotations

import bisect
import functools
import re

from govreports import rules as rulebook
from govreports.models import Citation

_RULES = rulebook.text()["citations"]
#: longest title kept: anything longer is an unclosed 《 running into the text.
MAX_TITLE = int(_RULES["max_title"])
_TRAILING_PAREN = re.compile(_RULES["trailing_paren"])
_KINDS = tuple((kind, tuple(endings)) for kind, endings in _RULES["kinds"].items())
_LAW_ENDING = _RULES["law_ending"]
_NOT_LAW = tuple(_RULES["not_law"])
#: the only characters the title scan acts on.
_BRACKETS = re.compile(r"[《》\n]")
#: short quoted names and slogans (“3熟”, “十七连冠”, “八五”): their numbers count nothing.
_SHORT_QUOTES = re.compile(_RULES["short_quotes"])


def citation_kind(title: str) -> str:
    """law | regulation | plan | notice | other, from the title's final word."""
    core = _TRAILING_PAREN.sub("", title).strip() or title
    for kind, endings in _KINDS:
        if core.endswith(endings):
            return kind
    if core.endswith(_LAW_ENDING) and not core.endswith(_NOT_LAW):
        return "law"
    return "other"


def title_spans(body: str) -> list[tuple[int, int]]:
    """(start, end) of each outermost 《…》 (end after 》), nested 《》 counted by depth."""
    return list(_title_spans(body))


@functools.lru_cache(maxsize=4)
def _title_spans(body: str) -> tuple[tuple[int, int], ...]:
    """The depth scan over only the characters that matter (《, 》, newline), memoised: quantities
    and citations ask for the same body's titles up to three times.

    An open title is dropped at the first ordinary character more than MAX_TITLE past its start;
    that character is found when the next bracket or newline is reached.
    """
    spans, depth, start, prev = [], 0, 0, -1
    for m in _BRACKETS.finditer(body):
        i, ch = m.start(), m.group()
        if depth and max(prev + 1, start + MAX_TITLE + 1) <= i - 1:
            depth = 0  # an ordinary character past the limit came before this one
        if ch == "《":
            if depth == 0:
                start = i
            depth += 1
        elif ch == "》" and depth:
            depth -= 1
            if depth == 0 and i - start - 1 <= MAX_TITLE:
                spans.append((start, i + 1))
        elif ch == "\n" or (depth and i - start > MAX_TITLE):
            depth = 0
        prev = i
    return tuple(spans)


def extract_citations(body: str) -> list[Citation]:
    """Each distinct cited title with its count and first offset, in order of first citation."""
    found: dict[str, Citation] = {}
    for start, end in title_spans(body):
        title = body[start + 1:end - 1].strip()
        if not title:
            continue
        if title in found:
            found[title].count += 1
        else:
            found[title] = Citation(title=title, kind=citation_kind(title), count=1, first_start=start)
    return sorted(found.values(), key=lambda c: c.first_start)


def name_spans(body: str) -> list[tuple[int, int]]:
    """Spans of names — 《titles》 and short “quoted” slogans — merged and sorted for bisecting.

    Numbers inside them are part of a name (《…第八个五年规划(2021-2025年)》, “3熟”), not quantities.
    """
    return list(_name_spans(body))


@functools.lru_cache(maxsize=4)
def _name_spans(body: str) -> tuple[tuple[int, int], ...]:
    """Memoised: scan and extract_quantities ask for the same body's names."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted([m.span() for m in _SHORT_QUOTES.finditer(body)] + list(_title_spans(body))):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


def inside(spans: list[tuple[int, int]], pos: int) -> bool:
    """True when `pos` falls in one of the merged, sorted `spans`."""
    i = bisect.bisect_right(spans, (pos, float("inf"))) - 1
    return i >= 0 and spans[i][0] <= pos < spans[i][1]


def mask(body: str, spans: list[tuple[int, int]], start: int, end: int) -> str:
    """body[start:end] with the `spans` blanked to spaces (a year inside 《》 governs nothing)."""
    chars = list(body[start:end])
    i = max(0, bisect.bisect_right(spans, (start, float("inf"))) - 1)
    while i < len(spans) and spans[i][0] < end:
        a, b = max(spans[i][0], start), min(spans[i][1], end)
        if b > a:
            chars[a - start:b - start] = " " * (b - a)
        i += 1
    return "".join(chars)
