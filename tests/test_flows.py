"""The flows end to end, under one Prefect test server for this module: real raw store, real parser,
real GX validation, real Delta tables in a tmp data dir, and a real HTTP portal on 127.0.0.1.

What must hold: a run publishes exactly one version when something is new and none otherwise;
old versions read back unchanged; bad pages are recorded with their reason and do not stop the
run; a backfill replaces only its years and is idempotent.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
import yaml

from flows import _runtime as rt
from govreports.config import DataPaths
from govreports.io import curated
from tests.fakeportal import FakePortal
from tests.support.flows import TABLES, drop_into_inbox, nightly, no_sources, read_all
from tests.support.pages import ROOT, SAMPLES, extra_page

pytestmark = [pytest.mark.timeout(240), pytest.mark.usefixtures("prefect_server")]  # the session's server (conftest)


def all_failures(summary: dict) -> list[dict]:
    return summary["pages"]["failed"] + summary["parse"]["errors"]


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> tuple[Path, dict]:
    """A data dir after one nightly run on the bundled samples, and that run's summary (read-only:
    tests that change data work on a copy, `copy_of(published)`)."""
    data = tmp_path_factory.mktemp("published") / "data"
    return data, nightly(data, with_samples=True)


def copy_of(published: tuple[Path, dict], tmp_path: Path) -> Path:
    """A private copy of the published data dir (Delta logs use relative paths, so copies work)."""
    target = tmp_path / "data"
    shutil.copytree(published[0], target, ignore=shutil.ignore_patterns(".prefect"))
    return target


def test_samples_publish_release_1_of_every_table(published):
    data, first = published
    assert first["release"]["number"] == 1
    assert set(first["release"]["tables"]) >= set(TABLES)
    assert all(first["release"]["tables"][name]["rows"] > 0 for name in TABLES)
    assert first["pages"]["received"] == len(SAMPLES)
    assert first["parse"]["documents"] >= len(SAMPLES)
    assert first["parse"]["errors"] == []
    summary = json.loads((data / "runs" / first["run_id"] / "summary.json").read_text(encoding="utf-8"))
    assert summary["release"]["number"] == 1 and summary["logical_date"] == first["logical_date"]
    assert Path(first["report"]).is_file() and Path(first["report"]).with_suffix(".json").is_file()
    assert sorted(p.name for p in (ROOT / "samples" / "inbox").glob("*")) == [p.name for p in SAMPLES]


def _lost_worker(*args, **kwargs):
    raise RuntimeError("worker lost")


def test_nothing_new_then_a_new_page_makes_release_2(published, tmp_path, monkeypatch):
    import prefect.runtime.flow_run

    data = copy_of(published, tmp_path)
    v1 = read_all(data)
    # as if scheduled for 02:30 Asia/Shanghai on 2024-03-02 and started whenever: the date is the schedule's
    scheduled = datetime(2024, 3, 1, 18, 30, tzinfo=UTC)
    with monkeypatch.context() as patch:
        patch.setattr(prefect.runtime.flow_run, "scheduled_start_time", scheduled, raising=False)
        second = nightly(data)
    assert second["logical_date"] == "2024-03-02"
    assert second["scheduled_start_time"] == "2024-03-02T02:30:00+08:00"
    assert second["run_id"].startswith("20240301T183000Z-")
    assert second["release"]["number"] is None
    assert "nothing new" in second["release"]["note"]
    assert len(curated.versions(data_dir=data)) == 1, "no new version"
    assert read_all(data) == v1

    drop_into_inbox(data, ("extra-report.html", extra_page()))
    with monkeypatch.context() as patch:  # the whole parse batch fails (say, its worker was killed)
        patch.setattr("tasks.parse.stage_many", _lost_worker)
        lost = nightly(data)
    assert lost["pages"]["received"] == 1 and lost["release"]["number"] is None
    [entry] = lost["parse"]["errors"]
    assert entry["sha256"] == hashlib.sha256(extra_page()).hexdigest()
    assert entry["error"].startswith("batch_failed:") and "worker lost" in entry["error"]

    third = nightly(data)  # the page stayed pending, so this run parses and publishes it
    assert third["release"]["number"] == 2
    assert third["pages"]["received"] == 0 and third["parse"]["pages"] == 1
    assert read_all(data, version=1) == v1, "release 1 must read back unchanged"
    v2 = read_all(data)
    assert len(v2["documents"]) > len(v1["documents"])
    assert set(v1["documents"]) <= set(v2["documents"])


def test_fetch_and_inbox_in_one_run_then_nothing_new(tmp_path):
    with FakePortal() as portal:
        sources = tmp_path / "sources.yaml"
        sources.write_text(yaml.safe_dump({"sources": [portal.source_config()]}, allow_unicode=True),
                           encoding="utf-8")
        data = tmp_path / "data"
        drop_into_inbox(data, SAMPLES[1])
        first = nightly(data, sources_file=str(sources))
        assert first["pages"]["received"] == 1
        assert first["pages"]["fetched"] >= 5
        assert first["release"]["number"] == 1
        sources_seen = set(curated.read_arrow("pages", data_dir=data).column("source").to_pylist())
        assert any("127.0.0.1" in (s or "") or "fakeportal" in (s or "") for s in sources_seen)

        portal.clear_log()
        second = nightly(data, sources_file=str(sources))
        assert second["pages"]["fetched"] == 0
        assert second["release"]["number"] is None
        report_gets = [r for r in portal.requests if r.path.startswith("/art/") and r.status == 200]
        assert report_gets == [], "reports already fetched must not be downloaded again"


def test_backfill_replaces_only_its_year_and_is_idempotent(published, tmp_path):
    from flows.backfill import backfill

    data = copy_of(published, tmp_path)
    paths = DataPaths.from_dir(data)
    before = curated.read_arrow("documents", data_dir=paths).to_pylist()
    years = sorted({d["report_year"] for d in before if d["report_year"] is not None})
    assert len(years) >= 2, "the samples cover several report years"
    # a year that shares a page with another year: only its own documents may be replaced
    by_page: dict[str, set[int]] = {}
    for d in before:
        by_page.setdefault(d["raw_sha256"], set()).add(d["report_year"])
    target = min((y for ys in by_page.values() if len(ys) > 1 for y in ys), default=years[0])

    def rows_by_year(version=None):
        out = {}
        for name in TABLES:
            table = curated.read_arrow(name, version, data_dir=paths)
            if "report_year" not in table.column_names:
                continue
            for row in table.to_pylist():
                out.setdefault(row["report_year"], []).append(json.dumps(row, sort_keys=True, default=str))
        return {y: sorted(r) for y, r in out.items()}

    # make the target year stale, as an older parser would have left it: release 2
    stale = curated.read_arrow("documents", data_dir=paths)
    stale = stale.filter(pc.equal(stale["report_year"], target))
    titles = pa.array(["STALE"] * stale.num_rows, pa.string())
    stale = stale.set_column(stale.schema.get_field_index("title"), stale.schema.field("title"), titles)
    curated.publish(paths, {"documents": stale}, run_id="stale", code_version="old", kind="backfill",
                    replace_years=[target])
    old = rows_by_year()
    assert any('"STALE"' in row for row in old[target])

    first = backfill(years=[target], data_dir=str(data)).to_json()
    assert first["release"]["number"] == 3 and first["years"] == [target]
    new = rows_by_year()
    assert not any('"STALE"' in row for row in new[target]), "the year was re-parsed with today's code"
    assert new == rows_by_year(version=1), "today's parse of the year equals the original release"
    for year in years:
        if year != target:
            assert new.get(year) == old.get(year), f"year {year} changed"
    again = backfill(years=[target], data_dir=str(data)).to_json()
    assert again["release"]["number"] is None
    assert len(curated.versions(data_dir=data)) == 3
    assert rows_by_year() == new


def test_samples_are_copied_not_moved(tmp_path):
    count = rt.copy_samples(tmp_path / "inbox")
    assert count == len(SAMPLES)
    assert all(p.exists() for p in SAMPLES)


def test_bad_pages_are_recorded_and_the_rest_publishes_via_the_cli(published, tmp_path, monkeypatch, capsys):
    """`govreports run` on an inbox with a good page and three bad ones: exit 0, each bad one recorded."""
    from govreports_cli.run_cmd import run_backfill, run_nightly

    for key in ("PREFECT_HOME", "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS",
                "PREFECT_SERVER_ANALYTICS_ENABLED", "PREFECT_LOGGING_LEVEL"):
        monkeypatch.setenv(key, os.environ.get(key, ""))  # whatever run_cmd sets is undone after the test
    data = copy_of(published, tmp_path)
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    drop_into_inbox(data, ("extra-report.html", extra_page()),
                    ("scan.html", png),      # binary under a page name: stored, refused by the parser
                    ("empty.html", b""),     # refused by the inbox
                    ("photo.png", png))      # refused by the inbox (not a page type)
    assert run_nightly(data, sources=Path(no_sources(data)), with_samples=False, dask_address=None) == 0
    out = capsys.readouterr().out
    assert "received 2" in out and "failed 2" in out and "1 page errors" in out, out
    assert "scan.html: not_text" in out and "published release 2" in out, out

    summary = json.loads(_latest_summary(data))
    recorded = {(f.get("name") or f.get("source")): (f.get("reason") or f.get("error"))
                for f in summary["pages"]["failed"] + summary["parse"]["errors"]}
    assert recorded["scan.html"].startswith("not_text"), recorded
    assert recorded["empty.html"].startswith("empty file"), recorded
    assert recorded["photo.png"].startswith("unknown extension"), recorded
    pages = {p["raw_sha256"]: p for p in curated.read_arrow("pages", data_dir=data).to_pylist()}
    bad = pages[hashlib.sha256(png).hexdigest()]
    assert bad["status"] == "error" and bad["error"].startswith("not_text"), bad
    assert (DataPaths.from_dir(data).quarantine_dir / "empty.html.reason.txt").is_file()
    docs = curated.read_arrow("documents", data_dir=data)
    assert docs.num_rows > published[1]["parse"]["documents"], "the good page was published"

    assert run_backfill([2021, 2022], data, as_range=True) == 0
    out = capsys.readouterr().out
    assert "years 2021, 2022" in out and "nothing new" in out

    bad_sources = tmp_path / "bad-sources.yaml"
    bad_sources.write_text("sources: [{name: Bad Name}]\n", encoding="utf-8")
    assert run_nightly(data, sources=bad_sources, with_samples=False, dask_address=None) == 2  # before Prefect
    [line] = capsys.readouterr().err.strip().splitlines()
    assert f"sources file {bad_sources} (--sources) is invalid" in line and "name: must be" in line


def _latest_summary(data: Path) -> str:
    runs = sorted(data.glob("runs/*/summary.json"), key=lambda p: p.stat().st_mtime)
    return runs[-1].read_text(encoding="utf-8")


def store_samples(paths: DataPaths, n: int) -> list[str]:
    """Put the first `n` sample pages into the raw store (as the inbox would); their hashes."""
    from govreports.io import raw_store

    return [raw_store.put(paths, p.read_bytes(), source="inbox", original_name=p.name).sha256 for p in SAMPLES[:n]]


def crash_on(monkeypatch: pytest.MonkeyPatch, sha: str) -> None:
    """Make the worker's parser raise ZeroDivisionError("boom") on the page `sha` (and only on it)."""
    from govreports.io import parse_pool

    real = parse_pool.parse_page

    def flaky(data, source, **kwargs):
        if kwargs["raw_sha256"] == sha:
            raise ZeroDivisionError("boom")
        return real(data, source, **kwargs)

    monkeypatch.setattr(parse_pool, "parse_page", flaky)


def test_a_page_that_crashes_the_parser_is_recorded_and_the_batch_goes_on(tmp_path, monkeypatch):
    from govreports.io import parse_pool

    paths = DataPaths.from_dir(tmp_path)
    hashes = store_samples(paths, 2)
    crash_on(monkeypatch, hashes[0])
    crashed, ok = [parse_pool.parse_stored(paths, sha) for sha in hashes]
    assert crashed.error == "crash: ZeroDivisionError: boom" and crashed.raw_sha256 == hashes[0]
    assert crashed.source == "inbox" and not crashed.documents
    assert ok.error is None and ok.documents


def test_a_staged_batch_is_reused_only_when_complete_and_for_the_same_pages_and_code(tmp_path, monkeypatch):
    from govreports.io import parse_pool, staging
    from tasks import parse as parse_mod

    paths = DataPaths.from_dir(tmp_path)
    hashes = store_samples(paths, 2)
    stage = tmp_path / "stage"
    first = parse_mod.parse_batch.fn(paths, hashes, "v1", "run-1", str(stage), 0)
    assert [e.sha256 for e in first.pages] == sorted(hashes)
    assert all(e.documents >= 1 and e.error is None for e in first.pages)
    staged = staging.read_tables(Path(first.dir) / "parsed")
    assert sorted(set(staged["documents"].column("raw_sha256").to_pylist())) == sorted(hashes)
    assert staged["sections"].num_rows and staged["quantities"].num_rows

    calls = []
    monkeypatch.setattr(parse_mod, "stage_many", lambda *args, **kwargs: calls.append(args) or [])
    assert parse_mod.parse_batch.fn(paths, hashes[::-1], "v1", "run-1", str(stage), 0) == first
    assert not calls, "a complete batch of the same pages and code is reused (a retried flow run)"
    parse_mod.parse_batch.fn(paths, hashes, "v2", "run-1", str(stage), 0)
    assert len(calls) == 1, "other code: staged again"
    (Path(first.dir) / staging.MANIFEST).unlink()
    parse_mod.parse_batch.fn(paths, hashes, "v2", "run-1", str(stage), 0)
    assert len(calls) == 2, "no manifest = cut short: staged again"
    assert parse_pool.batch_key(["b", "a"], "1") == parse_pool.batch_key(["a", "b"], "1")
    assert parse_pool.batch_key(["a", "b"], "1") != parse_pool.batch_key(["a", "b"], "2")
    assert parse_pool.batch_key(["a"], "1") != parse_pool.batch_key(["a", "b"], "1")
    assert parse_pool.batches(["c", "a", "b"], 2) == [["a", "b"], ["c"]]


def test_a_crashing_page_is_staged_as_an_error_and_its_chunk_mates_as_rows(tmp_path, monkeypatch):
    from govreports.io import parse_pool, staging

    paths = DataPaths.from_dir(tmp_path)
    hashes = sorted(store_samples(paths, 3))
    crash_on(monkeypatch, hashes[1])
    out = tmp_path / "parsed"
    entries = parse_pool.stage_many(paths, hashes, "v", "run", str(out), chunk_size=2, pool=False)
    assert [e.sha256 for e in entries] == hashes
    assert entries[1].error == "crash: ZeroDivisionError: boom" and entries[1].documents == 0
    assert entries[1].name in {p.name for p in SAMPLES[:3]}, "named as a person knows it"
    documents = staging.read_table(out, "documents")
    assert set(documents.column("raw_sha256").to_pylist()) == {hashes[0], hashes[2]}
    pages = staging.read_table(out, "pages")
    status = dict(zip(pages.column("raw_sha256").to_pylist(), pages.column("status").to_pylist(), strict=True))
    assert status == {hashes[0]: "ok", hashes[1]: "error", hashes[2]: "ok"}
    assert [f.name for f in staging.parts(out, "pages")] == ["c00000.parquet", "c00001.parquet"]


def test_a_page_whose_raw_object_or_sidecar_is_gone_is_recorded_and_its_chunk_staged(tmp_path):
    from govreports.io import parse_pool, staging

    paths = DataPaths.from_dir(tmp_path)
    hashes = sorted(store_samples(paths, 3))
    paths.object_path(hashes[0]).unlink()
    paths.sidecar_path(hashes[2]).write_text("{not json", encoding="utf-8")
    out = tmp_path / "parsed"
    entries = parse_pool.stage_many(paths, hashes, "v", "run", str(out), pool=False)
    assert entries[0].error.startswith("unreadable:") and entries[0].documents == 0
    assert entries[1].error is None and entries[1].documents >= 1
    assert entries[2].error.startswith("unreadable:")
    assert set(staging.read_table(out, "documents").column("raw_sha256").to_pylist()) == {hashes[1]}
    assert staging.read_table(out, "pages").num_rows == 3


def test_a_backfill_keeps_the_run_that_first_quarantined_a_document(tmp_path):
    from govreports.io.publish_inputs import keep_first_quarantine_runs
    from govreports.tables.schemas import SCHEMAS

    paths = DataPaths.from_dir(tmp_path)

    def quarantine(run_id: str, failed: str) -> pa.Table:
        row = {"doc_id": "d1", "raw_sha256": "a" * 64, "source": "inbox", "report_year": 2022,
               "failed": failed, "run_id": run_id}
        return pa.Table.from_pylist([row], schema=SCHEMAS["quarantine"])

    curated.publish(paths, {"quarantine": quarantine("night-1", '[{"expectation": "x"}]')},
                    run_id="night-1", code_version="v")
    same = keep_first_quarantine_runs(paths, quarantine("backfill-2", '[{"expectation": "x"}]'))
    assert same.column("run_id").to_pylist() == ["night-1"]
    other = keep_first_quarantine_runs(paths, quarantine("backfill-2", '[{"expectation": "y"}]'))
    assert other.column("run_id").to_pylist() == ["backfill-2"], "a new reason is a new quarantine"
    assert curated.publish(paths, {"quarantine": same}, run_id="backfill-2", code_version="v", kind="backfill",
                           replace_years=[2022], raw_hashes=["a" * 64]) is None


def test_pages_parse_while_the_inbox_is_received_and_publish_as_one_run_would(published, tmp_path, monkeypatch):
    """The inbox's new pages are batched as they are received (chunks of 2 pages, batches of 2 here):
    the first batch is submitted before the receipt is over (the receipt waits after its first chunk
    until it is; a receipt that the flow waited for would wait in vain), the last page comes with the
    pending list, every page is parsed once, and the release has the rows of the samples' one-batch run."""
    import threading

    from govreports.io import inbox as inbox_mod
    from tasks import parse as parse_mod

    monkeypatch.setattr(inbox_mod, "CHUNK_PAGES", 2)
    submitted, waited, commits = threading.Event(), [], []
    real_commit, real_submit = inbox_mod._Chunk.commit, parse_mod.parse_batch.submit
    batches: list[list[str]] = []

    def commit(self):
        real_commit(self)
        commits.append(1)
        if len(commits) == 1:
            waited.append(submitted.wait(60))  # the flow parses these 2 pages while 3 still wait here

    def submit(paths, hashes, *args, **kwargs):
        batches.append(list(hashes))
        submitted.set()
        return real_submit(paths, hashes, *args, **kwargs)

    monkeypatch.setattr(inbox_mod._Chunk, "commit", commit)
    monkeypatch.setattr(parse_mod.parse_batch, "submit", submit)
    data = tmp_path / "data"
    run = nightly(data, with_samples=True, batch_size=2)
    assert waited == [True], "no batch was submitted before the receipt was over"
    assert [len(b) for b in batches] == [2, 2, 1] and len({h for b in batches for h in b}) == len(SAMPLES)
    assert run["parse"]["pages"] == len(SAMPLES) and run["parse"]["errors"] == []
    assert run["pages"]["received"] == len(SAMPLES)
    mine, theirs = read_all(data), read_all(published[0])
    assert {n: len(rows) for n, rows in mine.items()} == {n: len(rows) for n, rows in theirs.items()}
    ids = [sorted(r["doc_id"] for r in curated.read_arrow("documents", data_dir=DataPaths.from_dir(d)).to_pylist())
           for d in (data, published[0])]
    assert ids[0] == ids[1]
