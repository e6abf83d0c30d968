"""Evidence for proposed changes: what a candidate would buy, measured before it is adopted.

Proposals that were adopted leave this module: the faster keywords, title scan and line fold
now live in the core (their identical output is checked by benchmarks/equivalence.py over every
sampled page, and their old forms by tests). What stays is the one measurement that still
informs a design choice: the cost of starting a spawned pool of 2 workers, which is why
govreports/io/parse_pool.py keeps one pool for the whole run instead of one per batch.

    python -m benchmarks.experiments [--pages 300]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any


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
            "note": "what one spawn pool per parse batch would add; io/parse_pool reuses one pool per run"}


def run_all(paths: list[Path]) -> dict[str, Any]:
    return {"pool": pool_start_cost(paths)}


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
