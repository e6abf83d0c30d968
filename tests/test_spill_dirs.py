"""Scratch dirs of a killed process are swept by the next run; a live process's are left alone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from govreports.io import spill_dirs

MAKE_AND_WAIT = """
import sys, tempfile
tempfile.tempdir = sys.argv[1]
from govreports.io import spill_dirs
d = spill_dirs.make("replace")
(d / "incoming.arrow").write_bytes(b"x" * 1000)
print(d, flush=True)
sys.stdin.readline()
"""


def _holder(root: Path) -> tuple[subprocess.Popen, Path]:
    proc = subprocess.Popen([sys.executable, "-c", MAKE_AND_WAIT, str(root)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[1])
    return proc, Path(proc.stdout.readline().strip())


def test_a_killed_processes_spill_is_swept_and_a_live_ones_is_not(tmp_path: Path):
    live, live_dir = _holder(tmp_path)
    killed, killed_dir = _holder(tmp_path)
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait()
    unrelated = tmp_path / "govreports-test-cache-x"
    unrelated.mkdir()
    try:
        assert killed_dir.exists() and live_dir.exists()
        assert spill_dirs.sweep_stale(tmp_path) == [killed_dir]
        assert not killed_dir.exists() and live_dir.exists() and unrelated.exists()
    finally:
        live.communicate("\n", timeout=60)
    assert spill_dirs.sweep_stale(tmp_path) == [live_dir]  # exited without removing it: now stale


def test_this_processes_own_spill_is_kept_until_removed(tmp_path: Path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    directory = spill_dirs.make("append")
    assert directory.parent == tmp_path and directory.name.startswith("govreports-spill-append-")
    assert spill_dirs.sweep_stale(tmp_path) == [] and directory.exists()
    spill_dirs.remove(directory)
    assert not directory.exists() and list(tmp_path.iterdir()) == []
