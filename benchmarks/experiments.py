"""Evidence for proposed core changes: faster equivalents, checked for identical output, timed.

Benchmarks may not edit core modules, but they can show what a change would buy. Each experiment
re-implements one hot function the way we propose, asserts that it returns exactly what the core
returns on every sampled document, and times both. Figures only count when outputs match.

1. keywords: tag the body once (not once per top-level section again), memoise the per-token
   filter, count sections by token offsets — vs keywords.extract_keywords.
2. citations.title_spans: visit only 《, 》 and newlines with one regex instead of every character
   in Python — vs citations.title_spans (called three times per document today).
3. chrome._aligned: fold a line with str.translate over a lazily filled table (C speed) instead of
   a Python call per character — vs the cleaning stage (read_page) as it is, whole-page output compared.
4. worker pools: the cost of starting a spawned 2-process pool per 200-page batch (what
   tasks/_worker.parse_many does) vs one pool reused for the whole run.

    python -m benchmarks.experiments [--pages 300]
"""

from __future__ import annotations

import argparse
import bisect
import re
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from govreports import tokenize


def fast_keywords(body: str, sections: list[Any] | None = None, top_k: int = 10) -> list[Any]:
    """keywords.extract_keywords with one tagging pass per document and a memoised token filter."""
    from govreports.keywords import _CJK, _DIGIT, _SKIP_POS, idf_table
    from govreports.models import Keyword

    stops = tokenize.stop_words()
    idf, median = idf_table()
    keep: dict[tuple[str, str], bool] = {}
    starts: list[int] = []
    ends: list[int] = []
    terms: list[str] = []
    pos = 0
    for token, tag in tokenize._rjieba().tag(body, True):
        ok = keep.get((token, tag))
        if ok is None:
            ok = keep[(token, tag)] = (len(token) >= 2 and bool(_CJK.search(token)) and not _DIGIT.search(token)
                                       and token not in stops and not tag.startswith(_SKIP_POS))
        if ok:
            starts.append(pos)
            ends.append(pos + len(token))
            terms.append(token)
        pos += len(token)

    def rank(chosen: list[str], section_id: str | None) -> list[Keyword]:
        counts = Counter(chosen)
        total = sum(counts.values())
        if not total:
            return []
        weights = {t: round(n / total * idf.get(t, median), 6) for t, n in counts.items()}
        ranked = sorted(weights.items(), key=lambda kv: (-kv[1], kv[0]))[:top_k]
        return [Keyword(term=t, weight=w, section_id=section_id, rank=i + 1) for i, (t, w) in enumerate(ranked)]

    out = rank(terms, None)
    for s in sorted((s for s in sections or [] if s.parent_id is None), key=lambda s: (s.start, s.id)):
        i, j = bisect.bisect_left(starts, s.start), bisect.bisect_right(ends, s.end)
        out.extend(rank(terms[i:j], s.id))
    return out


_BRACKETS = re.compile(r"[《》\n]")


def fast_title_spans(body: str) -> list[tuple[int, int]]:
    """citations.title_spans visiting only the characters that matter.

    The core resets an open title at the first ordinary character more than MAX_TITLE past its
    start; here that is detected when the next bracket or newline is reached.
    """
    from govreports.citations import MAX_TITLE

    spans: list[tuple[int, int]] = []
    depth, start, prev = 0, 0, -1
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
    return spans


class _FoldTable(dict):
    """ord → folded char, filled on first use from chrome._fold_char (so it is the same fold)."""

    def __missing__(self, key: int) -> str:
        from govreports.chrome import _fold_char

        value = self[key] = _fold_char(chr(key))
        return value


_FOLD = _FoldTable()


def fast_aligned(line: str) -> tuple[str, str]:
    """chrome._aligned with the per-character fold done by str.translate."""
    from govreports.chrome import chrome_rules

    rules = chrome_rules()
    if len(line) > 4 * rules["max_chrome_len"]:
        text = line.strip()
        return text, text
    mapped = line.translate(_FOLD)
    m = rules["bullet_re"].match(mapped)
    start = m.end() if m else 0
    end = max(start, len(mapped.rstrip()))
    return mapped[start:end], line[start:end]


def compare_clean(paths: list[Path]) -> dict[str, Any]:
    """read_page as it is vs with chrome._aligned replaced by fast_aligned (identical pages required)."""
    from benchmarks.floor import decode
    from govreports import chrome
    from govreports.pagetext import read_page

    texts = [decode(p.read_bytes()) for p in paths if p.suffix == ".html"]
    items = [(t, "bench") for t in texts]
    read_page(*items[0])
    t_core, core = _timed(read_page, items)
    original = chrome._aligned
    chrome._aligned = fast_aligned
    try:
        read_page(*items[0])
        t_fast, fast = _timed(read_page, items)
    finally:
        chrome._aligned = original
    same = all(a.lines == b.lines and a.meta == b.meta and a.removed == b.removed for a, b in zip(core, fast, strict=True))
    return {"pages": len(texts), "identical": same, "core_ms_per_page": round(t_core * 1000 / len(texts), 3),
            "proposed_ms_per_page": round(t_fast * 1000 / len(texts), 3), "speedup": round(t_core / t_fast, 2)}


def _timed(fn: Any, items: list[Any]) -> tuple[float, list[Any]]:
    """CPU seconds (robust on a shared machine) and the outputs."""
    start = time.process_time()
    out = [fn(*item) for item in items]
    return time.process_time() - start, out


def compare_keywords(docs: list[Any]) -> dict[str, Any]:
    from govreports.keywords import extract_keywords

    items = [(d.body, d.sections) for d in docs]
    fast_keywords(*items[0])
    t_core, core = _timed(extract_keywords, items)
    t_fast, fast = _timed(fast_keywords, items)
    return {"documents": len(docs), "identical": core == fast, "core_ms_per_doc": round(t_core * 1000 / len(docs), 2),
            "proposed_ms_per_doc": round(t_fast * 1000 / len(docs), 2), "speedup": round(t_core / t_fast, 2)}


def compare_title_spans(docs: list[Any]) -> dict[str, Any]:
    from govreports.citations import title_spans

    items = [(d.body,) for d in docs]
    t_core, core = _timed(title_spans, items)
    t_fast, fast = _timed(fast_title_spans, items)
    return {"documents": len(docs), "identical": core == fast, "core_ms_per_call": round(t_core * 1000 / len(docs), 3),
            "proposed_ms_per_call": round(t_fast * 1000 / len(docs), 3), "speedup": round(t_core / t_fast, 1),
            "calls_per_document_today": 3}


def _noop(x: int) -> int:
    return x


def _first_parse(path: str) -> int:
    from govreports.parse import parse_page

    return len(parse_page(Path(path).read_bytes(), "x").documents)


def pool_start_cost(paths: list[Path], batches: int = 3) -> dict[str, Any]:
    """Wall time for a fresh spawn pool of 2 to parse its first 2 pages, minus parsing them warm here."""
    from govreports.parse import parse_page

    two = [str(p) for p in paths[:2]]
    parse_page(paths[0].read_bytes(), "warm")
    start = time.perf_counter()
    for p in two:
        parse_page(Path(p).read_bytes(), "x")
    warm = time.perf_counter() - start
    costs = []
    for _ in range(batches):
        start = time.perf_counter()
        with ProcessPoolExecutor(max_workers=2, mp_context=get_context("spawn")) as pool:
            list(pool.map(_first_parse, two))
        costs.append(time.perf_counter() - start - warm / 2)
    per_batch = sorted(costs)[len(costs) // 2]
    return {"pool_start_s_per_batch": round(per_batch, 2), "batch_pages": 200,
            "extra_s_per_10k_pages_serial": round(per_batch * 10_000 / 200, 1),
            "note": "tasks/_worker.parse_many starts a new spawn pool for every parse-batch task"}


def run_all(paths: list[Path]) -> dict[str, Any]:
    from govreports.parse import parse_page

    docs = [d for p in paths for d in parse_page(p.read_bytes(), p.name).documents]
    return {"keywords": compare_keywords(docs), "title_spans": compare_title_spans(docs),
            "clean_fold": compare_clean(paths), "pool": pool_start_cost(paths)}


def main(argv: list[str] | None = None) -> None:
    import json

    from benchmarks.corpus import generate

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=300)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="govreports-exp-") as tmp:
        generate(Path(tmp) / "pages", args.pages, args.seed)
        print(json.dumps(run_all(sorted((Path(tmp) / "pages").iterdir())), indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
