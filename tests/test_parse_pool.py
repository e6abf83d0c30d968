"""How many parse workers a run starts: one per PAGES_PER_WORKER pages up to one per core, or what
the operator sets in $GOVREPORTS_PARSE_WORKERS; a malformed setting stops the command first. How
pages are split into batches, and which batches the running pool takes."""

import itertools
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from govreports import settings
from govreports.config import DataPaths
from govreports.io import parse_pool


@pytest.mark.parametrize(("cores", "pages", "expected"), [
    (1, 10_000, 1), (2, 215, 1), (2, 500, 1), (2, 501, 2), (2, 10_000, 2), (8, 1_200, 3),
    (8, 50_000, 8), (None, 10_000, 1), (2, None, 2), (2, 0, 1)])
def test_workers_follow_the_run_up_to_one_per_core(monkeypatch, cores, pages, expected):
    monkeypatch.delenv(settings.PARSE_WORKERS_ENV, raising=False)
    monkeypatch.setattr(settings.os, "cpu_count", lambda: cores)
    assert settings.parse_workers(pages) == expected


def test_batches_are_as_few_and_as_even_as_the_size_allows():
    sizes = [len(b) for b in parse_pool.batches([f"{i:04d}" for i in range(1074)], 1000)]
    assert sizes == [537, 537]  # not 1,000 + a 74-page tail batch
    for n, size in itertools.product(range(0, 60), range(1, 12)):
        hashes = [f"{i:03d}" for i in range(n)][::-1]
        got = parse_pool.batches(hashes, size)
        assert [h for b in got for h in b] == sorted(hashes)
        assert len(got) == -(-n // size) and all(0 < len(b) <= size for b in got)
        assert not got or max(map(len, got)) - min(map(len, got)) <= 1
        assert got == parse_pool.batches(sorted(hashes), size)  # deterministic: batch keys repeat


def test_prestart_starts_the_planned_workers_and_only_for_a_run_that_uses_them(monkeypatch):
    monkeypatch.delenv(settings.PARSE_WORKERS_ENV, raising=False)
    monkeypatch.setattr(settings.os, "cpu_count", lambda: 2)
    parse_pool.close_pool()
    try:
        assert parse_pool.prestart_pool(parse_pool.POOL_MIN_PAGES - 1) is False
        assert not parse_pool.pool_running()
        assert parse_pool.prestart_pool(1_000) is True
        pool = parse_pool._POOL
        assert pool is not None and len(pool._processes) == 2  # spawned now, before any batch
        parse_pool.plan_pool(100)  # a running pool keeps its size
        assert parse_pool._shared_pool() is pool
    finally:
        parse_pool.close_pool()
    assert not parse_pool.pool_running()


def test_a_small_batch_goes_to_workers_already_running(tmp_path, monkeypatch):
    paths = DataPaths.from_dir(tmp_path)
    used: list[int] = []
    with ThreadPoolExecutor(1) as stand_in:  # records that the pool, not this thread, staged the chunk
        real = stand_in.submit

        def submit(fn, *args, **kwargs):
            used.append(len(args[1]))
            return real(fn, *args, **kwargs)

        monkeypatch.setattr(stand_in, "submit", submit)
        monkeypatch.setattr(parse_pool, "_shared_pool", lambda: stand_in)
        monkeypatch.setattr(parse_pool, "_can_fork_workers", lambda: True)
        monkeypatch.setattr(parse_pool, "pool_running", lambda: False)
        parse_pool.stage_many(paths, ["0" * 64], "v", "run-1", str(tmp_path / "stage-a"))
        assert used == []  # a 1-page batch with no pool up: parsed here
        monkeypatch.setattr(parse_pool, "pool_running", lambda: True)
        entries = parse_pool.stage_many(paths, ["0" * 64], "v", "run-1", str(tmp_path / "stage-b"))
    assert used == [1] and entries[0].error and entries[0].error.startswith("unreadable")


def test_the_operator_sets_the_number(monkeypatch):
    monkeypatch.setattr(settings.os, "cpu_count", lambda: 2)
    monkeypatch.setenv(settings.PARSE_WORKERS_ENV, "3")
    assert settings.parse_workers() == 3
    monkeypatch.setenv(settings.PARSE_WORKERS_ENV, "0")
    assert settings.parse_workers() == 1


def test_a_malformed_setting_is_an_error_naming_it(monkeypatch):
    monkeypatch.setenv(settings.PARSE_WORKERS_ENV, "two")
    with pytest.raises(settings.SettingError, match=r"GOVREPORTS_PARSE_WORKERS.*'two'"):
        settings.parse_workers()


def test_the_run_command_refuses_it_before_anything_starts(tmp_path):
    env = {"GOVREPORTS_PARSE_WORKERS": "two", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-m", "govreports_cli.main", "run", "--data-dir", str(tmp_path),
                          "--sources", "none", "-q"], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    assert "GOVREPORTS_PARSE_WORKERS" in out.stderr and "'two'" in out.stderr
    assert not (tmp_path / "runs").exists() and not (tmp_path / "curated").exists()
