"""Figures of the run report as inline SVG strings, so report.html stays one self-contained file.

Why SVG text: the report must open anywhere without a CDN or image files, and the machine that
builds it may have no CJK font. With svg.fonttype "none" the labels stay <text>, so the BROWSER
draws them, with a font stack (FONT_STACK) that falls back to whatever CJK font the reader has:
indicator names and region names are real Chinese, not codes that change between releases.
matplotlib only measures them (with DejaVu, which has no CJK glyphs: the missing-glyph warnings are
expected and silenced; legends sit outside the axes so a wider browser rendering overlaps nothing).
A region keeps its colour in every release: the colour comes from a hash of its name. Figures are built on `matplotlib.figure.Figure`, not pyplot: no GUI backend,
no global figure state, nothing to select at import. With a fixed hash salt and no date
metadata, the same data gives byte-identical SVG.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from collections.abc import Mapping

import matplotlib
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

#: svg.fonttype "none" keeps labels as <text> (small, searchable); hashsalt makes ids stable.
RC = {"svg.fonttype": "none", "svg.hashsalt": "govreports", "font.size": 9, "font.family": "DejaVu Sans"}
PANEL_COLUMNS = 3
_PROLOG = re.compile(r"^.*?(?=<svg)", re.S)
#: what the browser uses for SVG text: Latin first, then the common CJK fonts of each platform
FONT_STACK = ("'DejaVu Sans', 'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'PingFang SC', "
              "'Microsoft YaHei', 'WenQuanYi Zen Hei', sans-serif")
_FONT_FAMILY = re.compile(r"font-family: [^;\"]*")


def to_svg(fig: Figure) -> str:
    """The figure as an <svg> element (no XML prolog/doctype, which are invalid inside HTML)."""
    buf = io.StringIO()
    with matplotlib.rc_context(RC), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        fig.savefig(buf, format="svg", metadata={"Date": None})  # constrained layout: no tight bbox pass
    svg = _PROLOG.sub("", buf.getvalue(), count=1).strip()
    return _FONT_FAMILY.sub("font-family: " + FONT_STACK, svg)


def colour_of(name: str) -> str:
    """A colour of the default cycle chosen by the name alone: the same region, the same colour, in
    every release and every panel."""
    return f"C{int(hashlib.sha256(name.encode('utf-8')).hexdigest()[:8], 16) % 10}"


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


def indicator_panels(values: pd.DataFrame, titles: Mapping[str, str] | None = None) -> str:
    """Small multiples: one panel per indicator, value by report year, one line per region.

    Args:
        values: columns indicator_id, year, region, value (already aggregated: one value per
            indicator, year and region; the caller picks the indicators and their order).
        titles: indicator id → panel title (its Chinese name and unit); the id when absent.
    """
    if values.empty:
        return _empty("no indicator values in this release")
    titles = titles or {}
    ids = list(dict.fromkeys(values["indicator_id"]))
    rows = -(-len(ids) // PANEL_COLUMNS)
    cols = min(PANEL_COLUMNS, len(ids))
    with matplotlib.rc_context(RC), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from font")
        fig = Figure(figsize=(4.6 * cols, 2.8 * rows), layout="constrained")
        axes = fig.subplots(rows, cols, squeeze=False)
        for n, ax in enumerate(axes.flat):
            if n >= len(ids):
                ax.axis("off")
                continue
            sub = values[values["indicator_id"] == ids[n]]
            for region in sorted(sub["region"].unique()):
                line = sub[sub["region"] == region].sort_values("year")
                ax.plot(line["year"], line["value"], marker="o", label=str(region), color=colour_of(str(region)))
            years = sorted(sub["year"].unique())
            ax.set_xticks(years, [str(y) for y in years])
            ax.set_title(titles.get(ids[n], ids[n]), fontsize=9)
            ax.grid(alpha=0.3)
            if sub["region"].nunique() <= 8:
                ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
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
