"""The suites in expectations/: every expectation loads, and each important one catches its defect.

GX drops a misspelled expectation type with only a log line and then validates green
(libraries.md §2.6), so the first tests count what GX loaded against the JSON. The defect tests
build one consistent document per case, break exactly one thing in it, run the suites once over
all of them, and assert which expectations each document failed: exactly those, nothing else.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path
from typing import Any, get_args

import pyarrow as pa
import pytest

from govreports.models import DocType, Modality, Qualifier
from govreports.tables import checks as ck
from govreports.tables.gx_run import build_gx_suite
from govreports.tables.suites import SuiteError, load_suite, load_suites
from govreports.tables.validate import validate_tables
from tests.support.validation import TODAY, doc_ids, good_tables, row_of, set_value

SUITES = Path(__file__).resolve().parents[1] / "expectations"
SUITE_FILES = sorted(SUITES.glob("*.json"))


def _raw(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", SUITE_FILES, ids=lambda p: p.stem)
def test_gx_loads_every_expectation_in_the_file(path):
    import great_expectations as gx

    raw = _raw(path)
    assert len(gx.ExpectationSuite(**{k: raw[k] for k in ("name", "expectations")}).expectations) == len(
        raw["expectations"])
    assert len(build_gx_suite(load_suite(path)).expectations) == len(raw["expectations"])
    assert all(e["meta"].get("why") for e in raw["expectations"] + raw.get("checks", []))
    assert all(c["check"] in ck.CHECKS for c in raw.get("checks", []))


def test_there_is_one_suite_per_curated_table():
    assert {p.stem for p in SUITE_FILES} == {"documents", "sections", "quantities", "indicators", "indicator_values",
                                             "keywords", "citations", "pages"}


def test_two_comparable_values_for_one_key_fail_their_document():
    tables = good_tables(2)
    values = tables["indicator_values"]
    tables = {**tables, "indicator_values": pa.concat_tables([values, values.slice(0, 1)])}
    result = validate_tables(tables, today=TODAY)
    assert result.failed_docs == {values.column("doc_id")[0].as_py(): ["indicator_values.one_row_per_doc_indicator_sub"]}


def _copy_suites(tmp_path: Path) -> Path:
    for path in SUITE_FILES:
        (tmp_path / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    return tmp_path


def test_a_misspelled_expectation_type_is_refused(tmp_path):
    raw = _raw(SUITES / "keywords.json")
    raw["expectations"].append({"type": "expect_column_values_to_not_be_nul", "kwargs": {"column": "term"},
                                "meta": {"name": "typo", "why": "misspelled on purpose"}})
    (_copy_suites(tmp_path) / "keywords.json").write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(SuiteError, match="typo"):
        build_gx_suite(load_suites(tmp_path)["keywords"])
    with pytest.raises(SuiteError, match="misspelled"):
        validate_tables(good_tables(1), suites_dir=tmp_path, today=TODAY)


@pytest.mark.parametrize("edit, message", [
    (lambda raw: raw["checks"].append({"check": "refernce_exists", "kwargs": {}, "meta": {"why": "x"}}),
     "unknown check"),
    (lambda raw: raw["expectations"][1]["meta"].pop("why"), "no meta.why"),
    (lambda raw: raw["expectations"].append(raw["expectations"][1]), "duplicate"),
    (lambda raw: raw.update(expectation=[]), "only name/expectations"),
], ids=["unknown-check", "no-why", "duplicate-name", "unknown-key"])
def test_malformed_suite_files_are_refused(tmp_path, edit, message):
    raw = _raw(SUITES / "citations.json")
    edit(raw)
    (_copy_suites(tmp_path) / "citations.json").write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(SuiteError, match=message):
        load_suites(tmp_path)


def test_allowed_sets_match_the_code():
    docs, quantities = _raw(SUITES / "documents.json"), _raw(SUITES / "quantities.json")

    def value_set(raw, column, name=None):
        (e,) = [e for e in raw["expectations"] if e["type"] == "expect_column_values_to_be_in_set"
                and e["kwargs"]["column"] == column and "row_condition" not in e["kwargs"]]
        return set(e["kwargs"]["value_set"])

    assert value_set(docs, "doc_type") == set(get_args(DocType))
    assert value_set(quantities, "qualifier") == set(get_args(Qualifier))
    assert value_set(quantities, "modality") == set(get_args(Modality))
    assert value_set(quantities, "unit_class") >= set(ck.unit_classes().values())


def test_suite_columns_match_the_table_schemas():
    from govreports.tables.schemas import SCHEMAS

    for path in SUITE_FILES:
        assert sorted(load_suite(path).columns) == sorted(SCHEMAS[path.stem].names), path.stem


# (id, edits [(table, column, value)], expected failures of that document)
EXPECT = "expect_column_values_to"
CASES: list[tuple[str, list[tuple[str, str, Any]], set[str]]] = [
    ("good", [], set()),
    ("good-change-over-100", [("quantities@1", "value", 150.0), ("quantities@1", "change", True),
                              ("quantities", "value", -1.0)], set()),  # a negative is kept as written
    ("doc_type", [("documents", "doc_type", "press_release")],
     {f"documents.{EXPECT}_be_in_set(doc_type)", "indicator_values.denormalised_as_document"}),
    ("report_year-future", [("documents", "report_year", 2031)] + [(t, "report_year", 2031) for t in (
        "sections", "sections@1", "sections@2", "quantities", "quantities@1", "quantities@2", "indicators",
        "indicator_values", "keywords", "keywords@1", "citations")],
     {f"documents.{EXPECT}_be_between(report_year)", "documents.dates_not_before_report_year"}),
    ("part-status", [("documents", "part_other", "partial")], {f"documents.{EXPECT}_be_in_set(part_other)"}),
    ("meta-json", [("documents", "meta", "{not json")], {f"documents.{EXPECT}_be_json_parseable(meta)"}),
    ("published-before-year", [("documents", "publish_date", dt.date(2021, 5, 1))],
     {"documents.dates_not_before_report_year"}),
    ("signed-in-future", [("documents", "signed_date", dt.date(2099, 1, 1))],
     {"documents.dates_not_before_report_year"}),
    ("n_sections", [("documents", "n_sections", 5)], {"documents.child_count_matches(n_sections)"}),
    ("section-part", [("sections", "part", "preface")], {f"sections.{EXPECT}_be_in_set(part)"}),
    ("section-marker", [("sections", "marker", "roman")], {f"sections.{EXPECT}_be_in_set(marker)"}),
    ("section-level", [("sections", "level", 0)], {f"sections.{EXPECT}_be_between(level)"}),
    ("section-parent", [("sections@1", "parent_id", "0000000000000000-s000")], {"sections.parent_in_same_document"}),
    ("section-end-before-heading", [("sections@2", "end", 5)],
     {"sections.expect_column_pair_values_a_to_be_greater_than_b(end)", "sections.offsets_inside_body"}),
    ("section-past-body", [("sections@2", "end", 10_000)], {"sections.offsets_inside_body"}),
    ("unit", [("quantities", "unit", "斤")], {f"quantities.{EXPECT}_be_in_set(unit)"}),
    ("unit_class", [("quantities", "unit_class", "money")], {"quantities.unit_class_matches_rules"}),
    ("qualifier", [("quantities", "qualifier", "about")], {f"quantities.{EXPECT}_be_in_set(qualifier)"}),
    ("huge-negative", [("quantities", "value", -1e30)], {"quantities.value_within_1e13"}),
    ("direction", [("quantities", "change_direction", "sideways")], {f"quantities.{EXPECT}_be_in_set(change_direction)"}),
    ("huge", [("quantities", "value", 1e30)], {"quantities.value_within_1e13"}),
    ("percent-over-100", [("quantities@1", "value", 150.0)], {"quantities.percent_level_at_most_100"}),
    ("value-missing", [("quantities", "value", None)], {"quantities.value_present_unless_redacted"}),
    ("redacted-with-value", [("quantities@2", "value", 5.0)], {"quantities.value_null_when_redacted"}),
    ("redacted-flag-only", [("quantities@2", "qualifier", None)], {"quantities.qualifier_present_when_redacted"}),
    ("redacted-other-qualifier", [("quantities@2", "qualifier", "nearly")],
     {"quantities.qualifier_redacted_when_redacted"}),
    ("qualifier-redacted-only", [("quantities", "qualifier", "redacted")],
     {"quantities.qualifier_not_redacted_otherwise"}),
    ("range-inverted", [("quantities", "low", 20.0), ("quantities", "high", 10.0)],
     {"quantities.expect_column_pair_values_a_to_be_greater_than_b(high)"}),
    ("surface", [("quantities", "surface", "71人")], {"quantities.surface_is_body_slice"}),
    ("quantity-section", [("quantities", "section_id", "0000000000000000-s001")],
     {"quantities.section_in_same_document"}),
    ("quantity-year", [("quantities", "report_year", 2021)], {"quantities.report_year_as_document"}),
    ("indicator-quantity", [("indicators", "quantity_id", "nope")], {"indicators.quantity_in_same_document"}),
    ("indicator-agency", [("indicators", "agency", "别的局")], {"indicators.denormalised_as_document"}),
    # a changed mention also breaks the lineage of the comparable value chosen from it
    ("indicator-negative", [("indicators", "value", -3.0)],
     {"indicators.value_between_0_and_1e13", "indicator_values.chosen_from_an_actual_mention"}),
    ("indicator-id", [("indicators", "indicator_id", "MADE_UP")],
     {f"indicators.{EXPECT}_be_in_set(indicator_id)", "indicator_values.chosen_from_an_actual_mention"}),
    ("indicator-unit", [("indicators", "unit", "元")], {"indicators.indicator_unit_in_catalog"}),
    ("indicator-measure", [("indicators", "measure", "rate")], {"indicators.indicator_unit_in_catalog"}),
    ("indicator-statement", [("indicators", "quantity_id", None), ("indicators", "unit", "bool"),
                             ("indicators", "value", 1.0)],
     {"indicators.indicator_unit_in_catalog", f"indicators.{EXPECT}_be_in_set(unit)",
      "indicator_values.chosen_from_an_actual_mention"}),
    # the comparable value: a target never stands in for an actual; one row per key; its unit is the catalog's
    ("value-from-a-target", [("indicators", "modality", "target")], {"indicator_values.chosen_from_an_actual_mention"}),
    ("value-unit", [("indicator_values", "unit", "名")], {"indicator_values.indicator_unit_in_catalog"}),
    ("value-rule", [("indicator_values", "rule", "average")], {f"indicator_values.{EXPECT}_be_in_set(rule)"}),
    ("value-lineage", [("indicator_values", "quantity_id", "nope")], {"indicator_values.quantity_in_same_document"}),
    ("keyword-rank", [("keywords", "rank", 0)], {f"keywords.{EXPECT}_be_between(rank)"}),
    ("keyword-weight", [("keywords", "weight", -0.1)], {f"keywords.{EXPECT}_be_between(weight)"}),
    ("keyword-duplicate", [("keywords@1", "section_id", None), ("keywords@1", "term", "依法行政")],
     {"keywords.term_unique_per_scope"}),
    ("citation-kind", [("citations", "kind", "book")], {f"citations.{EXPECT}_be_in_set(kind)"}),
    ("citation-offset", [("citations", "first_start", 3)], {"citations.title_at_first_start"}),
    ("citation-past-body", [("citations", "first_start", 10_000)], {"citations.title_at_first_start"}),
    ("citation-count", [("citations", "count", 0)], {f"citations.{EXPECT}_be_between(count)"}),
    ("page-ok-with-error", [("pages", "error", "decode: ?")], {"pages.no_error_when_ok"}),
    ("page-count", [("pages", "n_documents", 2)], {"pages.page_document_count"}),
]


def _apply(tables: dict[str, pa.Table], doc_id: str, edits: list[tuple[str, str, Any]]) -> dict[str, pa.Table]:
    for target, column, value in edits:
        table, _, nth = target.partition("@")
        key = "raw_sha256" if table == "pages" else "doc_id"
        own = tables["documents"].column("raw_sha256").to_pylist()[doc_ids(tables).index(doc_id)]
        wanted = own if table == "pages" else doc_id
        rows = [i for i, v in enumerate(tables[table].column(key).to_pylist()) if v == wanted]
        tables = set_value(tables, table, rows[int(nth or 0)], column, value)
    return tables


@pytest.fixture(scope="module")
def outcome():
    tables = good_tables(len(CASES))
    for (_, edits, _), doc_id in zip(CASES, doc_ids(tables), strict=False):
        tables = _apply(tables, doc_id, edits)
    return validate_tables(tables, today=TODAY), doc_ids(tables)


@pytest.mark.parametrize("index", range(len(CASES)), ids=[c[0] for c in CASES])
def test_each_defect_fails_exactly_its_expectations(outcome, index):
    result, ids = outcome
    _, _, expected = CASES[index]
    assert set(result.failed_docs.get(ids[index], [])) == expected


def test_the_good_documents_pass_every_suite(outcome):
    result, ids = outcome
    assert ids[0] not in result.failed_docs and ids[1] not in result.failed_docs
    assert len(result.failed_docs) == len(CASES) - 2


def test_a_duplicate_id_fails_both_documents():
    tables = good_tables(3)
    first, second, _ = doc_ids(tables)
    sid = tables["sections"].column("section_id").to_pylist()[row_of(tables, "sections", first)]
    tables = set_value(tables, "sections", row_of(tables, "sections", second), "section_id", sid)
    result = validate_tables(tables, today=TODAY)
    assert set(result.failed_docs) == {first, second}
    assert "sections.expect_column_values_to_be_unique(section_id)" in result.failed_docs[first]


def test_rows_per_document_are_bounded():
    n = 2001
    table = pa.table({"doc_id": ["a"] * n + ["b"] * 3})
    data = ck.CheckData({"quantities": table})
    violations = ck.run_check("rows_per_doc_at_most", data, "quantities", {"max_rows": 2000})
    assert violations == [(0, n)]
    assert Counter(table.column("doc_id").to_pylist())["b"] == 3


def test_an_orphan_row_is_dropped_and_reported():
    tables = good_tables(2)
    extra = tables["keywords"].slice(0, 1).to_pylist()
    extra[0]["doc_id"] = "eeeeeeeeeeeeeeee"
    tables["keywords"] = pa.concat_tables([tables["keywords"],
                                           pa.Table.from_pylist(extra, schema=tables["keywords"].schema)])
    result = validate_tables(tables, today=TODAY)
    assert "eeeeeeeeeeeeeeee" not in result.tables["keywords"].column("doc_id").to_pylist()
    assert result.failed_docs == {"eeeeeeeeeeeeeeee": ["keywords.document_exists"]}
    (row,) = result.quarantine.to_pylist()
    assert row["raw_sha256"] is None
