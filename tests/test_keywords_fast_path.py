"""The fast keyword path (cut once, cached verdicts, section slices) ranks what tagging each text would."""

from __future__ import annotations

from collections import Counter
from itertools import pairwise
from pathlib import Path

import pytest

from govreports.models import Keyword, Section
from govreports.text import keywords, tokenize
from govreports.text.keywords import candidate_terms, extract_keywords, rank_terms

ROOT = Path(__file__).resolve().parents[1]
SEED_001 = (ROOT / "samples" / "inbox" / "001_331dc99bfb8332c5.txt").read_text(encoding="utf-8")


def _tagged_terms(text: str) -> list[str]:
    """The definition: tag `text`, keep tokens that pass the filter with their own part of speech."""
    stops = tokenize.stop_words()
    return [t for t, pos in tokenize.tag(text) if keywords._is_candidate(t, pos, stops)]


def _tagged_rank(text: str, top_k: int, section_id: str | None = None) -> list[Keyword]:
    counts = Counter(_tagged_terms(text))
    total = sum(counts.values())
    idf, median = keywords.idf_table()
    weights = {t: round(n / total * idf.get(t, median), 6) for t, n in counts.items()}
    ranked = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:top_k] if total else []
    return [Keyword(term=t, weight=w, section_id=section_id, rank=i + 1) for i, (t, w) in enumerate(ranked)]


def _top(sid: str, start: int, end: int) -> Section:
    return Section(id=sid, parent_id=None, label="一、", label_raw="一、", marker="cn", heading="", level=1,
                   part="measures_results", start=start, heading_end=start, end=end)


@pytest.fixture(autouse=True)
def _cold_cache():
    keywords._CANDIDATE.clear()
    yield
    keywords._CANDIDATE.clear()


def test_candidates_match_tagging_cold_and_warm():
    assert candidate_terms(SEED_001) == _tagged_terms(SEED_001)
    assert candidate_terms(SEED_001) == _tagged_terms(SEED_001)


def test_a_word_that_splits_when_cut_alone_keeps_its_tag_in_context():
    text = "各校开好家长会,开足开齐课程。"
    assert any(len(tokenize.cut(t)) > 1 for t, _ in tokenize.tag(text) if len(t) > 1)  # 开好 / 开足
    assert candidate_terms(text) == _tagged_terms(text)


@pytest.mark.parametrize("top_k", [0, 1, 3, 10, 1000])
def test_rank_matches_tagging(top_k: int):
    assert rank_terms(SEED_001, top_k) == _tagged_rank(SEED_001, top_k)


def test_sections_sliced_or_cut_alone_rank_as_their_own_text():
    """Bounds at a line break take the body's tokens; bounds inside a word fall back to cutting alone."""
    lines = [i + 1 for i, ch in enumerate(SEED_001) if ch == "\n"]
    cuts = [0, lines[len(lines) // 3], lines[2 * len(lines) // 3] + 3, len(SEED_001)]  # the +3 lands mid-line
    assert keywords._aligned(SEED_001, cuts[1]) and not keywords._aligned(SEED_001, cuts[2])
    sections = [_top(f"s{i}", a, b) for i, (a, b) in enumerate(pairwise(cuts))]
    expected = _tagged_rank(SEED_001, 10)
    for s in sections:
        expected += _tagged_rank(SEED_001[s.start:s.end], 10, s.id)
    assert extract_keywords(SEED_001, sections) == expected


def test_the_cache_resets_past_its_limit(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(keywords, "_CANDIDATE_LIMIT", 10)
    first = extract_keywords(SEED_001)
    assert len(keywords._CANDIDATE) > 10
    assert extract_keywords(SEED_001) == first == _tagged_rank(SEED_001, 10)
    assert len(keywords._CANDIDATE) < 2 * len(set(tokenize.cut(SEED_001)))
