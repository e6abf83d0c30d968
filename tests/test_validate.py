"""validate_tables: a bad document leaves every table for quarantine, good ones pass untouched.

The tables are synthetic but consistent (offsets point into the body, ids resolve), built by
`good_tables` (tests/support/validation.py); each test breaks one thing in one document and looks at where it went.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pytest

from govreports.config import DataPaths
from govreports.io import runs
from govreports.tables.schemas import SCHEMAS
from govreports.tables.validate import SchemaMismatchError, SuiteError, validate_tables
from tests.support.validation import TODAY, doc_ids, good_tables, row_of, set_value


@pytest.fixture(scope="module")
def clean() -> dict[str, pa.Table]:
    return good_tables()


def test_good_tables_pass_untouched(clean):
    outcome = validate_tables(clean, today=TODAY)
    assert outcome.failed_docs == {}
    assert outcome.quarantine.num_rows == 0
    for name, table in clean.items():
        assert outcome.tables[name].equals(table), name
    assert outcome.results["success"] is True


def test_a_bad_document_leaves_every_table_for_quarantine(clean):
    bad = doc_ids(clean)[1]
    tables = set_value(clean, "quantities", row_of(clean, "quantities", bad), "value", 5e15)
    outcome = validate_tables(tables, today=TODAY)
    assert list(outcome.failed_docs) == [bad]
    assert outcome.failed_docs[bad] == ["quantities.value_within_1e13"]
    for name, table in outcome.tables.items():
        if "doc_id" in table.column_names and name != "quarantine":
            assert bad not in table.column("doc_id").to_pylist(), name
            kept = clean[name].filter(pa.compute.not_equal(clean[name].column("doc_id"), bad))
            assert table.equals(kept), f"good rows of {name} changed"
    (row,) = outcome.quarantine.to_pylist()
    assert row["doc_id"] == bad and row["report_year"] == 2022 and row["source"] == "page1.html"
    assert row["run_id"] is None
    failed = json.loads(row["failed"])
    assert failed == [{"expectation": "quantities.value_within_1e13", "examples": [5e15]}]
    assert outcome.tables["quarantine"].equals(outcome.quarantine)


def test_pages_of_wholly_quarantined_documents_are_marked(clean):
    bad = doc_ids(clean)[0]
    sha = clean["documents"].column("raw_sha256").to_pylist()[0]
    tables = set_value(clean, "documents", 0, "doc_type", "press_release")
    outcome = validate_tables(tables, today=TODAY)
    pages = {p["raw_sha256"]: p for p in outcome.tables["pages"].to_pylist()}
    assert pages[sha]["status"] == "quarantined"
    assert pages[sha]["error"].startswith("quarantined: ")
    assert sum(p["status"] == "ok" for p in pages.values()) == 2
    # indicator_values copies doc_type, so its copy now disagrees as well
    assert outcome.failed_docs == {bad: ["documents.expect_column_values_to_be_in_set(doc_type)",
                                         "indicator_values.denormalised_as_document"]}


def test_cross_table_check_failures_quarantine_like_gx_ones(clean):
    bad = doc_ids(clean)[2]
    row = clean["sections"].column("doc_id").to_pylist().index(bad) + 1   # the child section
    tables = set_value(clean, "sections", row, "parent_id", "0000000000000000-s000")
    qrow = row_of(clean, "quantities", bad)
    tables = set_value(tables, "quantities", qrow, "surface", "71人")
    outcome = validate_tables(tables, today=TODAY)
    assert outcome.failed_docs == {bad: ["quantities.surface_is_body_slice", "sections.parent_in_same_document"]}
    failed = {f["expectation"]: f["examples"] for f in json.loads(outcome.quarantine.to_pylist()[0]["failed"])}
    assert failed["sections.parent_in_same_document"] == ["0000000000000000-s000"]
    assert failed["quantities.surface_is_body_slice"] == [{"surface": "71人", "body_slice": "70人"}]


def test_results_json_keeps_gx_and_check_results_per_suite(clean, tmp_path):
    bad = doc_ids(clean)[0]
    tables = set_value(clean, "documents", 0, "publish_date", dt.date(2021, 5, 1))
    outcome = validate_tables(tables, today=TODAY)
    paths = DataPaths.from_dir(tmp_path, env={})
    runs.write_validation(paths, "run-1", outcome.results)  # what the flow writes, read back
    written = runs.read_validation(paths, "run-1")
    assert written == outcome.results
    assert written["quarantined"] == {bad: ["documents.dates_not_before_report_year"]}
    assert set(written["suites"]) == set(clean)
    docs = written["suites"]["documents"]
    assert docs["gx"]["success"] is True and docs["gx"]["statistics"]["evaluated_expectations"] > 10
    (check,) = [c for c in docs["checks"] if c["meta"]["name"] == "dates_not_before_report_year"]
    assert check["success"] is False and check["result"]["unexpected_index_list"] == [0]
    assert written["rows_out"]["documents"] == 2


def test_a_table_without_its_columns_is_a_code_error_not_bad_data(clean):
    tables = dict(clean, keywords=clean["keywords"].drop_columns(["rank"]))
    with pytest.raises(SchemaMismatchError, match="keywords"):
        validate_tables(tables, today=TODAY)


def test_a_column_of_the_wrong_type_is_a_code_error(clean):
    docs = clean["documents"]
    index = docs.schema.get_field_index("report_year")
    tables = dict(clean, documents=docs.set_column(index, "report_year", docs.column("report_year").cast(pa.int64())))
    with pytest.raises(SchemaMismatchError, match="report_year: int64"):
        validate_tables(tables, today=TODAY)


def test_a_table_without_a_suite_raises(clean):
    with pytest.raises(SuiteError, match="no suite"):
        validate_tables(dict(clean, mystery=clean["pages"]), today=TODAY)


def test_an_expectation_that_raises_is_a_configuration_error(clean, tmp_path):
    suites = Path(__file__).resolve().parents[1] / "expectations"
    for path in suites.glob("*.json"):
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    raw = json.loads((tmp_path / "pages.json").read_text(encoding="utf-8"))
    raw["expectations"].append({"type": "expect_column_values_to_be_between",
                                "kwargs": {"column": "n_documents", "max_value": 5,
                                           "row_condition": {"type": "comparison", "column": {"name": "nope"},
                                                             "operator": "==", "parameter": 1}},
                                "meta": {"name": "broken", "why": "broken on purpose"}})
    (tmp_path / "pages.json").write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(SuiteError, match="configuration error"):
        validate_tables(clean, suites_dir=tmp_path, today=TODAY)


def test_existing_quarantine_rows_are_carried_over(clean):
    bad = doc_ids(clean)[1]
    earlier = pa.table({"doc_id": ["ffffffffffffffff"], "raw_sha256": [None], "source": ["x"],
                        "report_year": pa.array([2020], pa.int32()), "failed": ["[]"], "run_id": ["r1"]})
    tables = set_value(clean, "documents", 1, "report_year", 1989)
    outcome = validate_tables(dict(tables, quarantine=earlier), today=TODAY, run_id="r2")
    assert outcome.quarantine.column("doc_id").to_pylist() == ["ffffffffffffffff", bad]
    assert outcome.quarantine.column("run_id").to_pylist() == ["r1", "r2"]
    assert set(outcome.failed_docs) == {"ffffffffffffffff", bad}
    assert outcome.results["success"] is False


def test_suites_are_found_without_the_source_tree(monkeypatch):
    """Installed non-editable, expectations/ is a top-level namespace folder found by import."""
    from govreports.tables import suites

    monkeypatch.setattr(suites, "SUITES_DIR", Path("/nonexistent/expectations"))
    found = suites.default_suites_dir()
    assert (found / "documents.json").is_file()
    assert set(suites.load_suites()) == set(SCHEMAS) - {"quarantine"}


def test_a_run_without_documents_validates():
    """Every page failed: empty tables pass, the error pages keep their rows."""
    from govreports.models import PageResult
    from govreports.tables.rows import results_to_tables

    pages = [PageResult(source="a.png", raw_sha256="a" * 64, error="not_text: PNG image"),
             PageResult(source="news.html", raw_sha256="b" * 64, error="no_report: the page carries no report text")]
    outcome = validate_tables(results_to_tables(pages, code_version="test"), today=TODAY)
    assert outcome.failed_docs == {} and outcome.results["success"] is True
    assert outcome.tables["documents"].num_rows == 0
    assert sorted(outcome.tables["pages"].column("status").to_pylist()) == ["error", "no_report"]


def _by_pages(tables: dict[str, pa.Table], pages: set[str]) -> dict[str, pa.Table]:
    """The rows of `pages` (and their documents) from every table: one batch of a run."""
    docs = {r["doc_id"] for r in tables["documents"].to_pylist() if r["raw_sha256"] in pages}
    out = {}
    for name, table in tables.items():
        column = "doc_id" if "doc_id" in table.column_names else "raw_sha256"
        wanted = docs if column == "doc_id" else pages
        out[name] = table.filter(pa.compute.is_in(table.column(column), pa.array(sorted(wanted), pa.string())))
    return out


def test_batches_merge_into_what_one_validation_of_the_run_says(tmp_path):
    from govreports.tables.validation_merge import merge_results

    tables = good_tables(4)
    pages = sorted(set(tables["pages"].column("raw_sha256").to_pylist()))
    assert len(pages) >= 2
    bad = next(r["doc_id"] for r in tables["documents"].to_pylist() if r["raw_sha256"] == pages[-1])
    tables = set_value(tables, "quantities", row_of(tables, "quantities", bad), "value", 5e15)
    whole = validate_tables(tables, today=TODAY).results
    halves = [validate_tables(_by_pages(tables, set(pages[:1])), today=TODAY).results,
              validate_tables(_by_pages(tables, set(pages[1:])), today=TODAY).results]
    merged = merge_results(halves)
    assert merged["success"] is False and halves[0]["success"] is True
    assert merged["quarantined"] == whole["quarantined"] and bad in merged["quarantined"]
    assert merged["rows_in"] == whole["rows_in"] and merged["rows_out"] == whole["rows_out"]
    for name, suite in whole["suites"].items():
        got = merged["suites"][name]
        assert got["gx"]["statistics"]["unsuccessful_expectations"] == \
            suite["gx"]["statistics"]["unsuccessful_expectations"], name
        for mine, theirs in zip(got["gx"]["expectations"] + got["checks"],
                                suite["gx"]["expectations"] + suite["checks"], strict=True):
            assert mine["success"] == theirs["success"], (name, theirs.get("meta"))
            assert (mine.get("result") or {}).get("unexpected_count") == \
                (theirs.get("result") or {}).get("unexpected_count"), (name, theirs.get("meta"))
    assert merge_results(halves[:1]) == halves[0]
    assert merge_results([])["success"] is True


def test_gx_does_not_fingerprint_the_batches(clean, monkeypatch):
    """GX's md5 of each DataFrame (a batch marker nothing reads) is skipped; bad data still fails."""
    from great_expectations.execution_engine import pandas_execution_engine

    def refuse(df):
        raise AssertionError("GX fingerprinted a batch")

    monkeypatch.setattr(pandas_execution_engine, "hash_pandas_dataframe", refuse)
    bad = doc_ids(clean)[1]
    outcome = validate_tables(set_value(clean, "quantities", row_of(clean, "quantities", bad), "value", 5e15),
                              today=TODAY)
    assert set(outcome.failed_docs) == {bad}


def test_each_expectation_configuration_is_built_once_per_call_with_the_same_results(clean, monkeypatch):
    """GX rebuilds an expectation's configuration for every argument it reads (gx_run.py): within a
    call each object's is built once, the results are those of GX's own property, and the property is GX's
    again after the call, also when validation raises."""
    from great_expectations.expectations.expectation import Expectation

    from govreports.tables import gx_run

    shipped = Expectation.configuration
    builds = 0

    def counted(expectation):
        nonlocal builds
        builds += 1
        return shipped.fget(expectation)

    monkeypatch.setattr(Expectation, "configuration", property(counted))
    bad = doc_ids(clean)[1]
    tables = set_value(clean, "quantities", row_of(clean, "quantities", bad), "value", 5e15)
    cached = validate_tables(tables, today=TODAY)
    once, builds = builds, 0
    monkeypatch.setattr(gx_run, "_configurations_built_once", contextlib.nullcontext)
    plain = validate_tables(tables, today=TODAY)
    assert once * 4 < builds  # GX 1.24: 1,577 builds against 13,742 on these tables
    assert json.dumps(cached.results, sort_keys=True) == json.dumps(plain.results, sort_keys=True)
    assert cached.failed_docs == plain.failed_docs == {bad: ["quantities.value_within_1e13"]}
    assert Expectation.configuration.fget is counted
    monkeypatch.undo()
    with pytest.raises(ZeroDivisionError), gx_run._configurations_built_once():
        raise ZeroDivisionError
    assert Expectation.configuration is shipped


def test_checks_hold_a_tables_python_lists_only_while_its_checks_run(clean, monkeypatch):
    """The cross-table checks convert columns to lists; kept for the whole validation they were its
    peak (+117 MB for a 1,000-page batch). Each table's go once its checks are done; the documents'
    (read by every table's checks) stay, and the failures are the same."""
    from govreports.tables import checks as ck
    from govreports.tables.suites import load_suites

    suites = load_suites()
    checks = {n: s.checks for n, s in suites.items()}
    held: list[set[str]] = []
    real = ck.CheckData.release

    def release(self):
        real(self)
        held.append({t for t, _ in self._columns})

    monkeypatch.setattr(ck.CheckData, "release", release)
    bad = doc_ids(clean)[2]
    tables = set_value(clean, "quantities", row_of(clean, "quantities", bad), "surface", "71人")
    data = ck.CheckData(tables, TODAY)
    _, failures = ck.run_checks(checks, data)
    assert held and all(tables_held <= {"documents"} for tables_held in held)
    assert [(t, name) for t, name, _, _ in failures] == [("quantities", "quantities.surface_is_body_slice")]


_GX_IMPORT_PROBE = """
import sys
from govreports.tables.validate import validate_tables
from tests.support.validation import TODAY, good_tables
outcome = validate_tables(good_tables(), today=TODAY)
print(outcome.results["success"], type(sys.modules["scipy.stats"]).__name__)
from great_expectations.expectations.core import expect_column_kl_divergence_to_be_less_than as kl
print(round(float(kl.stats.entropy([0.5, 0.5], [0.9, 0.1])), 4), type(sys.modules["scipy.stats"]).__name__)
"""


def test_validation_leaves_the_statistics_gx_never_runs_here_unimported_until_used():
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", _GX_IMPORT_PROBE], cwd=root, capture_output=True, text=True,
                         check=True).stdout.split()
    assert out[:2] == ["True", "_Deferred"]  # validated, and scipy.stats (≈0.5 s, 56 MB) never imported
    assert out[2:] == ["0.5108", "module"]  # a GX expectation that does use it gets the real module
