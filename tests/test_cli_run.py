"""`govreports run` / `backfill` from the shell: mistakes caught before Prefect starts, the stage lines
(rich, JSON, quiet), and the Prefect API found, given or started (and stopped) by the command."""

from __future__ import annotations

import contextlib
import http.server
import json
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from govreports_cli import prefect_server
from govreports_cli.progress import RunView

ROOT = Path(__file__).resolve().parents[1]
GOVREPORTS = str(Path(sys.executable).with_name("govreports"))


def shell(*args: str, cwd: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    """The installed `govreports` script, as a user runs it (no Prefect settings inherited from tests)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "GOVREPORTS_"))}
    return subprocess.run([GOVREPORTS, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def no_sources(directory: Path) -> Path:
    path = directory / "no-sources.yaml"
    path.write_text("sources: []\n", encoding="utf-8")
    return path


def test_usage_mistakes_are_one_line_exit_2_and_start_nothing(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    bad = tmp_path / "bad.yaml"
    bad.write_text("sources: [{name: Bad Name, list_pages: []}]\n", encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    broken.write_text("sources: [\n", encoding="utf-8")
    cases = [
        (["run", "--data-dir", str(data), "--sources", str(tmp_path / "missing.yaml")],
         f"sources file {tmp_path / 'missing.yaml'} (--sources) not found"),
        (["run", "--data-dir", str(data), "--sources", str(bad)], f"sources file {bad} (--sources) is invalid"),
        (["run", "--data-dir", str(data), "--sources", str(broken)], "not valid YAML"),
        (["run", "--data-dir", str(tmp_path / "typo"), "--sources", str(no_sources(tmp_path))],
         f"data dir {tmp_path / 'typo'} (--data-dir) does not exist"),
        (["backfill", "2022", "--data-dir", str(data)], f"no release in {data / 'curated'}"),
        (["backfill", "2022", "--data-dir", str(tmp_path / "typo")], "does not exist"),
    ]
    for args, expected in cases:
        done = shell(*args, cwd=tmp_path)
        assert done.returncode == 2, (args, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], (args, done.stderr)
        assert done.stdout == ""
    assert not (tmp_path / "typo").exists(), "a mistyped data dir is not created"
    assert not (data / ".prefect").exists() and not (data / "raw").exists(), "nothing started, nothing written"
    # bad sources as JSON lines: still one line, and the exit status says usage error
    done = shell("run", "--data-dir", str(data), "--sources", str(bad), "--log-json", cwd=tmp_path)
    [line] = done.stdout.strip().splitlines()
    assert done.returncode == 2 and json.loads(line)["event"] == "error" and str(bad) in json.loads(line)["message"]


def test_init_creates_the_data_dir_only_when_asked(tmp_path):
    from govreports_cli import preflight

    with pytest.raises(preflight.UsageError, match="add --init"):
        preflight.data_dir(tmp_path / "new")
    assert preflight.data_dir(tmp_path / "new" / "deeper", init=True) == tmp_path / "new" / "deeper"
    assert (tmp_path / "new" / "deeper").is_dir()
    (tmp_path / "file").write_text("x")
    with pytest.raises(preflight.UsageError, match="is not a directory"):
        preflight.data_dir(tmp_path / "file", init=True)


def _record(message: str, level: int = logging.INFO, **govreports) -> logging.LogRecord:
    record = logging.LogRecord("prefect.task_runs", level, __file__, 1, message, None, None)
    record.task_run_name = "parse-batch-0"
    if govreports:
        record.govreports = govreports
    return record


def test_the_view_shows_stage_lines_and_drops_prefect_chatter(tmp_path):
    out, err = (tmp_path / "out").open("w+"), (tmp_path / "err").open("w+")
    view = RunView("json", out=out, err=err)
    view.step("starting the server")
    view.emit(_record("parsed 50/120 pages", stage="parsed", done=50, total=120))
    view.emit(_record("Finished in state Completed()"))  # Prefect's own INFO line: the UI has it
    view.emit(_record("parse batch 1 failed", logging.WARNING, stage="parsed", done=120, total=120))
    view.result({"run_id": "r1"})
    out.seek(0)
    lines = [json.loads(line) for line in out]
    assert [(x.get("stage"), x.get("message")) for x in lines[:3]] == [
        ("setup", "starting the server"), ("parsed", "parsed 50/120 pages"), ("parsed", "parse batch 1 failed")]
    assert lines[1]["done"] == 50 and lines[1]["total"] == 120 and lines[1]["task_run"] == "parse-batch-0"
    assert lines[2]["level"] == "WARNING" and lines[3] == {**lines[3], "event": "summary", "summary": {"run_id": "r1"}}
    err.seek(0)
    assert err.read() == ""

    quiet_err = (tmp_path / "quiet").open("w+")
    quiet = RunView("quiet", out=out, err=quiet_err)
    quiet.step("starting the server")
    quiet.emit(_record("parsed 50/120 pages", stage="parsed", done=50, total=120))
    quiet.emit(_record("parse batch 1 failed", logging.WARNING, stage="parsed"))
    quiet_err.seek(0)
    shown = quiet_err.read()
    assert "parse batch 1 failed" in shown and "starting" not in shown and "50/120" not in shown


class _Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"true" if self.path == "/api/health" else b"no"
        self.send_response(200 if body == b"true" else 404)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_the_api_is_given_configured_or_found(tmp_path, monkeypatch):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/api"
    try:
        assert prefect_server.healthy(url) and not prefect_server.healthy(url + "/nope")
        given = prefect_server.connect(url + "/", tmp_path / "home")
        assert (given.kind, given.url, given.process) == ("given", url, None)
        monkeypatch.setenv("PREFECT_API_URL", url)
        configured = prefect_server.connect("auto", tmp_path / "home")
        assert (configured.kind, configured.url) == ("configured", url)
        configured.stop()  # a server the command did not start is left alone
        assert prefect_server.healthy(url)
    finally:
        server.shutdown()
    assert not prefect_server.healthy(url)
    assert not (tmp_path / "home").exists(), "nothing was started"


@pytest.mark.server
@pytest.mark.slow
def test_a_shell_run_streams_its_stages_and_stops_its_temporary_server(tmp_path):
    """README command 1's shape: a run on the samples, then a run with nothing new, each with its own
    temporary server, which must be gone when the command returns."""
    data = tmp_path / "data"
    sources = no_sources(tmp_path)
    done = shell("run", "--data-dir", str(data), "--init", "--with-samples", "--sources", str(sources),
                 "--server", "temporary", "--log-json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert lines[0]["stage"] == "setup" and lines[-1]["event"] == "summary"
    summary = lines[-1]["summary"]
    assert summary["release"]["number"] == 1 and summary["parse"]["pages"] == 5
    stages = [x for x in lines if x.get("stage") in ("received", "parsed", "validated", "published")]
    last = {x["stage"]: x for x in stages}
    assert list(last) == ["received", "parsed", "validated", "published"], "stages in run order"
    assert all((x["done"], x["total"]) == (5, 5) for x in last.values()), last
    assert last["published"]["message"].startswith("published release 1")
    assert all(x.get("flow_run") for x in stages), "stage lines come through Prefect's run logger"
    started = next(x["message"] for x in lines if "temporary server on" in x["message"])
    api = started.split(" on ")[1].split(" ")[0]
    assert not prefect_server.healthy(api, timeout=1.0), "the temporary server was stopped"
    assert (data / ".prefect" / "temporary-server.log").is_file()
    # the same lines reached the Prefect API (what its UI shows): read back from the server's database
    import sqlite3

    with contextlib.closing(sqlite3.connect(data / ".prefect" / "prefect.db")) as db:
        logged = {row[0] for row in db.execute("select message from log where flow_run_id is not null")}
    assert {last["received"]["message"], last["published"]["message"]} <= logged, sorted(logged)

    quiet = shell("run", "--data-dir", str(data), "--sources", str(sources), "--server", "temporary", "-q",
                  cwd=tmp_path)
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == "", quiet.stderr[-3000:]
    runs = sorted(data.glob("runs/*/summary.json"))
    assert len(runs) == 2 and json.loads(runs[-1].read_text(encoding="utf-8"))["release"]["number"] is None


def test_with_samples_fetches_portals_only_when_asked(tmp_path, monkeypatch):
    """README command 1 runs on the bundled pages: the shipped sources.yaml (real portals) is not
    fetched unless --sources names a file; `--sources none` turns fetching off for any run."""
    from flows._runtime import resolve_sources_file
    from govreports_cli import run_cmd

    seen: list[dict] = []
    monkeypatch.setattr(run_cmd, "_run", lambda shown, root, kind, params, **kw: seen.append(params) or 0)
    monkeypatch.delenv("GOVREPORTS_SOURCES", raising=False)
    mine = tmp_path / "mine.yaml"
    mine.write_text("sources: []\n", encoding="utf-8")
    for sources, with_samples in ((None, True), (mine, True), (Path("none"), False), (None, False)):
        assert run_cmd.run_nightly(tmp_path, sources=sources, with_samples=with_samples, dask_address=None,
                                   view="quiet") == 0
    samples, given, off, plain = seen
    assert samples["sources_file"] == "none" and resolve_sources_file(samples["sources_file"]) is None
    assert given["sources_file"] == str(mine.resolve())
    assert off["sources_file"] == "none"
    assert resolve_sources_file(plain["sources_file"]) == ROOT / "sources.yaml"


@pytest.mark.parametrize("parsing", [True, False])
def test_the_warm_up_loads_gx_only_when_pages_are_coming(parsing):
    """GX (≈2 s to import) loads in the background while the server starts and the pages parse,
    not inside the first validation; a run with nothing to parse never loads it."""
    probe = ("import sys, threading\n"
             "from govreports_cli import run_cmd\n"
             "then = lambda: print('great_expectations' in sys.modules, 'govreports.report.build' in sys.modules)\n"
             f"run_cmd._warm_up(parsing={parsing}, then=then)\n"
             "[t.join() for t in threading.enumerate() if t.name == 'govreports-warm-up']\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.split() == [str(parsing), "True"]  # printed by `then`, once the imports are done


@pytest.mark.parametrize(("parsing", "expected", "started"), [(True, 400, "400"), (False, 400, "-"), (True, 20, "20")])
def test_the_warm_up_starts_the_parse_workers_for_the_pages_coming(parsing, expected, started):
    """With pages coming, the warm-up asks the pool to start for that many pages (prestart_pool
    decides whether that is enough to start any) right after the parser is imported; with none it
    never does."""
    probe = ("import threading\n"
             "from govreports.io import parse_pool\n"
             "asked = []\n"
             "parse_pool.prestart_pool = lambda n: asked.append(n) or False\n"
             "from govreports_cli import run_cmd\n"
             f"run_cmd._warm_up(parsing={parsing}, then=lambda: None, expected_pages=lambda: {expected})\n"
             "[t.join() for t in threading.enumerate() if t.name == 'govreports-warm-up']\n"
             "print(asked[0] if asked else '-')\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.split() == [started]


def test_a_backfill_warm_up_counts_the_pages_of_its_years(tmp_path, monkeypatch):
    from govreports.io import reading
    from govreports_cli import run_cmd

    asked: list[list[int]] = []
    monkeypatch.setattr(reading, "hashes_for_years",
                        lambda paths, years: asked.append(list(years)) or {f"{y}-{k}" for y in years for k in range(3)})
    assert run_cmd._years_pages(tmp_path, {"data_dir": str(tmp_path), "start": 2019, "end": 2021})() == 9
    assert run_cmd._years_pages(tmp_path, {"data_dir": str(tmp_path), "years": [2020]})() == 3
    assert asked == [[2019, 2020, 2021], [2020]]
