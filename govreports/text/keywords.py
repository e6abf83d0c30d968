"""Keywords (TF-IDF) and 纲要-chapter topics of a report.

Keywords are jieba's TF-IDF — term frequency in the text × jieba's own IDF table (the one
`jieba.analyse.extract_tags` uses, read from the installed package, median IDF for unknown terms) —
computed over rjieba tokens with the domain user dictionary, which is the same tokenization about
25× faster. Our own loop rather than `extract_tags` because (1) it keeps rjieba's speed, (2) it
applies the domain stop list (推进, 加强, 工作 … say nothing about a report), and (3) it ranks
deterministically: weight descending, then the term itself, where jieba orders ties by dict
insertion. Topics follow the chapters of the 2021–2025 纲要 (rules/topics.yaml, domain.md §1.3).
"""

from __future__ import annotations

import functools
import importlib.util
from bisect import bisect_left
from collections import Counter
from heapq import nlargest
from itertools import accumulate, compress, repeat
from operator import ge, mul, neg, truediv
from pathlib import Path

from govreports import rules as rulebook
from govreports.models import Keyword, Section
from govreports.text import tokenize
from govreports.text.charclasses import DIGIT, HAN_BASIC


class IdfTable(dict[str, float]):
    """jieba's IDF table held compactly: sorted words per length as numpy fixed-width strings.

    A plain dict of its 270,000 words costs ≈47 MB of Python objects in every parse worker; this
    holds ≈6 MB. The dict itself is only a memo of the words looked up (`table[word]`; an unknown
    word gets the median, as `extract_tags` does), so a lookup costs what a dict lookup costs once
    a word has been seen; the memo is cleared past MEMO_LIMIT, like `_CANDIDATE`.
    """

    MEMO_LIMIT = 200_000

    def __init__(self, words: list[str], values: list[float], median: float | None = None) -> None:
        super().__init__()
        import numpy as np  # pyarrow's dependency: always installed, only needed once a page is ranked

        entries = dict(zip(words, values, strict=True))  # a repeated word: the last line wins
        # grouped and sorted by numpy, not a dict per length and sorted(): 0.25 → 0.22 s for the
        # table in each parse worker; numpy orders fixed-width strings by code point, as Python orders str
        keys = np.array(list(entries), dtype=object)
        scores = np.fromiter(entries.values(), dtype=np.float64, count=len(entries))
        lengths = np.fromiter(map(len, entries), dtype=np.int64, count=len(entries))
        self._store = {}
        for length in np.unique(lengths).tolist():
            chosen = lengths == length
            group = keys[chosen].astype(f"U{length}")
            order = np.argsort(group, kind="stable")
            self._store[length] = (group[order], scores[chosen][order])
        self.median = 0.0 if median is None else median
        if median is None and len(scores):  # the median over the table's (unique) words' values
            self.median = float(np.sort(scores)[len(scores) // 2])

    def __missing__(self, word: str) -> float:
        if len(self) > self.MEMO_LIMIT:
            self.clear()
        value = self.median
        found = self._store.get(len(word))
        if found is not None:
            keys, values = found
            i = int(keys.searchsorted(word))
            if i < len(keys) and keys[i] == word:
                value = float(values[i])
        self[word] = value
        return value


@functools.cache
def idf_table() -> tuple[IdfTable, float]:
    """jieba.analyse's IDF table and its median, read without importing jieba."""
    spec = importlib.util.find_spec("jieba")
    assert spec and spec.submodule_search_locations, "jieba is a declared dependency"
    path = Path(next(iter(spec.submodule_search_locations))) / "analyse" / "idf.txt"
    words: list[str] = []
    values: list[float] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        word, _, value = line.strip().partition(" ")
        if word and value:
            words.append(word)
            values.append(float(value))
    table = IdfTable(words, values)
    return table, table.median


#: parts of speech that never make a keyword: place names (宁波市 says where, not what), numerals,
#: measure words, pronouns, prepositions, conjunctions, particles, adverbs, time and direction words.
_SKIP_POS = ("ns", "m", "q", "r", "p", "c", "u", "d", "t", "f", "x", "e", "y", "o")

#: token → can it be a keyword. rjieba's tag of a token depends on the token alone (its dictionary
#: entry, else a guess from its characters), so the verdict is remembered across documents and the
#: text is only cut, not tagged (tagging costs twice as much). Reset past the limit: HMM keeps
#: finding new words (names), and the cache must not grow without bound in a long-lived worker.
_CANDIDATE: dict[str, bool] = {}
_CANDIDATE_LIMIT = 200_000
#: characters never inside a jieba block (blocks are runs of 汉字/ASCII letters, digits, +#&._%-).
#: A section bounded by them cuts into the same tokens alone as inside the body.
_BREAKS = frozenset(" \t\r\n\u3000。，、；：！？")


def _is_candidate(token: str, pos: str, stops: frozenset[str]) -> bool:
    """2+ characters, some Chinese, no digits, not filler, not a skipped part of speech."""
    return (len(token) >= 2 and bool(HAN_BASIC.search(token)) and not DIGIT.search(token)
            and token not in stops and not pos.startswith(_SKIP_POS))


def _learn(text: str, tokens: list[str]) -> None:
    """Decide for every token of `text` (cut into `tokens`) not yet in _CANDIDATE."""
    new = set(tokens).difference(_CANDIDATE)
    if not new:
        return
    stops = tokenize.stop_words()
    in_context: dict[str, str] | None = None
    for token in new:
        if not _is_candidate(token, "", stops):  # fails whatever its part of speech
            _CANDIDATE[token] = False
            continue
        alone = tokenize.tag(token)
        if len(alone) == 1 and alone[0][0] == token:
            pos = alone[0][1]
        else:  # cut alone it splits (an HMM word): read its tag in the text, where it was found
            if in_context is None:
                in_context = dict(tokenize.tag(text))
            pos = in_context[token]
        _CANDIDATE[token] = _is_candidate(token, pos, stops)


def _tokens(text: str, may_reset: bool = True) -> list[str]:
    """rjieba tokens of `text`, every one of them decided in _CANDIDATE."""
    if may_reset and len(_CANDIDATE) > _CANDIDATE_LIMIT:
        _CANDIDATE.clear()
    tokens = tokenize.cut(text)
    _learn(text, tokens)
    return tokens


def candidate_terms(text: str, may_reset: bool = True) -> list[str]:
    """Tokens that can be keywords: 2+ characters, some Chinese, no digits, not filler or a place."""
    return list(filter(_CANDIDATE.__getitem__, _tokens(text, may_reset)))


def _rank(terms: list[str], top_k: int, section_id: str | None) -> list[Keyword]:
    """Top-k of candidate `terms` by TF-IDF, weights rounded to 6 places, ties broken by the term.

    Maps of C functions rather than a Python loop per term. round() is monotonic, so no term whose
    raw weight is over 1e-6 below the k-th largest can round up to the k-th rounded weight: only
    the few others need rounding (round is the dearest step) and ordering.
    """
    if not terms:
        return []
    counts = Counter(terms)
    words = list(counts)
    idf, _ = idf_table()
    tf = map(truediv, counts.values(), repeat(len(terms)))
    raw = list(map(mul, tf, map(idf.__getitem__, words)))
    if 0 < top_k < len(raw):
        floor = round(nlargest(top_k, raw)[-1], 6) - 1e-6
        near = list(map(ge, raw, repeat(floor)))
        raw, words = list(compress(raw, near)), list(compress(words, near))
    weights = map(round, raw, repeat(6))
    ranked = sorted(zip(map(neg, weights), words, strict=True))[:top_k]  # weight descending, then the term
    return [Keyword(term=t, weight=-w, section_id=section_id, rank=i + 1) for i, (w, t) in enumerate(ranked)]


def rank_terms(text: str, top_k: int, section_id: str | None = None) -> list[Keyword]:
    """Top-k TF-IDF terms of `text`, ties broken by the term, weights rounded to 6 places."""
    return _rank(candidate_terms(text), top_k, section_id)


def _aligned(body: str, offset: int) -> bool:
    return offset <= 0 or offset >= len(body) or body[offset - 1] in _BREAKS or body[offset] in _BREAKS


def extract_keywords(body: str, sections: list[Section] | None = None, top_k: int = 10) -> list[Keyword]:
    """Document keywords (section_id None), then those of each top-level section in body order.

    The body is cut once; a section whose both ends fall between jieba blocks takes its slice of the
    body's tokens (the same tokens as cutting it alone), any other section is cut alone.
    """
    tokens = _tokens(body)
    flags = list(map(_CANDIDATE.__getitem__, tokens))
    terms = list(compress(tokens, flags))
    out = _rank(terms, top_k, None)
    tops = sorted((s for s in sections or [] if s.parent_id is None), key=lambda s: (s.start, s.id))
    starts = list(compress(accumulate(map(len, tokens), initial=0), flags)) if tops else []
    for section in tops:
        if _aligned(body, section.start) and _aligned(body, section.end):
            part = terms[bisect_left(starts, section.start):bisect_left(starts, section.end)]
        else:
            part = candidate_terms(body[section.start:section.end], may_reset=False)
        out.extend(_rank(part, top_k, section.id))
    return out


@functools.cache
def _topics() -> tuple[int, tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]]:
    """min_terms and (short name, heading cues, keywords) per chapter of rules/topics.yaml, read once."""
    rules = rulebook.topics()
    return rules["min_terms"], tuple((t["short"], tuple(t["heading"]), tuple(str(w) for w in t["keywords"]))
                                     for t in rules["topics"])


def _uses(body: str, words: tuple[str, ...], least: int) -> bool:
    """Whether `body` contains at least `least` of `words`; stops searching once it does."""
    if least <= 0:
        return True
    for word in words:
        if word in body:
            least -= 1
            if not least:
                return True
    return False


def tag_topics(body: str, sections: list[Section] | None = None) -> list[str]:
    """Short names (行政执法, 矛盾纠纷化解 …) of the 纲要 chapters the report covers, in chapter order.

    A chapter counts when a heading names it, or when the body uses at least `min_terms` distinct
    words of its vocabulary — one stray mention of 信访 does not make a report about disputes.
    """
    min_terms, topics = _topics()
    headings = " ".join(s.heading for s in sections or [])
    return [tid for tid, cues, words in topics
            if any(cue in headings for cue in cues) or _uses(body, words, min_terms)]
