"""Which Prefect API a shell run talks to: found, or started early, without importing Prefect.

Prefect's own ephemeral mode starts its temporary server only when the flow's first API call needs
it, imports the whole server stack (≈4 s) into the calling process to do so, and then waits ≈5 s for
the server: a run sat silent for all of it. Here the server process is started first thing, so it
boots while this process imports the pipeline and checks the inbox, and the flow process never
imports the server. It runs the command Prefect's SubprocessASGIServer runs (uvicorn on
`prefect.server.api.server:create_app`, no UI, the ephemeral flags), so it is the same server with
the same database under PREFECT_HOME; only the timing differs, and its imports are kept out of the
garbage collector's scans (prefect_server_process.py). A server already answering on the
local default address (`prefect server start`) is used instead of starting one, unless told not to.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from govreports_cli import prefect_db_template

LOCAL_DEFAULT = "http://127.0.0.1:4200/api"
PORT_IN_USE = 3  # uvicorn's exit status when it cannot bind


def healthy(api_url: str, timeout: float = 0.3) -> bool:
    """True when a Prefect API answers its health check at `api_url` (…/api) within `timeout`."""
    try:
        with urllib.request.urlopen(f"{api_url.rstrip('/')}/health", timeout=timeout) as response:
            return response.status == 200 and response.read().strip() == b"true"
    except (OSError, ValueError):
        return False


def configured_url() -> str | None:
    """PREFECT_API_URL from the environment, or from Prefect's settings when Prefect is already loaded
    (a test harness, an embedding program): those choose the server, not this module."""
    if os.environ.get("PREFECT_API_URL"):
        return os.environ["PREFECT_API_URL"]
    if "prefect.settings" in sys.modules:
        from prefect.settings import get_current_settings

        url = get_current_settings().api.url
        return str(url) if url else None
    return None


def _free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class PrefectApi:
    """The API a run uses: `kind` is given, configured, running (found locally) or temporary."""

    url: str
    kind: str
    home: Path | None = None
    process: subprocess.Popen | None = field(default=None, repr=False)
    started: float = field(default_factory=time.monotonic)
    #: a temporary server that creates its database: save it as the template once it answers
    template_wanted: bool = False

    @property
    def log_path(self) -> Path | None:
        return self.home / "temporary-server.log" if self.home else None

    def describe(self) -> str:
        return {"temporary": f"Prefect's temporary server on {self.url} (started now; stopped after the run)",
                "running": f"the Prefect server already running on {self.url}",
                "configured": f"the Prefect API at {self.url} (PREFECT_API_URL)"}.get(
            self.kind, f"the Prefect API at {self.url}")

    def _spawn(self) -> None:
        assert self.home is not None
        if not (self.home / prefect_db_template.DB_NAME).exists():
            self.template_wanted = not prefect_db_template.seed(self.home)
        port = _free_port()
        self.url = f"http://127.0.0.1:{port}/api"
        env = {**os.environ, "PREFECT_HOME": str(self.home), "PREFECT_UI_ENABLED": "0",
               "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1",
               "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
        env.pop("PREFECT_API_URL", None)
        log = open(self.log_path, "ab")  # noqa: SIM115 -- the child writes to it for its whole life
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "govreports_cli.prefect_server_process",
                 "--factory", "prefect.server.api.server:create_app",
                 "--host", "127.0.0.1", "--port", str(port), "--log-level", "error", "--lifespan", "on"],
                env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        finally:
            log.close()

    def wait(self, timeout: float) -> None:
        """Block until the API answers; a temporary server that exits is restarted once per busy port.

        Raises:
            RuntimeError: no answer within `timeout` seconds, or the server process died (its log's tail
            is in the message).
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if healthy(self.url, timeout=1.0):
                return
            if self.process is not None and self.process.poll() is not None:
                if self.process.returncode == PORT_IN_USE:
                    self._spawn()
                    continue
                raise RuntimeError(f"Prefect's temporary server exited with status {self.process.returncode}: "
                                   f"{self._log_tail()}")
            time.sleep(0.1)
        raise RuntimeError(f"no answer from {self.describe()} within {timeout:.0f} s"
                           + (f": {self._log_tail()}" if self.process else ""))

    def ready(self) -> None:
        """Once the API answered and before any flow runs: a temporary server that migrated a new
        database leaves a copy as the template later ones start from (prefect_db_template.py)."""
        if self.template_wanted:
            self.template_wanted = False
            prefect_db_template.keep(self.home)

    def _log_tail(self) -> str:
        try:
            lines = self.log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        except (OSError, AttributeError):
            return "(no log)"
        return " | ".join(lines[-3:]) + f" (log: {self.log_path})"

    def stop(self) -> None:
        """Stop a temporary server (nothing to do for a server this run did not start)."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def connect(server: str, prefect_home: Path) -> PrefectApi:
    """The API for `server`: "auto" (PREFECT_API_URL if set, else a server answering on 127.0.0.1:4200,
    else a temporary one), "temporary" (always a new temporary server), or an API URL.

    A temporary server is spawned here and not waited for: call `wait()` before the first API call.
    """
    if server not in ("auto", "temporary"):
        return PrefectApi(server.rstrip("/"), "given")
    if server == "auto":
        url = configured_url()
        if url:
            return PrefectApi(url, "configured")
        if healthy(LOCAL_DEFAULT):
            return PrefectApi(LOCAL_DEFAULT, "running")
    prefect_home.mkdir(parents=True, exist_ok=True)
    api = PrefectApi("", "temporary", home=prefect_home)
    api._spawn()
    atexit.register(api.stop)  # whatever happens to the run, the server does not outlive it
    return api
