"""The run contract: what a run did, as typed records that flows, tasks, the CLI and the report share.

runs/<run_id>/summary.json is read by people, by `govreports report` and by scripts, so its JSON is
fixed: `to_json` writes the same keys in the same order the flows always wrote, and drops what a
run did not record (a backfill has no retries, a summary rebuilt from the release log has no
pages), so `from_json(to_json(x)) == x` and `to_json(from_json(d)) == d` for every summary written.
The failure lists (inbox refusals, fetch failures, page errors) stay plain JSON objects: their keys
differ by where the failure happened, and the report shows them as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

NOTHING_NEW = "nothing new: no new version"

Failure = dict[str, Any]


def _present(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object of the pairs whose value was recorded (None means: not recorded)."""
    return {k: v for k, v in pairs if v is not None}


@dataclass
class PageEntry:
    """What a run keeps of one parsed page (small and JSON-able: its rows are staged)."""

    sha256: str
    source: str | None
    name: str | None = None
    error: str | None = None
    documents: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "source": self.source, "name": self.name, "error": self.error,
                "documents": self.documents}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PageEntry:
        return cls(sha256=data["sha256"], source=data.get("source"), name=data.get("name"),
                   error=data.get("error"), documents=int(data.get("documents") or 0))


@dataclass
class BatchManifest:
    """One staged parse batch: its number, its key (pages + code), its stage dir and its page entries."""

    batch: int
    key: str
    dir: str
    pages: list[PageEntry]

    def to_json(self) -> dict[str, Any]:
        return {"batch": self.batch, "key": self.key, "dir": self.dir, "pages": [p.to_json() for p in self.pages]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BatchManifest:
        return cls(batch=int(data["batch"]), key=str(data["key"]), dir=str(data["dir"]),
                   pages=[PageEntry.from_json(p) for p in data.get("pages") or []])


@dataclass
class ValidatedBatch:
    """One batch after validation: where its valid parts are, its results and its failed documents."""

    batch: int
    dir: str
    results: dict[str, Any]
    failed_docs: dict[str, list[str]]


@dataclass
class PagesCounts:
    """Pages brought in: inbox and portals (nightly) or re-parsed (backfill); what was refused, and why."""

    received: int | None = None
    waiting: int | None = None
    fetched: int | None = None
    new: int | None = None
    not_modified: int | None = None
    skipped: int | None = None
    failed: list[Failure] = field(default_factory=list)
    reparsed: int | None = None

    def to_json(self) -> dict[str, Any]:
        return _present([(f.name, getattr(self, f.name)) for f in fields(self)])

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PagesCounts:
        return cls(**{f.name: data[f.name] for f in fields(cls) if f.name in data})

    @classmethod
    def gathered(cls, inbox: dict[str, Any] | None, fetches: list[dict[str, Any]]) -> PagesCounts:
        """Totals over the inbox and every source; failures keep their source or URL and reason."""
        inbox = inbox or {"received": 0, "failed": []}
        pages = cls(received=inbox.get("received", 0), waiting=inbox.get("waiting", 0), fetched=0,
                    new=inbox.get("new", 0), not_modified=0, skipped=0, failed=list(inbox.get("failed", [])))
        for report in fetches:
            pages.fetched = (pages.fetched or 0) + int(report.get("fetched", 0))
            pages.new = (pages.new or 0) + int(report.get("new", 0))
            pages.not_modified = (pages.not_modified or 0) + int(report.get("not_modified", 0))
            pages.skipped = (pages.skipped or 0) + int(report.get("skipped", 0))
            pages.failed.extend(report.get("failed", []))
        return pages

    @classmethod
    def reparsed_pages(cls, count: int) -> PagesCounts:
        """A backfill brings no page in: it re-parses `count` stored ones."""
        return cls(received=0, fetched=0, not_modified=0, skipped=0, reparsed=count)


@dataclass
class ParseCounts:
    """Pages parsed, with reports, without; documents; one error entry per page that yielded nothing."""

    pages: int
    pages_ok: int
    no_report: int
    errors: list[Failure]
    documents: int

    def to_json(self) -> dict[str, Any]:
        return {"pages": self.pages, "pages_ok": self.pages_ok, "no_report": self.no_report,
                "errors": list(self.errors), "documents": self.documents}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ParseCounts:
        return cls(pages=data["pages"], pages_ok=data["pages_ok"], no_report=data["no_report"],
                   errors=list(data.get("errors") or []), documents=data["documents"])

    @classmethod
    def of(cls, pages: list[PageEntry], failed_batches: list[Failure] | None = None) -> ParseCounts:
        """Counts over the page entries; each error names the page as a person knows it (URL or
        inbox file name) besides its source and hash, so the report can say which file to look at."""
        errors = [{"source": p.source, "name": p.name, "sha256": p.sha256, "error": p.error}
                  for p in pages if p.error]
        errors.extend(failed_batches or [])
        return cls(pages=len(pages), pages_ok=sum(1 for p in pages if not p.error),
                   no_report=sum(1 for p in pages if (p.error or "").startswith("no_report")),
                   errors=errors, documents=sum(p.documents for p in pages))


def failed_batch_entries(hashes: list[str], reason: str) -> list[Failure]:
    """A whole parse batch failed: its pages stay pending (unpublished) and are listed here."""
    return [{"source": None, "sha256": sha, "error": f"batch_failed: {reason}"} for sha in hashes]


@dataclass
class RetryCounts:
    """Pages retried this run; the retry ledger's outcome (failed again, recovered, parked)."""

    retried: int
    failed: int
    recovered: int
    parked: int

    def to_json(self) -> dict[str, Any]:
        return {"retried": self.retried, "failed": self.failed, "recovered": self.recovered, "parked": self.parked}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RetryCounts:
        return cls(**{k: int(data.get(k, 0)) for k in ("retried", "failed", "recovered", "parked")})


@dataclass
class SuiteCounts:
    """One table's suite: passed or not, expectations judged and failed, rows before and after."""

    success: bool
    expectations: int
    failed: int
    rows_in: int | None
    rows_out: int | None

    def to_json(self) -> dict[str, Any]:
        return {"success": self.success, "expectations": self.expectations, "failed": self.failed,
                "rows_in": self.rows_in, "rows_out": self.rows_out}


@dataclass
class QuarantinedDoc:
    doc_id: str
    failed: list[str]


@dataclass
class ValidationOutcome:
    """Per-suite success and counts, and the quarantined documents with the expectations they failed."""

    success: bool | None = None
    suites: dict[str, SuiteCounts] = field(default_factory=dict)
    quarantined: list[QuarantinedDoc] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"success": self.success, "suites": {n: s.to_json() for n, s in self.suites.items()},
                "quarantined": [{"doc_id": q.doc_id, "failed": q.failed} for q in self.quarantined]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ValidationOutcome:
        return cls(success=data.get("success"),
                   suites={n: SuiteCounts(**s) for n, s in (data.get("suites") or {}).items()},
                   quarantined=[QuarantinedDoc(q["doc_id"], q["failed"]) for q in data.get("quarantined") or []])

    @classmethod
    def of(cls, results: dict[str, Any] | None, failed_docs: dict[str, list[str]] | None) -> ValidationOutcome:
        """From the run's merged validation results (validation.json); None: nothing was validated."""
        if results is None:
            return cls()
        rows_in, rows_out = results.get("rows_in", {}), results.get("rows_out", {})
        suites = {}
        for name, suite in (results.get("suites") or {}).items():
            stats = (suite.get("gx") or {}).get("statistics") or {}
            checks = [c for c in suite.get("checks", []) if c.get("success") is not None]
            failed = stats.get("unsuccessful_expectations", 0) + sum(1 for c in checks if not c["success"])
            suites[name] = SuiteCounts(success=failed == 0,
                                       expectations=stats.get("evaluated_expectations", 0) + len(checks),
                                       failed=failed, rows_in=rows_in.get(name), rows_out=rows_out.get(name))
        return cls(success=results.get("success"), suites=suites,
                   quarantined=[QuarantinedDoc(d, f) for d, f in sorted((failed_docs or {}).items())])


@dataclass
class ReleaseOutcome:
    """The published release (number, table versions and row changes), or no number and why not."""

    number: int | None
    tables: dict[str, Any] = field(default_factory=dict)
    changes: dict[str, Any] | None = None
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"number": self.number,
                **_present([("tables", self.tables), ("changes", self.changes), ("note", self.note)])}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReleaseOutcome:
        return cls(number=data.get("number"), tables=dict(data.get("tables") or {}), changes=data.get("changes"),
                   note=data.get("note"))

    @classmethod
    def of(cls, release: Any) -> ReleaseOutcome:
        """From what curated.publish returned (a Release, or None when nothing changed)."""
        if release is None:
            return cls(number=None, tables={}, changes={}, note=NOTHING_NEW)
        return cls(number=release.release, tables=dict(release.tables), changes=dict(release.changes))


_SECTIONS: dict[str, Any] = {"pages": PagesCounts, "parse": ParseCounts, "retries": RetryCounts,
                             "validation": ValidationOutcome, "release": ReleaseOutcome}


@dataclass
class RunSummary:
    """runs/<run_id>/summary.json: what one run did, page by page where something went wrong.

    `report` (the report's path) and `made_due` (what a retry run made due) are known only after the
    summary is written: they travel to the CLI but are not in summary.json.
    """

    run_id: str
    kind: str
    years: list[int] | None = None
    logical_date: str | None = None
    scheduled_start_time: str | None = None
    code_version: str | None = None
    data_dir: str | None = None
    pages: PagesCounts | None = None
    parse: ParseCounts | None = None
    retries: RetryCounts | None = None
    validation: ValidationOutcome | None = None
    release: ReleaseOutcome | None = None
    note: str | None = None
    report: str | None = None
    made_due: dict[str, list[str]] | None = None

    def to_json(self) -> dict[str, Any]:
        """The summary as written to disk (same keys, same order as ever; unrecorded parts left out)."""
        out = []
        for f in fields(self):
            value = getattr(self, f.name)
            out.append((f.name, value.to_json() if f.name in _SECTIONS and value is not None else value))
        return _present(out)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunSummary:
        values: dict[str, Any] = {}
        for f in fields(cls):
            if f.name in data and data[f.name] is not None:
                value = data[f.name]
                values[f.name] = _SECTIONS[f.name].from_json(value) if f.name in _SECTIONS else value
        return cls(**values)

    @classmethod
    def from_release(cls, release: Any) -> RunSummary:
        """A summary rebuilt from the release log alone, for runs whose summary.json is gone."""
        return cls(run_id=release.run_id, kind=release.kind, logical_date=release.created_at.date().isoformat(),
                   code_version=release.code_version,
                   release=ReleaseOutcome(number=release.release, tables=release.tables),
                   note="runs/<run_id>/summary.json not found: pages, parsing and validation were not recorded; "
                        "this report is rebuilt from the release log and the curated tables.")
