"""The bare floor: what reading and tokenising the pages costs with no pipeline around it.

A throughput figure means little alone; this gives the pipeline's speed a yardstick measured in
the same run on the same bytes: decode (UTF-8, else GB18030), tokenise the whole decoded page
(rjieba.cut; and jieba.lcut on a sample, since it is ~25× slower), and one regex pass for
numbers. Nothing else: no HTML parsing, no chrome, no sections. The pipeline does far more than
this, so "≥ half the floor" asks that orchestration and our own Python stay cheap next to the
unavoidable work. One-process figures are CPU time; the floor on `workers` cores is that CPU time
divided by the cores (the floor has no coordination, so it parallelises perfectly), and a pool's
wall-clock figure is kept beside it — on a shared machine that one measures the neighbours too.
"""

from __future__ import annotations

import re
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

#: CPU time of this process for one-process figures (robust on a shared machine); wall time for pools.
CLOCK = time.process_time
NUMBER = re.compile(r"\d+(?:\.\d+)?")
_TOKENIZER: Any = None


def decode(data: bytes) -> str:
    """The cheapest honest decode: UTF-8, else GB18030 (the two encodings the corpus uses)."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030", errors="replace")


def _rjieba() -> Any:
    global _TOKENIZER
    if _TOKENIZER is None:
        import rjieba

        _TOKENIZER = rjieba
    return _TOKENIZER


def floor_page(path: str) -> tuple[int, int, int]:
    """(bytes, tokens, numbers) of one page: read + decode + rjieba.cut + regex."""
    data = Path(path).read_bytes()
    text = decode(data)
    tokens = _rjieba().cut(text)
    return len(data), len(tokens), len(NUMBER.findall(text))


def _chunk(paths: list[str]) -> tuple[int, int, int]:
    totals = [0, 0, 0]
    for path in paths:
        for i, v in enumerate(floor_page(path)):
            totals[i] += v
    return totals[0], totals[1], totals[2]


def measure_floor(paths: list[Path], workers: int = 2) -> dict[str, Any]:
    """Floor throughput over `paths`: one process, then `workers` processes (fork, warm before timing)."""
    names = [str(p) for p in paths]
    floor_page(names[0])  # load rjieba's dictionary outside the timing
    start = CLOCK()
    size, tokens, numbers = _chunk(names)
    one = CLOCK() - start
    out: dict[str, Any] = {"pages": len(names), "mb": round(size / 1e6, 2), "tokens": tokens, "numbers": numbers,
                           "rjieba_1proc": _rate(len(names), size, one),
                           "rjieba_2cores_cpu_bound": _rate(len(names), size, one / workers, "cpu_s_per_core")}
    if workers > 1:
        chunks = [names[i::workers * 8] for i in range(workers * 8)]
        with ProcessPoolExecutor(max_workers=workers) as pool:
            list(pool.map(floor_page, names[:workers]))  # warm every worker's dictionary
            start = time.perf_counter()
            list(pool.map(_chunk, chunks))
            out[f"rjieba_{workers}proc_wall"] = _rate(len(names), size, time.perf_counter() - start, "wall_s")
    return out


def measure_jieba(paths: list[Path]) -> dict[str, Any]:
    """jieba.lcut (HMM on, the default) over a sample: decode + lcut + regex, one process."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    size = 0
    start = CLOCK()
    for path in paths:
        data = path.read_bytes()
        text = decode(data)
        jieba.lcut(text)
        NUMBER.findall(text)
        size += len(data)
    return _rate(len(paths), size, CLOCK() - start)


def _rate(pages: int, size: int, seconds: float, what: str = "cpu_s") -> dict[str, float]:
    return {what: round(seconds, 3), "pages_per_s": round(pages / seconds, 1) if seconds else 0.0,
            "mb_per_s": round(size / 1e6 / seconds, 2) if seconds else 0.0}


def measure_trafilatura(paths: list[Path]) -> dict[str, Any]:
    """trafilatura.extract vs our cleaning stage (read_page on the decoded text) on the same HTML pages."""
    import trafilatura

    from govreports.clean.pagetext import read_page

    texts = [decode(p.read_bytes()) for p in paths if p.suffix == ".html"]
    size = sum(len(t.encode("utf-8")) for t in texts)
    trafilatura.extract(texts[0])
    read_page(texts[0], "warm")
    start = CLOCK()
    kept_t = sum(len(trafilatura.extract(t) or "") for t in texts)
    t_traf = CLOCK() - start
    start = CLOCK()
    kept_o = sum(sum(len(line) for line in read_page(t, "bench").lines) for t in texts)
    t_ours = CLOCK() - start
    return {"pages": len(texts), "trafilatura": _rate(len(texts), size, t_traf), "read_page": _rate(len(texts), size, t_ours),
            "speedup": round(t_traf / t_ours, 2) if t_ours else 0.0,
            "chars_kept": {"trafilatura": kept_t, "read_page": kept_o}}
