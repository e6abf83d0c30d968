"""One command for every speed and memory figure, with correctness measured alongside.

    python -m benchmarks.run [--pages N] [--out benchmarks/out] [--skip-e2e] [--mem-scale half|double]

Order matters on a 2-core machine: the in-process measurements (floor, trafilatura, stages) run
first and alone, then the end-to-end runs, one at a time, so no figure is taken while another
measurement competes for the cores. The machine's load average is recorded before and after,
because on a shared box a busy neighbour changes every figure (README: "Reading the figures").
Writes benchmarks/out/results-<timestamp>.json and copies it to benchmarks/results/latest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from benchmarks import e2e, report
from benchmarks.accuracy import load_truth, score_curated, score_results
from benchmarks.corpus import generate
from benchmarks.experiments import run_all as run_experiments
from benchmarks.floor import measure_floor, measure_jieba, measure_trafilatura
from benchmarks.stages import measure_stages

ROOT = Path(__file__).resolve().parents[1]
LATEST = ROOT / "benchmarks" / "results" / "latest.json"
PYCACHE = Path(tempfile.gettempdir()) / "govreports-bench-pycache"
YEARS = list(range(2015, 2025))  # the corpus's report years (corpus.generate: 2015 + n % 10, 2nd reports too)


def every(paths: list[Path], k: int) -> list[Path]:
    """`k` pages spread evenly over `paths` (every template, year and encoding gets its share)."""
    if k >= len(paths):
        return list(paths)
    step = len(paths) / k
    return [paths[int(i * step)] for i in range(k)]


def corpus_stats(paths: list[Path], truth: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """What the measured pages hold, so a reader can judge how realistic the load is."""
    pages = [truth[p.name] for p in paths]
    docs = [d for p in pages for d in p["documents"]]
    size = sum(p.stat().st_size for p in paths)
    return {"pages": len(pages), "mb": round(size / 1e6, 1), "kb_per_page": round(size / 1e3 / len(pages), 1),
            "templates": dict(Counter(p["template"] for p in pages)),
            "gbk_share": round(sum(p["encoding"] != "utf-8" for p in pages) / len(pages), 3),
            "multi_report_pages": sum(len(p["documents"]) > 1 for p in pages), "documents": len(docs),
            "headings_per_doc": round(sum(len(d["headings"]) for d in docs) / len(docs), 1),
            "quantities_per_doc": round(sum(len(d["quantities"]) for d in docs) / len(docs), 1),
            "report_years": sorted({d["report_year"] for d in docs})}


def run_e2e(paths: list[Path], mem_paths: list[Path], truth: dict[str, Any], work: Path,
            size_mb: float, mem_mb: float, scope: str = "all") -> dict[str, Any]:
    """Nightly (cold), nightly again (nothing new; ephemeral, then with a server), backfills, memory.

    scope "cold" runs only the cold nightly and the memory comparison (the long-running figures).
    """
    out: dict[str, Any] = {}
    main = work / f"e2e-{len(paths)}"
    e2e.fill_inbox(paths, main)
    print(f"[e2e] nightly on {len(paths)} pages (ephemeral Prefect) …", flush=True)
    out["nightly_cold"] = e2e.run_cli(["run"], main, pages=len(paths), size_mb=size_mb)
    out["versions_after_cold"] = e2e.versions_output(main)
    try:
        out["accuracy_published"] = score_curated(truth, main)
    except Exception as exc:  # the read-back path is still being built by others: say so, go on
        out["accuracy_published"] = {"error": f"{type(exc).__name__}: {exc}"}
    if scope == "all":
        _quiet_and_backfills(main, work, out, paths)
    mem_dir = work / f"e2e-{len(mem_paths)}"
    e2e.fill_inbox(mem_paths, mem_dir)
    print(f"[e2e] nightly on {len(mem_paths)} pages (memory comparison) …", flush=True)
    out["nightly_cold_mem"] = e2e.run_cli(["run"], mem_dir, pages=len(mem_paths), size_mb=mem_mb)
    shutil.rmtree(mem_dir, ignore_errors=True)
    return out


def _quiet_and_backfills(main: Path, work: Path, out: dict[str, Any], paths: list[Path]) -> None:
    """Nightly with nothing new (ephemeral, then twice with a running server), the backfills, and a
    cold nightly of the same pages into a fresh data dir against the running server."""
    print("[e2e] nightly with nothing new (ephemeral) …", flush=True)
    out["nightly_nothing_new_ephemeral"] = e2e.run_cli(["run"], main)
    with e2e.PrefectServer(work / "prefect-server") as server:
        out["server_startup_s"] = server.startup_s
        for key in ("nightly_nothing_new_server_first", "nightly_nothing_new_server"):
            print(f"[e2e] {key} …", flush=True)
            out[key] = e2e.run_cli(["run"], main, api_url=server.api_url, server_home=server.home)
        out["versions_after_nothing_new"] = e2e.versions_output(main)
        # a backfill re-parses with *new* code in real life, so the parse cache must not serve it
        year = YEARS[len(YEARS) // 2]
        print(f"[e2e] backfill {year} …", flush=True)
        out["backfill_one_year"] = e2e.run_cli(["backfill", str(year), "--list"], main, api_url=server.api_url,
                                               server_home=server.home, flow_name="backfill", refresh_cache=True)
        print(f"[e2e] backfill {YEARS[0]}-{YEARS[-1]} (full rebuild) …", flush=True)
        out["backfill_all_years"] = e2e.run_cli(["backfill", str(YEARS[0]), str(YEARS[-1])], main,
                                                api_url=server.api_url, server_home=server.home,
                                                flow_name="backfill", refresh_cache=True)
        # the deployed shape: a cold nightly whose Prefect server runs elsewhere (not in the tree)
        fresh = work / "e2e-server-cold"
        e2e.fill_inbox(paths, fresh)
        print("[e2e] cold nightly against the running server …", flush=True)
        out["nightly_cold_server"] = e2e.run_cli(["run"], fresh, api_url=server.api_url, server_home=server.home,
                                                 pages=len(paths))
        shutil.rmtree(fresh, ignore_errors=True)


def bytecode_cache() -> dict[str, Any]:
    """Measure as a normal install runs: with cached bytecode.

    This sandbox sets PYTHONDONTWRITEBYTECODE=1 and its venv ships almost no .pyc files, so every
    process would compile prefect, pandas and GX from source (≈2× their import time). Rather than
    write into the shared venv, the runner and every process it starts cache bytecode under a
    private PYTHONPYCACHEPREFIX, warmed once by importing what the pipeline imports.
    """
    before = os.environ.get("PYTHONDONTWRITEBYTECODE")
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    sys.dont_write_bytecode = False
    sys.pycache_prefix = str(PYCACHE)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import prefect, great_expectations, pandas, deltalake, trafilatura, jieba, "
                    "govreports.parse, govreports.tables.validate, govreports.report.build, flows.nightly, flows.backfill, "
                    "govreports_cli.run_cmd, govreports_cli.data_cmd, prefect.server.api.server"],
                   check=False, cwd=str(ROOT), capture_output=True)
    return {"PYTHONDONTWRITEBYTECODE_was": before, "pycache_prefix": str(PYCACHE),
            "warm_up_s": round(time.perf_counter() - start, 1)}


def machine() -> dict[str, Any]:
    """nproc, CPU model and RAM, as the README's figures must say where they came from."""
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), "unknown")
    mem = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), 0)
    rev = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    return {"revision": rev, "nproc": os.cpu_count(), "cpu": cpu, "ram_gib": round(mem / 1024 / 1024, 1),
            "loadavg_start": [round(x, 2) for x in os.getloadavg()]}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=10_000, help="pages for the end-to-end run (N)")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out")
    ap.add_argument("--skip-e2e", action="store_true", help="in-process figures only (no govreports run)")
    ap.add_argument("--e2e-scope", choices=["all", "cold"], default="all",
                    help="cold: only the cold nightly on N pages and the memory comparison run")
    ap.add_argument("--mem-scale", choices=["half", "double"], default="half",
                    help="memory flatness: compare N with N/2 (default) or with 2N")
    ap.add_argument("--stage-pages", type=int, default=1000, help="pages timed per stage in-process")
    ap.add_argument("--sample-pages", type=int, default=300, help="pages for jieba.lcut and trafilatura")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--skip-experiments", action="store_true", help="skip the proposed-change experiments")
    ap.add_argument("--batch-concurrency", type=int, default=4,
                    help="cap concurrent parse-batch tasks (PREFECT_TASK_RUNNER_THREAD_POOL_MAX_WORKERS); "
                         "0 = as shipped, unbounded: every batch starts its own 2-process pool at once")
    ap.add_argument("--keep", action="store_true", help="keep the work dir (corpus, data dirs) for inspection")
    ap.add_argument("--no-latest", action="store_true", help="do not update benchmarks/results/latest.json")
    args = ap.parse_args(argv)
    started = time.strftime("%Y%m%dT%H%M%S")
    results: dict[str, Any] = {"started": started, "machine": machine(), "config": vars(args) | {"out": str(args.out)}}
    e2e.BATCH_CONCURRENCY = args.batch_concurrency or None
    results["bytecode"] = bytecode_cache()
    work = Path(tempfile.mkdtemp(prefix="govreports-bench-"))
    try:
        total = args.pages * 2 if args.mem_scale == "double" and not args.skip_e2e else args.pages
        print(f"[corpus] generating {total} pages (seed {args.seed}) …", flush=True)
        generate(work / "corpus" / "pages", total, args.seed)
        truth = load_truth(work / "corpus" / "pages.truth.jsonl")
        every_page = sorted((work / "corpus" / "pages").iterdir())
        paths = every_page[:args.pages]
        results["corpus"] = corpus_stats(paths, truth)
        print("[floor] decode + rjieba.cut + number regex …", flush=True)
        results["floor"] = measure_floor(paths)
        results["floor"]["jieba_1proc"] = measure_jieba(every(paths, args.sample_pages))
        print("[clean] trafilatura.extract vs read_page …", flush=True)
        results["trafilatura"] = measure_trafilatura(every(paths, args.sample_pages))
        print(f"[stages] {min(args.stage_pages, len(paths))} pages through parse_page, tables, validate, publish …",
              flush=True)
        results["stages"], parsed = measure_stages(every(paths, args.stage_pages))
        results["accuracy_inprocess"] = score_results(truth, parsed)
        del parsed
        if not args.skip_experiments:
            print("[experiments] proposed core changes: same output, timed …", flush=True)
            results["experiments"] = run_experiments(every(paths, args.sample_pages))
        if not args.skip_e2e:
            mem_paths = every_page[:args.pages // 2] if args.mem_scale == "half" else every_page
            mem_mb = sum(p.stat().st_size for p in mem_paths) / 1e6
            results["e2e"] = run_e2e(paths, mem_paths, truth, work, results["corpus"]["mb"], round(mem_mb, 1), args.e2e_scope)
    finally:
        if args.keep:
            print(f"[kept] {work}", flush=True)
        else:
            shutil.rmtree(work, ignore_errors=True)
    results["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    results["targets"] = report.targets(results)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"results-{started}.json"
    path.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    if not args.no_latest:
        LATEST.parent.mkdir(parents=True, exist_ok=True)
        LATEST.write_text(json.dumps(report.latest(results), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(report.table(results))
    print(f"\nwritten: {path}" + ("" if args.no_latest else f" and {LATEST.relative_to(ROOT)}"))
    return results


if __name__ == "__main__":
    main()
