"""Compose the run summary (runs/<run_id>/summary.json) from what the tasks returned.

The summary is the run's contract with people and with govreports/report/build.py: counts, plus one
entry per page that went wrong with its reason, so a bad page is never just a number. Plain
functions over JSON-able values (no Prefect), so the shape is tested without an orchestrator.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

NOTHING_NEW = "nothing new: no new version"


def pages_section(inbox: dict[str, Any] | None, fetches: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Totals over the inbox and every source; failures keep their source or URL and reason."""
    inbox = inbox or {"received": 0, "failed": []}
    section: dict[str, Any] = {"received": inbox.get("received", 0), "waiting": inbox.get("waiting", 0),
                               "fetched": 0, "new": inbox.get("new", 0), "not_modified": 0, "skipped": 0,
                               "failed": list(inbox.get("failed", []))}
    for report in fetches:
        for key in ("fetched", "new", "not_modified", "skipped"):
            section[key] += int(report.get(key, 0))
        section["failed"].extend(report.get("failed", []))
    return section


def parse_section(pages: list[dict[str, Any]], failed_batches: Iterable[dict[str, Any]] = ()) -> dict[str, Any]:
    """pages_ok / no_report counts, documents, and one error entry per page that yielded nothing.

    `pages` are the workers' page entries (tasks/_worker.page_entry). Each error entry names the
    page as a person knows it (`name`: URL or inbox file name) besides its source and hash, so
    the report can say which file to look at.
    """
    errors = [{"source": p["source"], "name": p.get("name"), "sha256": p["sha256"], "error": p["error"]}
              for p in pages if p.get("error")]
    errors.extend(failed_batches)
    return {
        "pages": len(pages),
        "pages_ok": sum(1 for p in pages if not p.get("error")),
        "no_report": sum(1 for p in pages if (p.get("error") or "").startswith("no_report")),
        "errors": errors,
        "documents": sum(int(p.get("documents") or 0) for p in pages),
    }


def failed_batch_entries(hashes: list[str], reason: str) -> list[dict[str, Any]]:
    """A whole parse batch failed: its pages stay pending (unpublished) and are listed here."""
    return [{"source": None, "sha256": sha, "error": f"batch_failed: {reason}"} for sha in hashes]


def validation_section(outcome: Any) -> dict[str, Any]:
    """Per-suite success and counts, and the quarantined documents with the expectations they failed."""
    if outcome is None:
        return {"success": None, "suites": {}, "quarantined": []}
    results = outcome.results or {}
    rows_in, rows_out = results.get("rows_in", {}), results.get("rows_out", {})
    suites = {}
    for name, suite in (results.get("suites") or {}).items():
        stats = (suite.get("gx") or {}).get("statistics") or {}
        checks = [c for c in suite.get("checks", []) if c.get("success") is not None]
        failed = stats.get("unsuccessful_expectations", 0) + sum(1 for c in checks if not c["success"])
        suites[name] = {
            "success": failed == 0,
            "expectations": stats.get("evaluated_expectations", 0) + len(checks),
            "failed": failed,
            "rows_in": rows_in.get(name),
            "rows_out": rows_out.get(name),
        }
    return {
        "success": results.get("success"),
        "suites": suites,
        "quarantined": [{"doc_id": doc_id, "failed": failed}
                        for doc_id, failed in sorted((outcome.failed_docs or {}).items())],
    }


def release_section(release: Any) -> dict[str, Any]:
    """The published release (number, table versions and row changes), or None and why not."""
    if release is None:
        return {"number": None, "tables": {}, "changes": {}, "note": NOTHING_NEW}
    return {"number": release.release, "tables": dict(release.tables), "changes": dict(release.changes)}
