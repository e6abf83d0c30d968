"""Figures of the run report as inline SVG strings, so report.html stays one self-contained file.

Why SVG text and ASCII labels: the report must open anywhere without a CDN or image files, and
the machines that build it have no CJK font (matplotlib would draw tofu boxes). So plots carry
only indicator ids, years and short codes (R1, S1 …); the HTML around each figure maps every code
to its Chinese name. Figures are built on `matplotlib.figure.Figure`, not pyplot: no GUI backend,
no global figure state, nothing to select at import. With a fixed hash salt and no date
metadata, the same data gives byte-identical SVG.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping

import matplotlib
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

#: svg.fonttype "none" keeps labels as <text> (small, searchable); hashsalt makes ids stable.
RC = {"svg.fonttype": "none", "svg.hashsalt": "govreports", "font.size": 9, "font.family": "DejaVu Sans"}
PANEL_COLUMNS = 3
_PROLOG = re.compile(r"^.*?(?=<svg)", re.S)


def to_svg(fig: Figure) -> str:
    """The figure as an <svg> element (no XML prolog/doctype, which are invalid inside HTML)."""
    buf = io.StringIO()
    with matplotlib.rc_context(RC):
        fig.savefig(buf, format="svg", metadata={"Date": None})  # constrained layout: no tight bbox pass
    return _PROLOG.sub("", buf.getvalue(), count=1).strip()


def _natural(code: str) -> tuple[str, int]:
    """R2 before R10."""
    head = code.rstrip("0123456789")
    return head, int(code[len(head):] or 0)


def _empty(message: str) -> str:
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(5, 0.8))
        ax = fig.add_subplot()
        ax.axis("off")
        ax.text(0.5, 0.5, message, ha="center", va="center")
    return to_svg(fig)


def indicator_panels(values: pd.DataFrame, units: Mapping[str, str] | None = None) -> str:
    """Small multiples: one panel per indicator, value by report year, one line per region code.

    Args:
        values: columns indicator_id, year, region_code, value (already aggregated: one value per
            indicator, year and region; the caller picks the indicators and their order).
        units: indicator id → ASCII unit label for the y axis (optional).
    """
    if values.empty:
        return _empty("no indicator values in this release")
    units = units or {}
    ids = list(dict.fromkeys(values["indicator_id"]))
    colours = {code: f"C{n % 10}" for n, code in enumerate(sorted(values["region_code"].unique(), key=_natural))}
    rows = -(-len(ids) // PANEL_COLUMNS)
    cols = min(PANEL_COLUMNS, len(ids))
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(3.4 * cols, 2.6 * rows), layout="constrained")
        axes = fig.subplots(rows, cols, squeeze=False)
        for n, ax in enumerate(axes.flat):
            if n >= len(ids):
                ax.axis("off")
                continue
            sub = values[values["indicator_id"] == ids[n]]
            for code in sorted(sub["region_code"].unique(), key=_natural):  # same colour in every panel
                line = sub[sub["region_code"] == code].sort_values("year")
                ax.plot(line["year"], line["value"], marker="o", label=str(code), color=colours[code])
            years = sorted(sub["year"].unique())
            ax.set_xticks(years, [str(y) for y in years])
            ax.set_title(ids[n], fontsize=9)
            if units.get(ids[n]):
                ax.set_ylabel(units[ids[n]])
            ax.grid(alpha=0.3)
            if sub["region_code"].nunique() <= 8:
                ax.legend(fontsize=7, loc="best")
    return to_svg(fig)


def coverage_bars(counts: pd.DataFrame) -> str:
    """Stacked bars: documents per report year, one colour per source code.

    Args:
        counts: columns year, source_code, documents.
    """
    if counts.empty:
        return _empty("no documents in this release")
    table = counts.pivot_table(index="year", columns="source_code", values="documents",
                               aggfunc="sum", fill_value=0).sort_index()
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(max(4.0, 0.7 * len(table) + 2.5), 3.0), layout="constrained")
        ax = fig.add_subplot()
        bottom = pd.Series(0, index=table.index)
        labels = [str(y) for y in table.index]
        for code in sorted(table.columns, key=_natural):
            ax.bar(labels, table[code], bottom=bottom, label=str(code))
            bottom = bottom + table[code]
        ax.set_xlabel("report year")
        ax.set_ylabel("documents")
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(axis="y", alpha=0.3)
        if len(table.columns) <= 12:
            ax.legend(fontsize=7, ncols=min(4, len(table.columns)), loc="upper left")
    return to_svg(fig)
