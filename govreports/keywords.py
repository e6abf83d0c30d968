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
import re
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from govreports import tokenize
from govreports.models import Keyword, Section

RULES = Path(__file__).resolve().parent / "rules"
_CJK = re.compile(r"[\u4e00-\u9fff]")
_DIGIT = re.compile(r"[0-9０-９]")


@functools.cache
def idf_table() -> tuple[dict[str, float], float]:
    """jieba.analyse's IDF table and its median, read without importing jieba."""
    spec = importlib.util.find_spec("jieba")
    assert spec and spec.submodule_search_locations, "jieba is a declared dependency"
    path = Path(next(iter(spec.submodule_search_locations))) / "analyse" / "idf.txt"
    idf: dict[str, float] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        word, _, value = line.strip().partition(" ")
        if word and value:
            idf[word] = float(value)
    values = sorted(idf.values())
    return idf, values[len(values) // 2]


#: parts of speech that never make a keyword: place names (宁波市 says where, not what), numerals,
#: measure words, pronouns, prepositions, conjunctions, particles, adverbs, time and direction words.
_SKIP_POS = ("ns", "m", "q", "r", "p", "c", "u", "d", "t", "f", "x", "e", "y", "o")


def candidate_terms(text: str) -> list[str]:
    """Tokens that can be keywords: 2+ characters, some Chinese, no digits, not filler or a place."""
    stops = tokenize.stop_words()
    return [t for t, pos in tokenize.tag(text)
            if len(t) >= 2 and _CJK.search(t) and not _DIGIT.search(t) and t not in stops
            and not pos.startswith(_SKIP_POS)]


def rank_terms(text: str, top_k: int, section_id: str | None = None) -> list[Keyword]:
    """Top-k TF-IDF terms of `text`, ties broken by the term, weights rounded to 6 places."""
    counts = Counter(candidate_terms(text))
    total = sum(counts.values())
    if not total:
        return []
    idf, median = idf_table()
    weights = {t: round(n / total * idf.get(t, median), 6) for t, n in counts.items()}
    ranked = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:top_k]
    return [Keyword(term=t, weight=w, section_id=section_id, rank=i + 1) for i, (t, w) in enumerate(ranked)]


def extract_keywords(body: str, sections: list[Section] | None = None, top_k: int = 10) -> list[Keyword]:
    """Document keywords (section_id None), then those of each top-level section in body order."""
    out = rank_terms(body, top_k)
    for section in sorted((s for s in sections or [] if s.parent_id is None), key=lambda s: (s.start, s.id)):
        out.extend(rank_terms(body[section.start:section.end], top_k, section.id))
    return out


@functools.cache
def _topics() -> dict[str, Any]:
    return yaml.safe_load((RULES / "topics.yaml").read_text(encoding="utf-8"))


def tag_topics(body: str, sections: list[Section] | None = None) -> list[str]:
    """Ids (T1…T10) of the 纲要 chapters the report covers, in chapter order.

    A chapter counts when a heading names it, or when the body uses at least `min_terms` distinct
    words of its vocabulary — one stray mention of 信访 does not make a report about disputes.
    """
    rules = _topics()
    headings = " ".join(s.heading for s in sections or [])
    tagged = []
    for topic in rules["topics"]:
        by_heading = any(cue in headings for cue in topic["heading"])
        distinct = sum(1 for word in topic["keywords"] if str(word) in body)
        if by_heading or distinct >= rules["min_terms"]:
            tagged.append(topic["id"])
    return tagged
