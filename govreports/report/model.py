"""What the run report is built from and what it holds, as types: the report stays a pure function.

`ReportInputs` is everything the report needs from disk (the release and the one before it, the
document counts and this run's documents, the quarantine, the indicator aggregates), read by
govreports/io/report_inputs.py; `ReportModel` is what report.json holds and report.html draws.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol

import pandas as pd


class ReleaseFacts(Protocol):
    """What the report reads of a release (govreports/io/releases.Release has it)."""

    release: int
    created_at: dt.datetime
    run_id: str
    code_version: str
    kind: str
    years: list[int]
    raw_hashes: list[str]
    tables: dict[str, dict[str, int]]
    changes: dict[str, dict[str, int]]


@dataclass
class IndicatorAggregates:
    """The indicators most documents report and their medians by region and year (from indicator_values).

    `top` rows are (indicator_id, unit, documents, sub), most documents first; `series` rows are
    {indicator_id, year, region, value, documents}; `regions` sorted.
    """

    top: list[tuple[str, str | None, int, str | None]]
    series: list[dict[str, Any]]
    regions: list[str]


@dataclass
class DocumentFacts:
    """What the report shows of a release's documents, counted where they are stored (not loaded).

    `sources` rows are (source, documents), most documents first, then by name; `coverage` rows are
    (report year, source, documents); `parts` rows are (report year, part, state, documents), the
    state "not assessed" where the part column is null (rows without a year or source are not
    counted there); `published` holds the rows (report_inputs.DOCUMENT_COLUMNS) of the first
    documents (report_inputs.PUBLISHED_LISTED) from the pages this run processed, by report year
    (unknown last), then doc_id; `published_total` counts them all.
    """

    total: int
    sources: list[tuple[str, int]]
    coverage: list[tuple[int, str, int]]
    parts: list[tuple[int, str, str, int]]
    published: list[dict[str, Any]]
    published_total: int = 0


@dataclass
class ReportInputs:
    """A release's side of the report: the release, the one before it, and what was read at it."""

    release: ReleaseFacts
    previous: ReleaseFacts | None
    documents: DocumentFacts
    quarantine: pd.DataFrame
    indicators: IndicatorAggregates


@dataclass
class ReportModel:
    """The report: what report.json holds (same keys, same order) and report.html draws."""

    run: dict[str, Any]
    note: str | None
    pages: dict[str, Any]
    parse: dict[str, Any]
    validation: dict[str, Any]
    release: dict[str, Any] | None = None
    documents: dict[str, Any] | None = None
    indicators: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        out = {"run": self.run, "note": self.note, "pages": self.pages, "parse": self.parse,
               "validation": self.validation, "release": self.release}
        if self.release is not None:
            out |= {"documents": self.documents, "indicators": self.indicators}
        return out
