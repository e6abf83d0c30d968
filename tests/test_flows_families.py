"""Nightly runs against the loopback family portals: every report published; a failed parse comes back by retry."""

from __future__ import annotations

import pytest
import yaml

from govreports.config import DataPaths
from govreports.io import curated, retry_ledger
from tests.familyportal import FamilyPortal
from tests.support.flows import nightly

pytestmark = [pytest.mark.timeout(300), pytest.mark.usefixtures("prefect_server")]


@pytest.fixture(scope="module")
def portal():
    with FamilyPortal() as p:
        yield p


def _sources(portal, tmp_path, columns=("trs", "hanweb", "gkmlpt")):
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump({"sources": [portal.source_config(c) for c in columns]}, allow_unicode=True),
                    encoding="utf-8")
    return str(path)


def test_nightly_publishes_every_report_of_the_three_families(portal, tmp_path):
    data = tmp_path / "data"
    summary = nightly(data, sources_file=_sources(portal, tmp_path))
    expected = {portal.url(p) for column in ("trs", "hanweb", "gkmlpt") for p in portal.reports[column]}
    assert summary["pages"]["fetched"] == len(expected) == 13
    # all_versions: the synthetic reports n and n+24 share title and body but for one sentence, which
    # reads as a corrected re-upload (issue 19); this test is about fetching, so every document counts
    docs = curated.read_arrow("documents", data_dir=data, columns=["url", "source"], all_versions=True).to_pylist()
    assert {d["url"] for d in docs} == expected
    assert {d["source"] for d in docs} == {"family-trs", "family-hanweb", "family-gkmlpt"}


def test_failed_parse_backs_off_then_retry_publishes_it(portal, tmp_path, monkeypatch):
    import govreports.io.parse_pool as worker

    real = worker.parse_page
    broken = portal.body(portal.reports["trs"][0])

    def buggy(data, *args, **kwargs):  # yesterday's code: crashes on one page
        if data == broken:
            raise RuntimeError("parser bug")
        return real(data, *args, **kwargs)

    monkeypatch.setattr(worker, "parse_page", buggy)
    data = tmp_path / "data"
    sources = _sources(portal, tmp_path, ("trs",))
    first = nightly(data, sources_file=sources)
    paths = DataPaths.from_dir(data)
    failed = retry_ledger.failed_pages(paths)
    assert len(failed) == 1 and "parser bug" in next(iter(failed.values()))
    (sha,) = failed
    assert retry_ledger.load(paths)[sha]["attempts"] == 1
    assert first["retries"]["failed"] == 1

    second = nightly(data, sources_file=sources)  # same night: backing off, not parsed again
    assert second["retries"]["retried"] == 0 and retry_ledger.load(paths)[sha]["attempts"] == 1

    monkeypatch.setattr(worker, "parse_page", real)  # the code fix
    from flows.retry import retry

    summary = retry(pages=[sha[:12]], data_dir=str(data), sources_file=sources).to_json()
    assert summary["made_due"]["pages"] == [sha]
    assert summary["retries"]["retried"] == 1 and summary["retries"]["recovered"] == 1
    assert summary["release"]["number"] is not None
    pages = {r["raw_sha256"]: r for r in curated.read_arrow("pages", data_dir=data).to_pylist()}
    assert pages[sha]["status"] == "ok" and pages[sha]["error"] is None
    docs = curated.read_arrow("documents", data_dir=data, columns=["raw_sha256"], all_versions=True).to_pylist()
    assert sha in {d["raw_sha256"] for d in docs}
    assert retry_ledger.failed_pages(paths) == {} and sha not in retry_ledger.load(paths)


def test_maintain_command_runs_the_flow_and_writes_its_report(tmp_path, capsys):
    import json

    from govreports_cli.ops_cmd import run_maintain
    from tests.release_store import build_store

    store = build_store(tmp_path / "data")
    assert run_maintain(tmp_path / "data", keep_releases=None, dry_run=False) == 0
    out = capsys.readouterr().out
    assert "recorded release 4" in out and "kept releases readable: 1–4" in out
    (report,) = (tmp_path / "data" / "runs").rglob("maintenance.json")
    data = json.loads(report.read_text(encoding="utf-8"))
    assert data["release"] == 4 and data["files_after"] < data["files_before"]
    assert curated.read_releases(store.paths)[-1].kind == "maintain"


def test_retry_command_needs_all_or_pages(capsys):
    from govreports_cli.ops_cmd import run_retry

    assert run_retry([], None, sources=None, every=False) == 2
    assert "--all" in capsys.readouterr().err
