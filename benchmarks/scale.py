"""Scale figures: nightly from empty, then a full 10-year backfill, at several N, beside the floor.

    python -m benchmarks.scale --pages 10000 50000 [--corpus DIR] [--ephemeral] [--one-year] [--out benchmarks/out]

For each N (a prefix of one generated corpus, so larger runs hold the smaller ones' pages) a fresh
data dir gets the N pages in its inbox; `govreports run` (cold) and then `govreports backfill
2015 2024` (a full rebuild, parse cache refreshed as new code would) run against one running
Prefect server (the deployed shape; `--ephemeral` adds a cold run with the temporary server).
Each is measured like benchmarks.run does (wall, CPU of the tree, peak tree RSS/PSS by process
kind, flow time); the floor (decode + rjieba.cut + a number regex, benchmarks/floor.py) is
measured on the same N pages in the same run. Ratios: pipeline CPU ÷ floor CPU, time and memory
of the largest N ÷ the smallest (linear time means ≤ N ratio × 1.06; flat memory ≤ 1.10).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import e2e
from benchmarks.corpus import generate
from benchmarks.floor import measure_floor
from benchmarks.run import YEARS, bytecode_cache, machine

ROOT = Path(__file__).resolve().parents[1]
KEEP = ("wall_s", "cpu_s", "flow_s", "peak_rss_mb", "peak_pss_mb", "peak_parts_mb", "cpu_parts_s", "task_s",
        "new_releases", "returncode", "stderr_tail")


def _brief(run: dict[str, Any]) -> dict[str, Any]:
    return {k: run[k] for k in KEEP if k in run}


def measure_n(pages: list[Path], work: Path, server: e2e.PrefectServer, ephemeral: bool,
              one_year: bool = False) -> dict[str, Any]:
    """Floor, cold nightly (server), optionally a one-year backfill, the full backfill (server),
    optionally a cold ephemeral nightly."""
    n = len(pages)
    out: dict[str, Any] = {"pages": n, "mb": round(sum(p.stat().st_size for p in pages) / 1e6, 1)}
    print(f"[scale {n}] floor …", flush=True)
    floor = measure_floor(pages)
    out["floor_cpu_s"] = floor["rjieba_1proc"]["cpu_s"]
    data = work / f"data-{n}"
    e2e.fill_inbox(pages, data)
    print(f"[scale {n}] cold nightly (running server) …", flush=True)
    out["nightly"] = _brief(e2e.run_cli(["run"], data, api_url=server.api_url, server_home=server.home, pages=n))
    if one_year:
        year = YEARS[len(YEARS) // 2]
        print(f"[scale {n}] backfill {year} …", flush=True)
        out["backfill_one_year"] = _brief(e2e.run_cli(["backfill", str(year)], data, api_url=server.api_url,
                                                      server_home=server.home, flow_name="backfill",
                                                      refresh_cache=True))
    print(f"[scale {n}] full backfill {YEARS[0]}-{YEARS[-1]} …", flush=True)
    out["backfill"] = _brief(e2e.run_cli(["backfill", str(YEARS[0]), str(YEARS[-1])], data, api_url=server.api_url,
                                         server_home=server.home, flow_name="backfill", refresh_cache=True))
    shutil.rmtree(data, ignore_errors=True)
    if ephemeral:
        fresh = work / f"data-{n}-ephemeral"
        e2e.fill_inbox(pages, fresh)
        print(f"[scale {n}] cold nightly (ephemeral server) …", flush=True)
        from govreports_cli.prefect_db_template import template_path

        template = template_path()  # the first temporary server on a machine migrates its database
        cached = bool(template and template.is_file())
        out["nightly_ephemeral"] = _brief(e2e.run_cli(["run"], fresh, pages=n))
        out["nightly_ephemeral"]["prefect_db_template_cached"] = cached
        shutil.rmtree(fresh, ignore_errors=True)
    for run in ("nightly", "backfill", "backfill_one_year", "nightly_ephemeral"):
        if run in out and out[run].get("cpu_s"):
            out[run]["cpu_vs_floor"] = round(out[run]["cpu_s"] / out["floor_cpu_s"], 2)
    out["backfill_peak_vs_nightly"] = round(out["backfill"]["peak_rss_mb"] / out["nightly"]["peak_rss_mb"], 3)
    if one_year and out["backfill_one_year"].get("flow_s") and out["backfill"].get("flow_s"):
        out["one_year_vs_full_flow"] = round(out["backfill_one_year"]["flow_s"] / out["backfill"]["flow_s"], 3)
    return out


def ratios(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Largest N against smallest: time should grow like N, memory not at all."""
    small, large = runs[0], runs[-1]
    out: dict[str, Any] = {"n_ratio": round(large["pages"] / small["pages"], 2)}
    for run in ("nightly", "backfill"):
        for what in ("wall_s", "cpu_s", "flow_s", "peak_rss_mb", "peak_pss_mb"):
            a, b = small[run].get(what), large[run].get(what)
            if a and b:
                out[f"{run}.{what}"] = round(b / a, 3)
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, nargs="+", default=[10_000, 50_000])
    ap.add_argument("--corpus", type=Path, help="an existing benchmarks.corpus pages dir (else generated)")
    ap.add_argument("--ephemeral", action="store_true", help="also a cold nightly with Prefect's temporary server")
    ap.add_argument("--one-year", action="store_true", help="also a one-year backfill before the full one")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    args = ap.parse_args(argv)
    started = time.strftime("%Y%m%dT%H%M%S")
    results: dict[str, Any] = {"started": started, "machine": machine(), "config": {"pages": args.pages}}
    results["bytecode"] = bytecode_cache()
    work = Path(tempfile.mkdtemp(prefix="govreports-scale-"))
    try:
        corpus = args.corpus
        if corpus is None:
            corpus = work / "corpus" / "pages"
            generate(corpus, max(args.pages), args.seed)
        every_page = sorted(p for p in corpus.iterdir() if p.is_file())
        with e2e.PrefectServer(work / "prefect-server") as server:
            runs = [measure_n(every_page[:n], work, server, args.ephemeral, args.one_year) for n in sorted(args.pages)]
        results["runs"] = runs
        if len(runs) > 1:
            results["ratios"] = ratios(runs)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"scale-{started}.json"
    path.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    print(json.dumps({k: results[k] for k in ("runs", "ratios") if k in results}, ensure_ascii=False, indent=1))
    print(f"\nwritten: {path}")
    return results


if __name__ == "__main__":
    main()
