"""The character classes of Chinese text (rules/text.yaml `classes:`), compiled once for every stage.

Why one module: the sentence and clause ends decide where a quantity's context and an indicator's
keyword window stop, and the CJK ranges decide how bytes are decoded and lines joined; defined
twice, they drift apart. Each class keeps the exact range its users rely on (see text.yaml).
"""

from __future__ import annotations

import re

from govreports import rules as rulebook

_CLASSES = rulebook.text()["classes"]

#: the classes as regex source, for patterns that embed one (a look-behind, a repetition)
SENTENCE_END_CLASS = _CLASSES["sentence_end"]
CLAUSE_END_CLASS = _CLASSES["clause_end"]
CLAUSE_MARK_CLASS = _CLASSES["clause_mark"]
SENTENCE_PUNCT_CLASS = _CLASSES["sentence_punct"]
DIGIT_CLASS = _CLASSES["digit"]
HAN_BASIC_CLASS = _CLASSES["han_basic"]
HAN_EXTENDED_CLASS = _CLASSES["han_extended"]
CJK_TEXT_AND_PUNCT_CLASS = _CLASSES["cjk_text_and_punct"]
CJK_SCRIPT_AND_PUNCT_CLASS = _CLASSES["cjk_script_and_punct"]

SENTENCE_END = re.compile(SENTENCE_END_CLASS)
CLAUSE_END = re.compile(CLAUSE_END_CLASS)
CLAUSE_MARK = re.compile(CLAUSE_MARK_CLASS)
SENTENCE_PUNCT = re.compile(SENTENCE_PUNCT_CLASS)
DIGIT = re.compile(DIGIT_CLASS)
HAN_BASIC = re.compile(HAN_BASIC_CLASS)
#: a string made of basic Han characters only (fullmatch; the empty string is not one)
HAN_BASIC_WORD = re.compile(HAN_BASIC_CLASS + "+")
CJK_TEXT_AND_PUNCT = re.compile(CJK_TEXT_AND_PUNCT_CLASS)
#: a line ending in Han text
ENDS_HAN_EXTENDED = re.compile(HAN_EXTENDED_CLASS + "$")


def last_of(rx: re.Pattern[str]) -> re.Pattern[str]:
    """A pattern whose match ends right after the LAST match of `rx` in a stretch (one backward
    call: `match(text, lo, hi)` instead of a loop over `finditer`)."""
    return re.compile(r"(?s).*" + rx.pattern)


LAST_SENTENCE_END = last_of(SENTENCE_END)
LAST_CLAUSE_END = last_of(CLAUSE_END)
LAST_CLAUSE_MARK = last_of(CLAUSE_MARK)
