"""One indicator across regions (or agencies) and years: the table analysts compare.

Pure: rows of `indicator_values` in, a region × year DataFrame out; govreports.panel() reads the
release and calls this. One document fills a cell, never a sum across documents: a city's
government report and its departments' reports count overlapping things, so adding them double
counts. Which document wins is a rule (rules/indicator_values.yaml `government_agency`).
"""

from __future__ import annotations

import functools
import re

import pandas as pd

from govreports import rules as rulebook
from govreports.indicators.catalog import by_id

BY = ("region", "agency")
LONG_COLUMNS = ["region", "agency", "report_year", "value", "unit", "sub", "rule", "n_mentions", "doc_id",
                "quantity_id", "surface"]


@functools.cache
def _government() -> re.Pattern[str]:
    return re.compile(rulebook.indicator_values()["government_agency"])


def panel_rows(values: pd.DataFrame, indicator_id: str, *, by: str = "region", sub: str | None = None) -> pd.DataFrame:
    """The rows behind the panel: one per (by, report_year), the document chosen for the cell.

    Args:
        values: indicator_values rows (any release; other indicators are ignored).
        indicator_id: a catalog id (KeyError naming the catalog otherwise).
        by: "region" or "agency": what the rows of the panel are.
        sub: the sub-value to show (立案, 结案 …); default the indicator's headline (no sub).
    """
    if indicator_id not in by_id():
        raise KeyError(f"no indicator {indicator_id!r} in the catalog (rules/indicators.yaml); "
                       f"e.g. {', '.join(sorted(by_id())[:5])} …")
    if by not in BY:
        raise ValueError(f"by must be one of {BY}, not {by!r}")
    rows = values[(values["indicator_id"] == indicator_id)]
    rows = rows[rows["sub"].isna()] if sub is None else rows[rows["sub"] == sub]
    rows = rows.assign(region=rows["region"].fillna(rows["agency"]).fillna("(unknown)"),
                       agency=rows["agency"].fillna("(unknown)"))
    if rows.empty:
        return pd.DataFrame(columns=LONG_COLUMNS)
    government = rows["agency"].map(lambda a: bool(_government().search(a)))
    ranked = rows.assign(_gov=~government, _n=-rows["n_mentions"]).sort_values([by, "report_year", "_gov", "_n", "doc_id"])
    chosen = ranked.groupby([by, "report_year"], sort=True).head(1)
    return chosen[LONG_COLUMNS].reset_index(drop=True)


def build_panel(values: pd.DataFrame, indicator_id: str, *, by: str = "region", sub: str | None = None) -> pd.DataFrame:
    """Region (or agency) × report_year of one indicator's comparable values, in its unit.

    The frame's `attrs` carry the indicator's id, name, unit and measure, so a printed or saved panel
    says what its numbers are.
    """
    rows = panel_rows(values, indicator_id, by=by, sub=sub)
    entry = by_id()[indicator_id]
    table = rows.pivot(index=by, columns="report_year", values="value") if not rows.empty else \
        pd.DataFrame(index=pd.Index([], name=by))
    table = table.sort_index().sort_index(axis=1)
    table.columns.name = "report_year"
    subs = values.loc[(values["indicator_id"] == indicator_id) & values["sub"].notna(), "sub"]
    table.attrs.update(indicator_id=indicator_id, name_zh=entry.name_zh, unit=entry.unit, measure=entry.measure,
                       sub=sub, subs=sorted(set(subs)))
    return table
