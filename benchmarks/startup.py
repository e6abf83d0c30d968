"""The first minute: how long the commands a new user types take, wall clock, as a user runs them.

`govreports --help`, `versions`, `query`, `show`, and a `run` with nothing new — with a temporary
Prefect server (the README's first command, run again) and against a running `prefect server start`
— each as a subprocess of the installed script, repeated, on a data dir made by one run on the
bundled samples. Also the time to the run's first line on stderr (the bar: progress within 2 s).
Tests never time anything; these targets are judged here (issue 17):

    .venv/bin/python -m benchmarks.startup            # ≈2–3 min
    .venv/bin/python -m benchmarks.startup --repeat 3 --no-latest

Writes benchmarks/out/startup-<timestamp>.json and benchmarks/results/startup.json (the committed
summary), and prints a table. Medians decide; min and max show the spread on a shared machine, and
the CPU seconds of each command's process tree (its temporary Prefect server included) what the
command costs whatever the neighbours do.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.e2e import PrefectServer, govreports

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
LATEST = ROOT / "benchmarks" / "results" / "startup.json"
#: seconds, wall, on an idle machine (issue 17)
TARGETS = {"help": 1.0, "versions": 2.0, "query": 2.0, "show": 2.0, "run_noop_temporary": 8.0,
           "run_noop_running": 4.0, "run_first_line": 2.0}


def user_env() -> dict[str, str]:
    """The caller's environment without Prefect or govreports settings: what a fresh shell has."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "GOVREPORTS_"))}


def timed(args: list[str], cwd: Path) -> dict[str, Any]:
    """Run one command; wall seconds to exit and to its first line on stderr; CPU seconds of its whole
    tree (a temporary Prefect server included: the command waits for it)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(govreports(*args), cwd=cwd, env=user_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    first_line = proc.stderr.readline()
    first_s = time.perf_counter() - start
    rest_err = proc.stderr.read()
    out = proc.stdout.read()
    proc.wait()
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result = {"wall_s": round(wall, 3), "cpu_s": round(cpu, 3),
              "first_line_s": round(first_s, 3) if first_line else None, "returncode": proc.returncode}
    if proc.returncode:
        result["stderr_tail"] = (first_line + rest_err).strip().splitlines()[-8:]
    result["stdout_lines"] = len(out.splitlines())
    return result


def series(args: list[str], cwd: Path, repeat: int) -> dict[str, Any]:
    runs = [timed(args, cwd) for _ in range(repeat)]
    walls = [r["wall_s"] for r in runs]
    cpus = [r["cpu_s"] for r in runs]
    firsts = [r["first_line_s"] for r in runs if r["first_line_s"] is not None]
    return {"cmd": "govreports " + " ".join(args), "median_s": round(statistics.median(walls), 2),
            "min_s": round(min(walls), 2), "max_s": round(max(walls), 2),
            "cpu_median_s": round(statistics.median(cpus), 2),
            "first_line_median_s": round(statistics.median(firsts), 2) if firsts else None,
            "failed": [r for r in runs if r["returncode"]]}


def first_doc_id(data: Path) -> str:
    import govreports

    return str(govreports.read("documents", data_dir=data, columns=["doc_id"])["doc_id"].iloc[0])[:6]


def measure(work: Path, repeat: int, run_repeat: int) -> dict[str, Any]:
    data = work / "data"
    sources = work / "no-sources.yaml"
    sources.write_text("sources: []\n", encoding="utf-8")
    results: dict[str, Any] = {}
    # README command 1 on a new data dir: creates Prefect's database, parses the five samples
    results["run_samples_first"] = series(["run", "--data-dir", str(data), "--init", "--with-samples",
                                           "--sources", str(sources), "--server", "temporary"], work, 1)
    doc = first_doc_id(data)
    d = ["--data-dir", str(data)]
    results["help"] = series(["--help"], work, repeat)
    results["versions"] = series(["versions", *d], work, repeat)
    results["query"] = series(["query", "select region, count(*) from documents group by all", *d], work, repeat)
    results["show"] = series(["show", doc, *d], work, repeat)
    noop = ["run", *d, "--sources", str(sources)]
    results["run_noop_temporary"] = series([*noop, "--server", "temporary"], work, run_repeat)
    with PrefectServer(work / "server-home") as server:
        results["prefect_server_startup_s"] = server.startup_s
        results["run_noop_running"] = series([*noop, "--server", server.api_url], work, run_repeat)
    results["run_first_line"] = {"median_s": results["run_noop_temporary"]["first_line_median_s"],
                                 "cmd": results["run_noop_temporary"]["cmd"] + " (first line on stderr)"}
    return results


def table(results: dict[str, Any]) -> str:
    lines = [f"{'figure':<22} {'median':>8} {'min':>6} {'max':>6} {'cpu':>6} {'target':>7}  verdict"]
    for name, target in TARGETS.items():
        r = results[name]
        median = r["median_s"]
        verdict = "met" if median is not None and median <= target else "MISSED"
        cpu = r.get("cpu_median_s")
        lines.append(f"{name:<22} {median:>7.2f}s {r.get('min_s', median):>5.2f}s {r.get('max_s', median):>5.2f}s "
                     f"{'' if cpu is None else f'{cpu:5.2f}s':>6} {target:>6.1f}s  {verdict}")
    first = results["run_samples_first"]
    lines.append(f"{'run_samples_first':<22} {first['median_s']:>7.2f}s   (README command 1 on a new data dir: "
                 f"new Prefect DB, 5 pages)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="runs of --help/versions/query/show (default 5)")
    ap.add_argument("--run-repeat", type=int, default=3, help="no-op runs per server kind (default 3)")
    ap.add_argument("--no-latest", action="store_true", help="do not overwrite benchmarks/results/startup.json")
    args = ap.parse_args(argv)
    from benchmarks.run import machine

    report: dict[str, Any] = {"machine": machine(), "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
    with tempfile.TemporaryDirectory(prefix="govreports-startup-") as tmp:
        report["results"] = measure(Path(tmp), args.repeat, args.run_repeat)
    report["machine"]["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    report["targets_s"] = TARGETS
    OUT.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    (OUT / f"startup-{stamp}.json").write_text(json.dumps(report, indent=1, ensure_ascii=False), encoding="utf-8")
    if not args.no_latest:
        LATEST.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"load average {report['machine']['loadavg_start']} → {report['machine']['loadavg_end']}")
    print(table(report["results"]))
    return report


if __name__ == "__main__":
    main()
