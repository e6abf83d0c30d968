"""End-to-end runs of the real pipeline: `govreports run/backfill/versions` as subprocesses.

Everything a person would type, nothing imported: the figures include Python start-up, Prefect's
import and (in ephemeral mode) its temporary server, because that is what a nightly costs. Each
run's *flow* time — what the orchestrated work took, without process start-up — is read back
from the Prefect database that recorded it (the ephemeral one under the data dir's PREFECT_HOME,
or the running server's), together with every task run's duration, so the wall time can be
split into start-up, tasks and orchestration gaps.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from benchmarks.rss import Measured, run_measured

BIN = Path(sys.executable).parent


def govreports(*args: str) -> list[str]:
    """The installed `govreports` command (python -m as a fallback)."""
    exe = BIN / "govreports"
    return [str(exe), *args] if exe.exists() else [sys.executable, "-m", "govreports_cli.main", *args]


def fill_inbox(pages: list[Path], data_dir: Path) -> None:
    """Put the pages into data_dir/raw/inbox (hard links when possible: same bytes, no copy)."""
    inbox = data_dir / "raw" / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    for page in pages:
        target = inbox / page.name
        try:
            os.link(page, target)
        except OSError:
            shutil.copy2(page, target)


#: concurrent task runs of the flow's default ThreadPoolTaskRunner; None = as shipped (unbounded).
BATCH_CONCURRENCY: int | None = None


def prefect_env(data_dir: Path, api_url: str | None = None, refresh_cache: bool = False) -> dict[str, str]:
    """The whole environment of a run: a private PREFECT_HOME per data dir (ephemeral DB + result
    cache), a running server's API when given; no PREFECT_* setting inherited from the caller."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update({"PREFECT_HOME": str(data_dir / ".prefect"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                "PREFECT_LOGGING_LEVEL": "WARNING", "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180"})
    # measured runs parse the generated corpus only: never the real portals of the repo's sources.yaml
    no_sources = data_dir / "no-sources.yaml"
    no_sources.parent.mkdir(parents=True, exist_ok=True)
    no_sources.write_text("sources: []\n", encoding="utf-8")
    env["GOVREPORTS_SOURCES"] = str(no_sources)
    if api_url:
        env["PREFECT_API_URL"] = api_url
    if refresh_cache:
        env["PREFECT_TASKS_REFRESH_CACHE"] = "true"
    if BATCH_CONCURRENCY:
        env["PREFECT_TASK_RUNNER_THREAD_POOL_MAX_WORKERS"] = str(BATCH_CONCURRENCY)
    return env


def _ts(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def flow_timing(db: Path, flow_name: str) -> dict[str, Any]:
    """The latest `flow_name` run in the Prefect SQLite DB `db`: flow seconds and task seconds by name."""
    if not db.exists():
        return {"flow_s": None, "note": f"no Prefect DB at {db}"}
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        row = con.execute(
            "select r.id, r.start_time, r.end_time, r.state_type from flow_run r join flow f on f.id = r.flow_id "
            "where f.name = ? and r.parent_task_run_id is null order by r.start_time desc limit 1",
            (flow_name,)).fetchone()
        if row is None:
            return {"flow_s": None, "note": f"no {flow_name} flow run in {db}"}
        tasks = con.execute("select name, start_time, end_time from task_run where flow_run_id = ?",
                            (row[0],)).fetchall()
    finally:
        con.close()
    start, end = _ts(row[1]), _ts(row[2])
    by_task: dict[str, float] = {}
    for name, t0, t1 in tasks:
        if t0 and t1:
            key = name.rsplit("-", 1)[0] if name.rsplit("-", 1)[-1].isalnum() else name
            by_task[key] = round(by_task.get(key, 0.0) + (_ts(t1) - _ts(t0)).total_seconds(), 3)
    return {"flow_s": round((end - start).total_seconds(), 3) if start and end else None,
            "state": row[3], "tasks": len(tasks), "task_s": dict(sorted(by_task.items(), key=lambda kv: -kv[1]))}


def release_count(data_dir: Path) -> int:
    """How many releases the curated store has published (0 when none)."""
    from govreports.config import DataPaths
    from govreports.io.releases import read_releases

    try:
        return len(read_releases(DataPaths.from_dir(data_dir)))
    except Exception:  # no release log yet
        return 0


def run_cli(args: list[str], data_dir: Path, *, api_url: str | None = None, server_home: Path | None = None,
            flow_name: str = "nightly", refresh_cache: bool = False, pages: int | None = None,
            size_mb: float | None = None) -> dict[str, Any]:
    """Run one `govreports` command measured (wall, peak tree RSS) and read back its flow timing."""
    before = release_count(data_dir)
    server = [] if api_url else ["--server", "temporary"]  # never a server someone else left on :4200
    m: Measured = run_measured(govreports(*args, "--data-dir", str(data_dir), *server),
                               env=prefect_env(data_dir, api_url, refresh_cache), cwd=str(data_dir))
    db = (server_home if api_url and server_home else data_dir / ".prefect") / "prefect.db"
    out: dict[str, Any] = {"cmd": "govreports " + " ".join(args), "returncode": m.returncode, "wall_s": m.wall_s,
                           "cpu_s": m.cpu_s, "peak_rss_mb": m.peak_rss_mb, "peak_procs": m.peak_procs, "peak_parts_mb": m.peak_parts,
                           "peak_pss_mb": m.peak_pss_mb, "peak_pss_parts_mb": m.peak_pss_parts, "cpu_parts_s": m.cpu_parts,
                           "killed_by_memory_guard": m.guard_tripped,
                           "new_releases": release_count(data_dir) - before, **flow_timing(db, flow_name),
                           "stdout_tail": m.stdout.strip().splitlines()[-8:]}
    if m.returncode:
        out["stderr_tail"] = m.stderr.strip().splitlines()[-15:]
    if pages:
        out["pages"] = pages
        out["pages_per_s"] = round(pages / m.wall_s, 2)
        if out.get("flow_s"):
            out["pages_per_s_flow"] = round(pages / out["flow_s"], 2)
    if size_mb:
        out["mb_per_s"] = round(size_mb / m.wall_s, 3)
    return out


def versions_output(data_dir: Path) -> list[str]:
    """`govreports versions` as printed (the check a person makes after a nightly)."""
    proc = subprocess.run(govreports("versions", "--data-dir", str(data_dir)), capture_output=True, text=True,
                          env=prefect_env(data_dir), cwd=str(data_dir))
    return (proc.stdout + proc.stderr).strip().splitlines()[-12:]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrefectServer:
    """`prefect server start` on 127.0.0.1 and a free port, with its own PREFECT_HOME; stopped on exit."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.port = free_port()
        self.api_url = f"http://127.0.0.1:{self.port}/api"
        self.proc: subprocess.Popen[bytes] | None = None
        self.startup_s = 0.0

    def __enter__(self) -> PrefectServer:
        self.home.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        env.update({"PREFECT_HOME": str(self.home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                    "PREFECT_UI_ENABLED": "false"})
        log = (self.home / "server.log").open("wb")
        start = time.perf_counter()
        self.proc = subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port",
                                      str(self.port)], env=env, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        deadline = start + 180
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"prefect server exited ({self.proc.returncode}); see {self.home / 'server.log'}")
            try:
                if httpx.get(f"{self.api_url}/health", timeout=2).status_code == 200:
                    self.startup_s = round(time.perf_counter() - start, 2)
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        self.__exit__()
        raise RuntimeError("prefect server did not answer /api/health within 180 s")

    def __exit__(self, *exc: object) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # our own session: the server and its uvicorn child
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
