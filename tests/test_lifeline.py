"""kill -9 of a run leaves none of its processes alive, and the next run sweeps its stage dir.

A real `govreports run` process (its temporary Prefect server, multiprocessing's resource tracker
and two parse workers) is killed with SIGKILL once its parse workers are up. The test then waits
for every process the run had started to end; the generous wait is only a safety net so the test
cannot hang (before the watchdog they lived on for good).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

import psutil
import pytest

from govreports.io import staging

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = sorted((ROOT / "samples" / "inbox").glob("*.txt"))
pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def _is_parse_worker(proc: psutil.Process) -> bool:
    try:
        return "multiprocessing" in " ".join(proc.cmdline()) and "resource_tracker" not in " ".join(proc.cmdline())
    except psutil.Error:
        return False


def _descendants(proc: psutil.Process) -> list[psutil.Process]:
    try:
        return proc.children(recursive=True)
    except psutil.Error:
        return []


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one CPU: the run parses without a worker pool")
def test_kill_9_of_a_run_leaves_no_process_and_its_stage_is_swept(tmp_path: Path):
    data = tmp_path / "data"
    inbox = data / "raw" / "inbox"
    inbox.mkdir(parents=True)
    for i in range(200):  # enough pages for the parse pool (govreports/io/parse_pool.POOL_MIN_PAGES)
        sample = SAMPLES[i % len(SAMPLES)]
        (inbox / f"{i:03d}-{sample.name}").write_bytes(sample.read_bytes() + f"\n（副本{i}）\n".encode())
    (tmp_path / "none.yaml").write_text("sources: []\n")
    run = subprocess.Popen([str(ROOT / ".venv/bin/govreports"), "run", "--data-dir", str(data),
                            "--sources", str(tmp_path / "none.yaml")],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
                           env={**os.environ, "GOVREPORTS_PARSE_WORKERS": "2"})  # two workers to leave behind
    started: dict[int, psutil.Process] = {}
    try:
        parent = psutil.Process(run.pid)
        give_up = time.monotonic() + 400  # safety net only
        # the workers may start before the flow does (started while the inbox is received): wait for both
        while sum(_is_parse_worker(p) for p in started.values()) < 2 or not list((data / "runs").glob("*/stage")):
            assert run.poll() is None, "the run ended before its parse workers started and it staged"
            assert time.monotonic() < give_up, "the parse workers never started, or nothing was staged"
            started.update({p.pid: p for p in _descendants(parent)})
            time.sleep(0.2)
        started.update({p.pid: p for p in _descendants(parent)})
        names = " ".join(" ".join(p.cmdline()) for p in started.values() if p.is_running())
        assert "prefect.server.api.server:create_app" in names and "resource_tracker" in names  # server, tracker
        stages = list((data / "runs").glob("*/stage"))
        assert len(stages) == 1

        os.kill(run.pid, signal.SIGKILL)
        run.wait()
        tracked = [p for p in started.values() if "lifeline" not in " ".join(_cmdline(p))]
        _, alive = psutil.wait_procs(tracked, timeout=120)  # safety net: they end within seconds
        assert alive == []

        assert staging.sweep_stale(data / "runs") == stages  # what the next run does first
        assert not stages[0].exists()
    finally:
        for proc in started.values():
            with contextlib.suppress(psutil.Error):
                proc.kill()


def _cmdline(proc: psutil.Process) -> list[str]:
    try:
        return proc.cmdline()
    except psutil.Error:
        return []


def test_a_live_runs_stage_is_not_swept(tmp_path: Path):
    live, dead = tmp_path / "runs/a/stage", tmp_path / "runs/b/stage"
    for stage in (live, dead):
        (stage / "batch-00000").mkdir(parents=True)
    holder = subprocess.Popen(["python3", "-c", (
        "import fcntl, os, sys\n"
        "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
        "fcntl.flock(fd, fcntl.LOCK_EX)\n"
        "print('locked', flush=True)\n"
        "sys.stdin.readline()\n"), str(live.parent / staging.LOCK)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline() == "locked\n"
        assert staging.sweep_stale(tmp_path / "runs") == [dead]
        assert live.exists() and not dead.exists()
    finally:
        holder.communicate("\n", timeout=60)
    assert staging.sweep_stale(tmp_path / "runs") == [live]


_DIES_WHILE_SPAWNING = """
import os, sys, time
from govreports_cli import lifeline
lifeline.start()
time.sleep(1.0)  # the watchdog has looked at this process's (still childless) tree
if os.fork() == 0:  # a worker being spawned as the run dies: forked, reparented at once, exec'd later
    if os.fork() == 0:
        os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # the test reads the run's stdout to its end
        with open(sys.argv[1], "w") as pid:  # the pid stays the worker's across exec
            pid.write(str(os.getpid()))
        time.sleep(1.0)  # the run is gone and the watchdog's first sweep is over before this execs
        os.execve(sys.executable, [sys.executable, "-c",
                  "import sys, time; open(sys.argv[1], 'w').close(); time.sleep(300)", sys.argv[2]],
                  dict(os.environ))
    os._exit(0)
os._exit(0)
"""


def test_a_worker_still_being_spawned_when_the_run_dies_is_ended(tmp_path: Path):
    pid_file, ran = tmp_path / "worker.pid", tmp_path / "worker-ran"
    run = subprocess.Popen([str(ROOT / ".venv/bin/python"), "-c", _DIES_WHILE_SPAWNING, str(pid_file), str(ran)],
                           cwd=ROOT, stdout=subprocess.PIPE, text=True, start_new_session=True)
    run.communicate(timeout=60)
    give_up = time.monotonic() + 30
    while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < give_up:
        time.sleep(0.05)  # written by the worker just after the run's stdout closed
    worker = psutil.Process(int(pid_file.read_text()))
    try:
        _, alive = psutil.wait_procs([worker], timeout=60)  # the watchdog ends it within seconds
        assert alive == [] or alive[0].status() == psutil.STATUS_ZOMBIE
        assert ran.exists(), "ended before it exec'd: not the case under test"
    finally:
        with contextlib.suppress(psutil.Error):
            worker.kill()


_ENDS_AT_ONCE = """
import sys
from govreports_cli import lifeline
lifeline.start()
print(lifeline._WATCHDOG.pid, flush=True)
print("the run's last words", file=sys.stderr, flush=True)
"""


def test_a_caller_reading_the_runs_stderr_to_its_end_does_not_wait_for_the_watchdog(tmp_path: Path):
    """The watchdog inherits the run's stderr (its failures are seen) but lets go of it once the run
    is gone: `govreports run 2>&1 | tee log` or a script capturing output ends with the run, not
    after the watchdog's settle sweep (it is still sweeping when the caller sees the end)."""
    run = subprocess.Popen([str(ROOT / ".venv/bin/python"), "-c", _ENDS_AT_ONCE], cwd=ROOT,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = run.communicate(timeout=60)  # returns when every holder of the pipes has closed them
    watchdog = int(out.split()[0])
    try:
        assert "the run's last words" in err
        assert psutil.pid_exists(watchdog), "the pipe stayed open until the watchdog exited"
        assert psutil.Process(watchdog).status() != psutil.STATUS_ZOMBIE
    finally:
        with contextlib.suppress(psutil.Error):
            psutil.Process(watchdog).wait(timeout=30)
