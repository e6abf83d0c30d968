"""indicator_values: one comparable value per (document, indicator, sub), and the panel built on it."""

from __future__ import annotations

import pandas as pd
import pytest

from govreports.indicators.binding import map_indicators
from govreports.indicators.panel import build_panel, panel_rows
from govreports.indicators.values import choose_values
from govreports.quantities.mentions import extract_quantities


def chosen(text: str, doc_type: str = "annual_report") -> dict[tuple, tuple]:
    """(indicator_id, sub) → (value, rule, n_mentions, surface) for `text`."""
    quantities = extract_quantities(text, doc_type=doc_type)
    values = choose_values(text, map_indicators(text, quantities, doc_type=doc_type))
    return {(c.indicator_id, c.sub): (c.value, c.rule, c.n_mentions, c.surface) for c in values}


def test_a_target_never_stands_in_for_an_actual():
    assert chosen("明年组织应急演练不少于4次。") == {}
    got = chosen("全年组织应急演练6次。明年组织应急演练不少于10次。")
    assert got == {("EMERGENCY_DRILLS", None): (6.0, "only", 1, "6次")}
    assert chosen("组织应急演练不少于4次。", doc_type="work_plan") == {}


def test_a_change_is_not_a_level():
    assert chosen("行政复议案件同比增长12%。") == {}


def test_repeated_total_marked_total_and_breakdowns():
    assert chosen("组织应急演练12次。……全年组织应急演练12次。")[("EMERGENCY_DRILLS", None)][:3] == (12.0, "repeated", 2)
    # the parts carry the total's indicator; the marked total is the value
    got = chosen("全年共办理行政处罚案件50件,其中一般程序30件、简易程序20件。")
    assert got[("PENALTY_CASES", None)][:3] == (50.0, "marked_total", 3)
    # no marker, but one mention is the sum of the others
    got = chosen("受理政务服务事项3599件,其中线上办理1626件,线下办理1973件。")
    assert got[("GOV_SERVICE_CASES", None)][:3] == (3599.0, "sum_of_breakdown", 3)


def test_counts_take_the_largest_rates_the_first():
    got = chosen("举办法治讲座3场。开展普法宣传活动16场。")
    assert got[("PUFA_EVENTS", None)][:2] == (16.0, "largest")
    got = chosen("执法证持证率94.4%。年底持证率达96%。")
    assert got[("ENF_CERT_RATE", None)][:2] == (94.4, "first")


def test_a_statement_counts_only_where_no_number_states_it():
    assert chosen("实现法律顾问全覆盖。")[("ADVISOR_COVERAGE", None)] == (100.0, "statement", 1, "法律顾问全覆盖")
    got = chosen("法律顾问覆盖率85%,力争实现法律顾问全覆盖。")
    assert got[("ADVISOR_COVERAGE", None)][:2] == (85.0, "only")
    assert chosen("全年无行政败诉案件。")[("LITIGATION_LOSSES", None)][:2] == (0.0, "statement")


def test_one_row_per_key_and_every_value_traces_to_its_mention():
    text = "全年作出行政处罚决定276件,罚没款96.35万元。其中查处无证行医案件11件,罚款8万元。双随机抽查32次。"
    quantities = extract_quantities(text)
    values = choose_values(text, map_indicators(text, quantities))
    keys = [(c.indicator_id, c.sub) for c in values]
    assert len(keys) == len(set(keys)) and keys == sorted(keys, key=lambda k: (k[0], k[1] or ""))
    for c in values:
        q = quantities[c.quantity_index]
        assert text[c.start:c.end] == c.surface == q.surface


def _values(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["doc_id", "report_year", "region", "agency", "indicator_id", "sub", "value",
                                       "n_mentions", "unit", "rule", "quantity_id", "surface"])


def test_the_panel_takes_one_document_per_cell_the_government_first():
    values = _values([
        ("d1", 2022, "宁波市", "宁波市教育局", "ENF_CERT_HOLDERS", None, 70.0, 3, "人", "only", "q1", "70人"),
        ("d2", 2022, "宁波市", "宁波市人民政府", "ENF_CERT_HOLDERS", None, 5100.0, 1, "人", "only", "q2", "5100人"),
        ("d3", 2023, "宁波市", "宁波市教育局", "ENF_CERT_HOLDERS", None, 72.0, 1, "人", "only", "q3", "72人"),
        ("d4", 2023, "宁波市", "宁波市卫生健康委员会", "ENF_CERT_HOLDERS", None, 90.0, 2, "人", "only", "q4", "90人"),
        ("d5", 2023, "鞍山市", "鞍山市教育局", "ENF_CERT_HOLDERS", None, 57.0, 1, "人", "only", "q5", "57人"),
        ("d5", 2023, "鞍山市", "鞍山市教育局", "ENF_CERT_RATE", None, 94.0, 1, "%", "only", "q6", "94%"),
        ("d5", 2023, "鞍山市", "鞍山市教育局", "CASES_FILED", "立案", 37.0, 1, "件", "only", "q7", "37起"),
    ])
    table = build_panel(values, "ENF_CERT_HOLDERS")
    assert table.loc["宁波市", 2022] == 5100.0          # the government's own report, not a sum
    assert table.loc["宁波市", 2023] == 90.0            # no government report: most mentions
    assert table.loc["鞍山市", 2023] == 57.0 and pd.isna(table.loc["鞍山市", 2022])
    assert table.attrs["unit"] == "人" and table.attrs["measure"] == "count"
    by_agency = build_panel(values, "ENF_CERT_HOLDERS", by="agency")
    assert by_agency.loc["宁波市教育局", 2023] == 72.0 and len(by_agency) == 4
    assert list(panel_rows(values, "ENF_CERT_HOLDERS")["doc_id"]) == ["d2", "d4", "d5"]
    assert build_panel(values, "CASES_FILED").empty and build_panel(values, "CASES_FILED").attrs["subs"] == ["立案"]
    assert build_panel(values, "CASES_FILED", sub="立案").loc["鞍山市", 2023] == 37.0
    with pytest.raises(KeyError, match="MADE_UP"):
        build_panel(values, "MADE_UP")
    with pytest.raises(ValueError, match="by must be"):
        build_panel(values, "ENF_CERT_HOLDERS", by="province")
