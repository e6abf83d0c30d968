"""Temporary Prefect servers start from a migrated empty database kept per Prefect version
(govreports_cli/prefect_db_template.py) instead of migrating a new one each time."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from govreports_cli import prefect_db_template as tpl
from tests.support.flows import no_sources

GOVREPORTS = str(Path(__file__).resolve().parents[1] / ".venv" / "bin" / "govreports")


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv(tpl.CACHE_ENV, str(tmp_path / "cache"))
    for name in tpl.DB_URL_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "cache"


def _database(path: Path, marker: str) -> Path:
    """A small SQLite database in WAL mode (as Prefect's), holding `marker`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE probe (marker TEXT)")
        db.execute("INSERT INTO probe VALUES (?)", (marker,))
        db.commit()
    return path


def _marker(path: Path) -> str:
    with contextlib.closing(sqlite3.connect(path)) as db:
        return db.execute("SELECT marker FROM probe").fetchone()[0]


def test_the_template_is_kept_per_prefect_version_in_the_cache(cache):
    path = tpl.template_path()
    assert path is not None and path.parent.parent == cache / "prefect-db"
    from importlib.metadata import version

    assert path.parent.name == version("prefect")


def test_a_new_home_is_seeded_and_an_existing_database_is_never_replaced(cache, tmp_path):
    _database(tpl.template_path(), "template")
    new = tmp_path / "new"
    new.mkdir()
    assert tpl.seed(new) is True and _marker(new / tpl.DB_NAME) == "template"
    used = tmp_path / "used"
    _database(used / tpl.DB_NAME, "mine")
    assert tpl.seed(used) is False and _marker(used / tpl.DB_NAME) == "mine"


def test_no_template_means_no_seed(cache, tmp_path):
    assert tpl.seed(tmp_path) is False and not (tmp_path / tpl.DB_NAME).exists()


def test_a_configured_database_is_left_alone(cache, tmp_path, monkeypatch):
    monkeypatch.setenv("PREFECT_SERVER_DATABASE_CONNECTION_URL", "postgresql+asyncpg://db/prefect")
    _database(tmp_path / "home" / tpl.DB_NAME, "x")
    assert tpl.keep(tmp_path / "home") is False and not tpl.template_path().exists()
    _database(tpl.template_path(), "template")
    assert tpl.seed(tmp_path) is False and not (tmp_path / tpl.DB_NAME).exists()


def test_keep_copies_a_live_database_whole_and_only_once(cache, tmp_path):
    home = tmp_path / "home"
    source = _database(home / tpl.DB_NAME, "first")
    with contextlib.closing(sqlite3.connect(source)) as live:  # the server holds it open, WAL not checkpointed
        live.execute("INSERT INTO probe VALUES ('in the wal')")
        live.commit()
        assert tpl.keep(home) is True
    template = tpl.template_path()
    with contextlib.closing(sqlite3.connect(template)) as db:
        assert [r[0] for r in db.execute("SELECT marker FROM probe")] == ["first", "in the wal"]
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert sorted(p.name for p in template.parent.iterdir()) == [tpl.DB_NAME], "no -wal, no partial file"
    _database(tmp_path / "other" / tpl.DB_NAME, "second")
    assert tpl.keep(tmp_path / "other") is False and _marker(template) == "first"


def test_a_file_that_is_not_a_database_leaves_no_template(cache, tmp_path):
    (tmp_path / tpl.DB_NAME).write_bytes(b"not sqlite at all" * 100)
    assert tpl.keep(tmp_path) is False
    folder = tpl.template_path().parent
    assert not folder.exists() or list(folder.iterdir()) == [], "no template, no partial file"


@pytest.mark.server
@pytest.mark.slow
def test_the_second_temporary_server_starts_from_the_first_ones_database(tmp_path):
    """A shell run on a new data dir leaves the template (no run in it); the next run on another new
    data dir starts from a copy of it and runs as before."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "GOVREPORTS_"))}
    env.update({tpl.CACHE_ENV: str(tmp_path / "cache"), "GOVREPORTS_INBOX_SETTLE_SECONDS": "0"})
    sources = no_sources(tmp_path)

    def run(data: Path) -> None:
        done = subprocess.run([GOVREPORTS, "run", "--data-dir", str(data), "--init", "--with-samples", "--sources",
                               sources, "--server", "temporary", "-q"], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]

    run(tmp_path / "a")
    env_template = Path(env[tpl.CACHE_ENV]) / "prefect-db"
    [template] = env_template.glob(f"*/{tpl.DB_NAME}")
    with contextlib.closing(sqlite3.connect(template)) as db:
        assert db.execute("SELECT count(*) FROM flow_run").fetchone()[0] == 0, "the template holds no run"
        head = db.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        db.execute("CREATE TABLE probe (marker TEXT)")  # what only a copy of this file can contain
        db.commit()
    run(tmp_path / "b")
    with contextlib.closing(sqlite3.connect(tmp_path / "b" / ".prefect" / tpl.DB_NAME)) as db:
        assert db.execute("SELECT count(*) FROM probe").fetchone()[0] == 0, "b's database is a copy"
        assert db.execute("SELECT version_num FROM alembic_version").fetchone()[0] == head
        assert db.execute("SELECT count(*) FROM flow_run WHERE state_type = 'COMPLETED'").fetchone()[0] == 1


def test_a_cache_that_cannot_be_written_is_skipped_not_fatal(cache, tmp_path):
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text("a file where the cache directory should be", encoding="utf-8")
    _database(tmp_path / "home" / tpl.DB_NAME, "x")
    assert tpl.keep(tmp_path / "home") is False
    assert tpl.seed(tmp_path / "other") is False
