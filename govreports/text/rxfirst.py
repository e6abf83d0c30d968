"""The characters a regex's matches can start with, to let `re` skip the other positions fast.

Why: Python's `re` tries a pattern that opens with an optional group (the quantity grammar's
[PREFIX]) at every position of the text, which costs 6× the matching itself. A leading lookahead
`(?=[first characters])` rejects most positions in one step and changes no match: every match
starts with one of those characters. The set is read from the parsed pattern, so it follows the
rules files; anything the reader does not understand gives None (no lookahead, same result).
"""

from __future__ import annotations

import re
from re import _constants as c  # type: ignore[attr-defined]
from re import _parser  # type: ignore[attr-defined]
from typing import Any

_ZERO_WIDTH = {c.ASSERT, c.ASSERT_NOT, c.AT}
_REPEATS = {c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT}


def first_class(pattern: str) -> str | None:
    """`[...]` holding every first character of a match of `pattern`; None when unknown."""
    try:
        parsed = _parser.parse(pattern)
    except re.error:
        return None
    if parsed.state.flags & (re.IGNORECASE | re.VERBOSE):
        return None
    ranges: list[tuple[int, int]] = []
    if _sequence(list(parsed), ranges) is not False:
        return None  # unknown, or the pattern can match the empty string
    pieces = []
    for lo, hi in sorted(set(ranges)):
        pieces.append(re.escape(chr(lo)) if lo == hi else f"{re.escape(chr(lo))}-{re.escape(chr(hi))}")
    return f"[{''.join(pieces)}]"


def _sequence(items: list[tuple[Any, Any]], out: list[tuple[int, int]]) -> bool | None:
    """Collect first characters of a sequence into `out`; True when it can match empty, None unknown."""
    for op, av in items:
        nullable = _item(op, av, out)
        if nullable is not True:
            return nullable
    return True


def _item(op: Any, av: Any, out: list[tuple[int, int]]) -> bool | None:
    if op is c.LITERAL:
        out.append((av, av))
        return False
    if op is c.IN:
        for kind, value in av:
            if kind is c.LITERAL:
                out.append((value, value))
            elif kind is c.RANGE:
                out.append(value)
            else:
                return None  # negated sets, categories (\d, \w): not worth enumerating
        return False
    if op is c.SUBPATTERN:
        _group, add_flags, _del_flags, sub = av
        return None if add_flags & re.IGNORECASE else _sequence(list(sub), out)
    if op is c.BRANCH:
        nullable = False
        for alternative in av[1]:
            found = _sequence(list(alternative), out)
            if found is None:
                return None
            nullable = nullable or found
        return nullable
    if op in _REPEATS:
        low, _high, sub = av
        found = _sequence(list(sub), out)
        return None if found is None else (found or low == 0)
    if op in _ZERO_WIDTH:
        return True  # look-arounds and anchors only restrict; they consume nothing
    return None
