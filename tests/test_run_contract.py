"""The run contract keeps summary.json as it always was: same keys, same order, same bytes.

tests/fixtures/runs/nightly-summary.json is the summary.json a real nightly run wrote (507 pages of
the equivalence corpus) before the summary became typed; the backfill and nothing-new shapes below
are the dicts the flows built by hand then.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from govreports.config import DataPaths
from govreports.io import runs
from govreports.io.releases import Release
from govreports.run_contract import (
    NOTHING_NEW,
    PageEntry,
    PagesCounts,
    ParseCounts,
    ReleaseOutcome,
    RunSummary,
    ValidationOutcome,
    failed_batch_entries,
)

REAL = Path(__file__).parent / "fixtures" / "runs" / "nightly-summary.json"

BACKFILL = {
    "run_id": "20261201T000000Z-abcdef12", "kind": "backfill", "years": [2021, 2022], "logical_date": "2026-12-01",
    "scheduled_start_time": "2026-12-01T08:00:00+08:00", "code_version": "0.1.0+abc", "data_dir": "/data",
    "pages": {"received": 0, "fetched": 0, "not_modified": 0, "skipped": 0, "failed": [], "reparsed": 3},
    "parse": {"pages": 3, "pages_ok": 2, "no_report": 1,
              "errors": [{"source": "inbox", "name": "a.html", "sha256": "a" * 64, "error": "no_report: x"},
                         {"source": None, "sha256": "b" * 64, "error": "batch_failed: lost"}],
              "documents": 2},
    "validation": {"success": None, "suites": {}, "quarantined": []},
    "release": {"number": None, "tables": {}, "changes": {}, "note": NOTHING_NEW},
}


def _dumped(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)


@pytest.mark.parametrize("data", [json.loads(REAL.read_text(encoding="utf-8")), BACKFILL], ids=["nightly", "backfill"])
def test_a_summary_round_trips_with_the_same_keys_in_the_same_order(data):
    summary = RunSummary.from_json(data)
    assert _dumped(summary.to_json()) == _dumped(data)
    assert RunSummary.from_json(summary.to_json()) == summary


def test_the_real_summary_is_written_back_byte_for_byte(tmp_path):
    summary = RunSummary.from_json(json.loads(REAL.read_text(encoding="utf-8")))
    assert isinstance(summary.pages, PagesCounts) and summary.parse.pages == 507
    assert summary.validation.suites["documents"].expectations == 29
    assert summary.release.tables["documents"]["rows"] == 533
    paths = DataPaths.from_dir(tmp_path, env={})
    path = runs.write_summary(paths, summary)
    assert path == paths.run_dir(summary.run_id) / "summary.json"
    assert path.read_bytes() == REAL.read_bytes()
    assert runs.read_summary(paths, summary.run_id) == summary
    assert runs.read_summary(paths, "another-run") is None


def test_the_report_path_and_made_due_travel_but_are_not_written(tmp_path):
    summary = RunSummary.from_json(BACKFILL)
    summary.report, summary.made_due = "/data/runs/x/report.html", {"pages": [], "urls": []}
    assert list(summary.to_json())[-2:] == ["report", "made_due"]
    summary.report = summary.made_due = None
    assert _dumped(summary.to_json()) == _dumped(BACKFILL)


def test_sections_are_built_as_the_flows_built_them():
    inbox = {"received": 2, "new": 1, "waiting": 3, "failed": [{"source": "x.png", "reason": "not_text"}]}
    fetches = [{"fetched": 4, "new": 2, "not_modified": 1, "skipped": 5, "failed": [{"source": "p", "url": "u",
                                                                                     "reason": "HTTP 404"}]}]
    assert PagesCounts.gathered(inbox, fetches).to_json() == {
        "received": 2, "waiting": 3, "fetched": 4, "new": 3, "not_modified": 1, "skipped": 5,
        "failed": [{"source": "x.png", "reason": "not_text"}, {"source": "p", "url": "u", "reason": "HTTP 404"}]}
    pages = [PageEntry("a" * 64, "inbox", "a.html", "no_report: x", 0), PageEntry("c" * 64, "inbox", None, None, 2)]
    parse = ParseCounts.of(pages, failed_batch_entries(["b" * 64], "lost"))
    assert parse.to_json() == {**BACKFILL["parse"], "pages": 2, "pages_ok": 1, "documents": 2}
    results = {"success": False, "rows_in": {"documents": 3}, "rows_out": {"documents": 2},
               "suites": {"documents": {"gx": {"statistics": {"evaluated_expectations": 5,
                                                              "unsuccessful_expectations": 1}},
                                        "checks": [{"success": False}, {"success": None}]}}}
    outcome = ValidationOutcome.of(results, {"d2": ["x"], "d1": ["y"]})
    assert outcome.to_json() == {"success": False, "suites": {"documents": {
        "success": False, "expectations": 6, "failed": 2, "rows_in": 3, "rows_out": 2}},
        "quarantined": [{"doc_id": "d1", "failed": ["y"]}, {"doc_id": "d2", "failed": ["x"]}]}
    assert ValidationOutcome.of(None, None).to_json() == BACKFILL["validation"]
    assert ReleaseOutcome.of(None).to_json() == BACKFILL["release"]


def test_a_summary_rebuilt_from_the_release_log():
    release = Release(release=3, created_at=dt.datetime(2026, 11, 2, 3, 4, tzinfo=dt.UTC), run_id="r-3",
                      code_version="v", kind="nightly", tables={"documents": {"version": 2, "rows": 5}})
    data = RunSummary.from_release(release).to_json()
    assert list(data) == ["run_id", "kind", "logical_date", "code_version", "release", "note"]
    assert data["release"] == {"number": 3, "tables": {"documents": {"version": 2, "rows": 5}}}
    assert "summary.json not found" in data["note"]


def test_the_report_json_is_the_json_of_its_values_a_record_per_line():
    """report.json is written by json's C encoder a line at a time (indent= would take its pure
    Python encoder: 0.7 s for a 10,000-page report.json): the same values, still read by a person."""
    import datetime as dt
    import json
    import random

    from govreports.io.runs import _json_records as _json

    rng = random.Random(7)
    leaves = [0, -2.5, 1e300, "中文\"引号\"\n", "", None, True, False, dt.date(2024, 1, 2)]

    def value(depth: int = 0):
        roll = rng.random()
        if depth > 3 or roll < 0.3:
            return rng.choice(leaves)
        if roll < 0.6:
            return {f"{rng.choice('ab年')}{i}": value(depth + 1) for i in range(rng.randint(0, 4))}
        if roll < 0.8:
            return [value(depth + 1) for _ in range(rng.randint(0, 4))]
        return [{"doc_id": value(depth + 1)} for _ in range(rng.randint(0, 3))]

    for _ in range(2000):
        v = value()
        assert json.loads(_json(v, 1)) == json.loads(json.dumps(v, ensure_ascii=False, default=str))
    odd = {1: "int key", "t": (1, 2), "e": {}, "l": []}
    assert json.loads(_json(odd, 2)) == json.loads(json.dumps(odd, default=str))
    text = _json({"documents": [{"doc_id": "a", "title": "甲"}, {"doc_id": "b"}], "n": {"k": 1}}, 1).decode()
    assert text.splitlines() == ['{', ' "documents": [', '  {"doc_id": "a", "title": "甲"},', '  {"doc_id": "b"}',
                                 ' ],', ' "n": {', '  "k": 1', ' }', '}']
