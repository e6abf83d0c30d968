"""prefect.yaml for real: a Prefect server, a process work pool, `deploy --all`, a worker.

The one test that proves scheduled operation works on this machine's pinned stack: the cron
schedule must produce Scheduled runs at 02:30 Asia/Shanghai (a broken SQLAlchemy pin silently
stops the scheduler, libraries.md §1.9), and a run triggered on a deployment must be picked up
by a worker, run from this checkout, and publish into the data dir the worker was given.
Everything listens on 127.0.0.1; every process is started in its own group and killed.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
POOL = "govreports-process"
pytestmark = [pytest.mark.server, pytest.mark.timeout(600)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _kill_group(proc: subprocess.Popen) -> None:
    """Stop a process started with start_new_session=True and everything it spawned."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    except ProcessLookupError:
        pass


class Stack:
    """The server's env and helpers to run the prefect CLI against it."""

    def __init__(self, env: dict[str, str], api_url: str, data_dir: Path, logs: Path) -> None:
        self.env, self.api_url, self.data_dir, self.logs = env, api_url, data_dir, logs

    def prefect(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        proc = subprocess.run([str(BIN / "prefect"), *args], cwd=ROOT, env=self.env, capture_output=True,
                              text=True, timeout=timeout, start_new_session=True)
        assert proc.returncode == 0, f"prefect {' '.join(args)}:\n{proc.stdout}\n{proc.stderr}"
        return proc

    def worker_once(self) -> None:
        """`prefect worker start --run-once`: picks up what is due, runs it, exits."""
        log = (self.logs / f"worker-{time.monotonic_ns()}.log").open("w")
        proc = subprocess.Popen([str(BIN / "prefect"), "worker", "start", "--pool", POOL, "--run-once",
                                 "--limit", "1"], cwd=ROOT, env=self.env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        try:
            proc.wait(timeout=180)
        finally:
            _kill_group(proc)
            log.close()

    def api(self, coro_fn):
        """Run `coro_fn(client)` with a Prefect client pointed at this server."""
        from prefect.client.orchestration import get_client
        from prefect.settings import PREFECT_API_URL, temporary_settings

        async def main():
            async with get_client() as client:
                return await coro_fn(client)

        with temporary_settings(updates={PREFECT_API_URL: self.api_url}):
            return asyncio.run(main())


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    base = tmp_path_factory.mktemp("prefect-server")
    port = _free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    data_dir = base / "data"
    no_sources = base / "no-sources.yaml"  # a run of the deployments must never reach a real portal
    no_sources.write_text("sources: []\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "GOVREPORTS_"))}
    env.update({
        "PREFECT_HOME": str(base / "home"),
        "PREFECT_API_URL": api_url,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "INFO",
        "PREFECT_SERVER_DATABASE_CONNECTION_URL": f"sqlite+aiosqlite:///{base / 'prefect.db'}",
        "PREFECT_SERVER_SERVICES_SCHEDULER_RECENT_DEPLOYMENTS_LOOP_SECONDS": "2",
        "PREFECT_WORKER_QUERY_SECONDS": "2",
        "GOVREPORTS_DATA_DIR": str(data_dir),
        "GOVREPORTS_SOURCES": str(no_sources),
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
    })
    log = (base / "server.log").open("w")
    server = subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                              cwd=base, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, (base / "server.log").read_text()
            try:
                if httpx.get(f"{api_url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "server did not become healthy:\n" + (base / "server.log").read_text()
            time.sleep(0.5)
        yield Stack(env, api_url, data_dir, base)
    finally:
        _kill_group(server)
        log.close()


def _wait_for(fn, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(1)


def _run_deployment(stack: Stack, name: str, params: dict) -> str:
    """Trigger a deployment run, let a worker run it, return its final state name."""
    args = ["deployment", "run", name]
    for key, value in params.items():
        args += ["--param", f"{key}={json.dumps(value)}"]
    out = stack.prefect(*args).stdout
    run_id = next(line.split()[-1] for line in out.splitlines() if "UUID" in line)
    stack.worker_once()

    async def state(client):
        run = await client.read_flow_run(run_id)
        return run.state if run.state and run.state.is_final() else None

    final = _wait_for(lambda: stack.api(state), 120, f"flow run {run_id} of {name}")
    logs = "\n".join(p.read_text() for p in sorted(stack.logs.glob("worker-*.log")))
    assert final.is_completed(), f"{name} ended {final.name}: {final.message}\n{logs[-6000:]}"
    return final.name


def test_deploy_schedule_and_worker_runs(stack: Stack):
    stack.prefect("work-pool", "create", POOL, "--type", "process")
    stack.prefect("work-pool", "set-concurrency-limit", POOL, "1")  # one publisher at a time (docs/operations.md)
    stack.prefect("--no-prompt", "deploy", "--all", timeout=180)

    async def deployments(client):
        nightly = await client.read_deployment_by_name("nightly/nightly")
        backfill = await client.read_deployment_by_name("backfill/backfill")
        return nightly, backfill

    nightly, backfill = stack.api(deployments)
    assert nightly.work_pool_name == backfill.work_pool_name == POOL
    assert nightly.global_concurrency_limit.limit == backfill.global_concurrency_limit.limit == 1
    assert [s.schedule.cron for s in nightly.schedules] == ["30 2 * * *"]
    assert backfill.schedules == []
    assert nightly.pull_steps[0]["prefect.deployments.steps.set_working_directory"]["directory"] == str(ROOT)

    async def scheduled(client):
        from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterId

        runs = await client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[nightly.id])))
        return [r for r in runs if r.state and r.state.is_scheduled()]

    runs = _wait_for(lambda: stack.api(scheduled), 90, "the scheduler to create nightly runs")
    shanghai = ZoneInfo("Asia/Shanghai")
    for run in runs:
        local = datetime.fromtimestamp(run.expected_start_time.timestamp(), shanghai)
        assert (local.hour, local.minute) == (2, 30), local
        assert run.state.name == "Scheduled"

    # a backfill run through the worker: it must replace the stale rows of one year (and only those)
    year = _seed_with_stale_year(stack.data_dir)
    before = _documents(stack.data_dir)
    _run_deployment(stack, "backfill/backfill", {"years": [year]})
    summary = json.loads(next((stack.data_dir / "runs").glob("*/summary.json")).read_text(encoding="utf-8"))
    assert (summary["kind"], summary["years"], summary["release"]["number"]) == ("backfill", [year], 2)
    after = _documents(stack.data_dir)
    assert {d["doc_id"] for d in after} == {d["doc_id"] for d in before}
    for doc in after:
        if doc["report_year"] == year:
            assert doc["title"] != STALE, "the backfill re-parsed the year with today's code"
        else:
            assert doc in before, "other years are untouched"


STALE = "STALE TITLE (as if parsed by an older parser)"


def _seed_with_stale_year(data_dir: Path) -> int:
    """Publish release 1 from the sample pages, with one year's titles wrong; return that year.

    Done in-process with the core (no flow run), so the test spends its worker run on the backfill.
    """
    import shutil

    from govreports.config import DataPaths
    from govreports.io import curated, inbox
    from govreports.io.files import ensure_dirs
    from govreports.io.parse_pool import parse_stored
    from govreports.tables.rows import results_to_tables

    paths = ensure_dirs(DataPaths.from_dir(data_dir))
    for page in sorted((ROOT / "samples" / "inbox").glob("*")):
        shutil.copy2(page, paths.inbox_dir / page.name)
    stored = inbox.receive(paths).stored
    results = [parse_stored(paths, p.sha256) for p in stored]
    year = min(d.report_year for r in results for d in r.documents if d.report_year)
    for doc in (d for r in results for d in r.documents if d.report_year == year):
        doc.title = STALE
    tables = results_to_tables(results, code_version="seed", run_id="seed")
    assert curated.publish(paths, tables, run_id="seed", code_version="seed").release == 1
    return year


def _documents(data_dir: Path) -> list[dict]:
    from govreports.io import curated

    return curated.read_arrow("documents", data_dir=data_dir, columns=["doc_id", "report_year", "title"]).to_pylist()
