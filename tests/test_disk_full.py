"""A run whose disk fills up fails (exit 1) with one clear line, and publishes nothing half-way.

The data dir is a real 4 MB tmpfs filled to the brim (needs root, as CI runs; skipped where mount
is not allowed); the Prefect server's home is elsewhere, so it is the run's own writes that fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from govreports.config import DataPaths
from govreports.io.releases import read_releases
from tests.support.disks import small_tmpfs

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


@pytest.fixture
def small_disk(tmp_path: Path):
    with small_tmpfs(tmp_path / "disk", "4m") as mount:
        yield mount


def test_a_full_disk_fails_the_run_with_a_clear_message(small_disk: Path, tmp_path: Path):
    data = small_disk / "data"
    inbox = data / "raw" / "inbox"
    inbox.mkdir(parents=True)
    for page in sorted((ROOT / "samples" / "inbox").glob("*")):
        shutil.copy2(page, inbox / page.name)
    free = shutil.disk_usage(small_disk).free
    with open(small_disk / "filler", "wb") as fh:  # leave room for the inbox pages only
        os.posix_fallocate(fh.fileno(), 0, free - 150_000)
    (tmp_path / "none.yaml").write_text("sources: []\n")
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect")}
    done = subprocess.run([str(ROOT / ".venv/bin/govreports"), "run", "--data-dir", str(data),
                           "--sources", str(tmp_path / "none.yaml")], capture_output=True, text=True, env=env)
    assert done.returncode == 1, done.stdout
    failed = [line for line in done.stderr.splitlines() if "run failed:" in line]
    assert len(failed) == 1 and f"run failed: disk full under {data}" in failed[0]
    assert "panicked" not in failed[0]
    assert "published release" not in done.stdout
    assert read_releases(DataPaths.from_dir(data, env={})) == []
