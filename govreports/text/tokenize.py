"""The one configured Chinese tokenizer of the core (rjieba, with the domain user dictionary).

rjieba (jieba-rs) gives the same tokens as jieba's HMM mode about 25× faster and keeps no disk
cache, so the hot paths (quantity boundaries, subjects, keyword counts) use it; `jieba` itself is
only configured here for callers that need `jieba.analyse` (its cache goes to a private
`govreports-jieba` folder under the system temp dir, its logging is silenced, paddle is never
enabled). Both get the same user dictionary (rules/userdict.txt) and stop words (rules/stopwords.txt).
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from govreports import rules as rulebook
from govreports.rules.types import UserWord
from govreports.text.charclasses import HAN_BASIC_WORD


def user_words() -> tuple[UserWord, ...]:
    """(word, freq, tag) triples of rules/userdict.txt (jieba's `word [freq] [tag]` format)."""
    return rulebook.userdict()


def stop_words() -> frozenset[str]:
    """Generic report filler that says nothing about a report's content (推进, 加强, 工作 …)."""
    return rulebook.stopwords()


@functools.cache
def _rjieba() -> Any:
    """rjieba's own instance with the user dictionary added, imported on first use.

    `import rjieba` builds a dictionary instance (≈33 MB) whatever we do, and a private
    `rjieba.Jieba()` would hold a second copy (≈24 MB more in every parse worker): the project's
    processes use rjieba through this module alone, so the package's instance is ours. The import
    waits for the first cut, so a process that never tokenizes (the flow's, when workers parse)
    never holds the dictionary (tests/test_tokenize.py checks the tokens are a fresh instance's).
    """
    import rjieba

    seg = rjieba._DEFAULT_JIEBA
    for word, freq, tag in user_words():
        seg.add_word(word, freq, tag or "n")
    return seg


@functools.cache
def jieba_module() -> Any:
    """jieba, initialised once: cache in <tmp>/govreports-jieba, quiet, user dictionary loaded."""
    import jieba  # imported lazily: 0.3 s, and only keyword tooling needs it

    jieba.setLogLevel(logging.WARNING)
    # jieba writes its own dictionary cache (to the system temp dir); ours has a name of its own so
    # it never meets another program's jieba.cache
    jieba.dt.cache_file = "govreports-jieba.cache"
    jieba.initialize()
    for word, freq, tag in user_words():
        jieba.add_word(word, freq, tag)
    return jieba


def cut(text: str) -> list[str]:
    """Tokens of `text` (HMM on), user dictionary applied."""
    return _rjieba().cut(text, True)


def tag(text: str) -> list[tuple[str, str]]:
    """(token, part-of-speech) pairs, jieba's ICTCLAS-style tags (n, v, vn, m, q …)."""
    return [(w, t) for w, t in _rjieba().tag(text, True)]


def spans(text: str) -> list[tuple[int, int]]:
    """[start, end) offsets of the tokens of `text`."""
    out, pos = [], 0
    for token in cut(text):
        out.append((pos, pos + len(token)))
        pos += len(token)
    return out


def _is_cjk_word(token: str) -> bool:
    return HAN_BASIC_WORD.fullmatch(token) is not None


_PHRASE_TAGS = ("n", "vn", "j", "l", "an", "nz", "eng")
_NAME_TAGS = ("ns", "nt")  # places and organisations: where, not what is counted (nr is unreliable)
_SUFFIX_NOUNS = frozenset("率数量额费")  # 纠错+率, 压减+率: a verb may qualify these (jieba tags 率 v)


def _nominal(pos: str) -> bool:
    return (pos.startswith(_PHRASE_TAGS) or pos == "") and not pos.startswith(_NAME_TAGS)


def _extend(picked: list[str], token: str, max_chars: int) -> bool:
    """Add `token` to a phrase being built unless it would grow past `max_chars` characters;
    True when the phrase is complete (too long for the token, or three tokens long)."""
    if picked and len(token) + sum(map(len, picked)) > max_chars:
        return True
    picked.append(token)
    return len(picked) == 3


def noun_phrase_before(text: str, stops: frozenset[str], max_chars: int = 8) -> tuple[str | None, bool]:
    """The short noun phrase ending `text` (持证人员 in '全局现有行政执法证持证人员').

    Walks back over tokens: earlier tokens must be nominal (a verb may qualify 率/数/额), scope and
    time words (`stops`), names, numbers and function words end the phrase. Returns the phrase and
    whether it is a bare verb (宣讲 in '宣讲十多场'): callers then prefer what follows the number.
    """
    picked: list[str] = []
    verb_only = False
    for token, pos in reversed(tag(text)):
        if not _is_cjk_word(token) or token in stops:
            break
        if not picked:
            if not (_nominal(pos) or pos.startswith("v")):
                break
            verb_only = not _nominal(pos) and token not in _SUFFIX_NOUNS
        elif verb_only or not (_nominal(pos) or (picked == [picked[-1]] and picked[-1] in _SUFFIX_NOUNS
                                                 and pos.startswith("v"))):
            break
        if _extend(picked, token, max_chars):
            break
    return ("".join(reversed(picked)) or None), verb_only


def noun_phrase_after(text: str, stops: frozenset[str], max_chars: int = 8) -> str | None:
    """The short noun phrase starting `text` (全体会 in '全体会、6次专题会'); leading names skipped."""
    picked: list[str] = []
    for token, pos in tag(text):
        if not picked and pos.startswith(_NAME_TAGS) and _is_cjk_word(token):
            continue
        if not _is_cjk_word(token) or token in stops or not _nominal(pos):
            break
        if _extend(picked, token, max_chars):
            break
    return "".join(picked) or None
