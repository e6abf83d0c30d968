"""How many parse workers a run starts: one per core but one (the flow process validates meanwhile),
or what the operator sets in $GOVREPORTS_PARSE_WORKERS; a malformed setting stops the command first."""

import subprocess
import sys

import pytest

from govreports import settings


@pytest.mark.parametrize(("cores", "expected"), [(1, 1), (2, 1), (8, 7), (None, 1)])
def test_one_worker_per_core_but_one(monkeypatch, cores, expected):
    monkeypatch.delenv(settings.PARSE_WORKERS_ENV, raising=False)
    monkeypatch.setattr(settings.os, "cpu_count", lambda: cores)
    assert settings.parse_workers() == expected


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
