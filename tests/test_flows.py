"""The flows end to end, under one Prefect test server for this module: real raw store, real parser,
real GX validation, real Delta tables in a tmp data dir, and a real HTTP portal on 127.0.0.1.

What must hold: a run publishes exactly one version when something is new and none otherwise;
old versions read back unchanged; bad pages are recorded with their reason and do not stop the
run; a backfill replaces only its years and is idempotent.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from flows import _runtime as rt
from govreports.config import DataPaths
from govreports.io import curated
from tests.fakeportal import FakePortal

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = sorted((ROOT / "samples" / "inbox").glob("*"))
TABLES = ("documents", "sections", "quantities", "indicators", "keywords", "citations", "pages")
pytestmark = pytest.mark.timeout(240)


@pytest.fixture(scope="module", autouse=True)
def prefect_server(tmp_path_factory):
    """One test server for the module; results (the parse cache) in a tmp PREFECT_HOME."""
    from prefect.settings import (
        PREFECT_HOME,
        PREFECT_LOGGING_TO_API_ENABLED,
        PREFECT_RESULTS_LOCAL_STORAGE_PATH,
        PREFECT_SERVER_ANALYTICS_ENABLED,
        temporary_settings,
    )
    from prefect.testing.utilities import prefect_test_harness

    home = tmp_path_factory.mktemp("prefect-home")
    settings = {PREFECT_HOME: home, PREFECT_RESULTS_LOCAL_STORAGE_PATH: home / "storage",
                PREFECT_SERVER_ANALYTICS_ENABLED: False, PREFECT_LOGGING_TO_API_ENABLED: False}
    with temporary_settings(updates=settings), prefect_test_harness(server_startup_timeout=90):
        yield


def nightly(data_dir: Path, **kwargs) -> dict:
    from flows.nightly import nightly as flow

    return flow(data_dir=str(data_dir), **kwargs)


def read_all(data_dir: Path, version: int | None = None) -> dict[str, list[dict]]:
    """Every curated table as sorted rows (order-free comparison)."""
    paths = DataPaths.from_dir(data_dir)
    out = {}
    for name in TABLES:
        table = curated.read_arrow(name, version, data_dir=paths)
        rows = [json.dumps(r, sort_keys=True, ensure_ascii=False, default=str) for r in table.to_pylist()]
        out[name] = sorted(rows)
    return out


def drop_into_inbox(data_dir: Path, *files: Path | tuple[str, bytes]) -> None:
    inbox = DataPaths.from_dir(data_dir).inbox_dir
    inbox.mkdir(parents=True, exist_ok=True)
    for item in files:
        if isinstance(item, tuple):
            (inbox / item[0]).write_bytes(item[1])
        else:
            shutil.copy2(item, inbox / item.name)


def extra_page() -> bytes:
    """A report page no sample contains (a fake-portal report rendered as a saved HTML page)."""
    from tests.fakeportal import ANSHAN_2023, report_html

    return report_html("鞍山市教育局2023年法治政府建设年度报告(修订)", [*ANSHAN_2023, "特此报告。"]).encode()


def all_failures(summary: dict) -> list[dict]:
    return summary["pages"]["failed"] + summary["parse"]["errors"]


def test_samples_then_nothing_new_then_a_new_page(tmp_path):
    first = nightly(tmp_path, with_samples=True)
    assert first["release"]["number"] == 1
    assert first["pages"]["received"] == len(SAMPLES)
    assert first["parse"]["documents"] >= len(SAMPLES)
    assert (tmp_path / "runs" / first["run_id"] / "summary.json").is_file()
    assert Path(first["report"]).is_file()
    assert [p.name for p in sorted((ROOT / "samples" / "inbox").glob("*"))] == [p.name for p in SAMPLES]
    v1 = read_all(tmp_path)
    assert all(v1[name] for name in ("documents", "sections", "pages"))

    second = nightly(tmp_path)
    assert second["release"]["number"] is None
    assert "nothing new" in second["release"]["note"]
    assert read_all(tmp_path) == v1

    drop_into_inbox(tmp_path, ("extra-report.html", extra_page()))
    third = nightly(tmp_path)
    assert third["release"]["number"] == 2
    assert third["pages"]["received"] == 1
    assert read_all(tmp_path, version=1) == v1, "release 1 must read back unchanged"
    v2 = read_all(tmp_path)
    assert len(v2["documents"]) > len(v1["documents"])
    assert set(v1["documents"]) <= set(v2["documents"])


def test_bad_pages_are_recorded_and_the_rest_publishes(tmp_path):
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4  # binary bytes under a page name: parsed, refused
    drop_into_inbox(tmp_path, SAMPLES[0], ("scan.html", png), ("empty.html", b""), ("photo.png", png))
    summary = nightly(tmp_path)
    assert summary["release"]["number"] == 1
    failures = {json.dumps(f, ensure_ascii=False) for f in all_failures(summary)}
    for name in ("scan.html", "empty.html", "photo.png"):
        hit = [f for f in failures if name in f]
        assert hit, f"{name} not recorded in {failures}"
        assert all(json.loads(h).get("reason") or json.loads(h).get("error") for h in hit)
    docs = curated.read_arrow("documents", data_dir=tmp_path)
    assert docs.num_rows >= 1


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


def test_backfill_replaces_only_its_year_and_is_idempotent(tmp_path):
    from flows.backfill import backfill

    nightly(tmp_path, with_samples=True)
    paths = DataPaths.from_dir(tmp_path)
    before = curated.read_arrow("documents", data_dir=paths).to_pylist()
    years = sorted({d["report_year"] for d in before if d["report_year"] is not None})
    assert len(years) >= 2, "the samples cover several report years"
    target = years[0]

    def rows_by_year(version=None):
        out = {}
        for name in TABLES:
            table = curated.read_arrow(name, version, data_dir=paths)
            if "report_year" not in table.column_names:
                continue
            for row in table.to_pylist():
                out.setdefault(row["report_year"], []).append(json.dumps(row, sort_keys=True, default=str))
        return {y: sorted(r) for y, r in out.items()}

    old = rows_by_year()
    first = backfill(years=[target], data_dir=str(tmp_path))
    assert first["parse"]["documents"] >= 1
    new = rows_by_year()
    for year in years:
        if year != target:
            assert new.get(year) == old.get(year), f"year {year} changed"
    again = backfill(years=[target], data_dir=str(tmp_path))
    assert again["release"]["number"] is None
    assert rows_by_year() == new


def test_samples_are_copied_not_moved(tmp_path):
    count = rt.copy_samples(tmp_path / "inbox")
    assert count == len(SAMPLES)
    assert all(p.exists() for p in SAMPLES)
