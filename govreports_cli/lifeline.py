"""Children die with the run: a watchdog ends every process a run started once the run is gone.

Why: `govreports run` starts a temporary Prefect server (uvicorn), multiprocessing's resource
tracker and parse workers (≈820 MB together). When the run is killed (kill -9, OOM killer) they
used to live on for good. PR_SET_PDEATHSIG would have to be set inside each child by whoever
starts it (Prefect starts its server, multiprocessing its tracker) and fires when the *thread*
that started the child ends, not the process; killing the run's process group would also hit
processes that merely share the shell's job (`govreports run | tee log`). So the run first starts
this watchdog in its own session: it notes the run's descendants (psutil, twice a second) and,
once the run has ended for any reason, terminates those still alive, and any process whose
environment carries the run's token (a child started after the last look; `GOVREPORTS_LIFELINE`),
with SIGTERM (sweeping again for a few seconds: a worker being spawned as the run died shows
its token only once it execs), then SIGKILL after a grace period, and exits. A normal run has stopped its children by then, so nothing is left to do.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import psutil

#: set in the run's environment, so every process it starts carries it (spawned workers, Prefect's
#: server and multiprocessing's tracker copy the environment): found even if started after the last look
ENV = "GOVREPORTS_LIFELINE"
POLL_SECONDS = 0.5
GRACE_SECONDS = 5.0
#: how long after the run ended the watchdog keeps sweeping for processes still being spawned
SETTLE_SECONDS = 3.0
_WATCHDOG: subprocess.Popen[bytes] | None = None


def start() -> None:
    """Start the watchdog for this process (once; Linux and macOS, where psutil sees descendants)."""
    global _WATCHDOG
    if _WATCHDOG is not None:
        return
    token = f"{os.getpid()}-{time.time_ns()}"
    _WATCHDOG = subprocess.Popen([sys.executable, "-m", "govreports_cli.lifeline", str(os.getpid()), token],
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True)
    os.environ[ENV] = token


def _ended(proc: object) -> bool:
    import psutil

    try:
        return not proc.is_running() or proc.status() == psutil.STATUS_ZOMBIE
    except psutil.Error:
        return True


def _marked(token: str, me: int) -> list[object]:
    """Running processes whose environment carries `token` (the run's descendants, orphaned or not)."""
    import psutil

    found = []
    for proc in psutil.process_iter():
        if proc.pid == me:
            continue
        with contextlib.suppress(psutil.Error):
            if proc.environ().get(ENV) == token:
                found.append(proc)
    return found


def watch(pid: int, token: str = "") -> None:
    """Note `pid`'s descendants until it ends, then end those still running (and any carrying `token`)."""
    import psutil

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C is for the run; the watchdog outlives it
    me = os.getpid()
    try:
        run = psutil.Process(pid)
    except psutil.Error:
        return
    known: dict[int, psutil.Process] = {}
    while not _ended(run):
        try:
            for child in run.children(recursive=True):
                if child.pid != me:
                    known.setdefault(child.pid, child)
        except psutil.Error:
            pass
        time.sleep(POLL_SECONDS)
    _let_go_of_stderr()
    _end_all(known, token, me)


def _let_go_of_stderr() -> None:
    """The run's stderr, inherited so that a watchdog failure is seen, may be a pipe its caller reads
    to the end (`govreports run 2>&1 | tee log`, a script capturing output): once the run is gone the
    caller must see the end of it now, not after the sweeps (SETTLE_SECONDS and the grace period)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)


def _alive(known: dict[int, psutil.Process], token: str, me: int) -> list[psutil.Process]:
    """What the run started that still runs: noted descendants, their children and any carrying `token`."""
    import psutil

    for proc in list(known.values()):  # children a child started after the last look
        with contextlib.suppress(psutil.Error):
            known.update({c.pid: c for c in proc.children(recursive=True) if c.pid != me})
    if token:
        known.update({p.pid: p for p in _marked(token, me)})
    return [p for p in known.values() if not _ended(p)]


def _end_all(known: dict[int, psutil.Process], token: str, me: int) -> None:
    """SIGTERM what is alive, sweeping for SETTLE_SECONDS, then SIGKILL what outlived the grace period.

    One sweep is not enough: a worker being spawned as the run died is neither a noted descendant
    (it was forked after the last look and reparented at once) nor marked (its environment is the
    run's until it execs), and it carries the token only a moment later.
    """
    import psutil

    ending: dict[int, psutil.Process] = {}
    settle_until = time.monotonic() + SETTLE_SECONDS
    while True:
        for proc in _alive(known, token, me):
            if proc.pid not in ending:
                with contextlib.suppress(psutil.Error):
                    proc.terminate()
                ending[proc.pid] = proc
        if time.monotonic() >= settle_until:
            break
        time.sleep(POLL_SECONDS)
    psutil.wait_procs(list(ending.values()), timeout=GRACE_SECONDS)
    for _ in range(10):  # what ignored SIGTERM, and whatever was spawned during the grace period
        alive = _alive(known, token, me)
        if not alive:
            return
        for proc in alive:
            with contextlib.suppress(psutil.Error):
                proc.kill()
        psutil.wait_procs(alive, timeout=1.0)


if __name__ == "__main__":
    watch(int(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "")
