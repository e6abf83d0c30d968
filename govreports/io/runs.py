"""The run directory runs/<run_id>/: its summary, validation results, report and maintenance record.

One module reads and writes them so every artifact is written the same way: atomically (a reader,
or a run killed half-way, sees the old file or the new one, never half of one), under the path
`DataPaths.run_dir` gives, with the JSON layout people and scripts already read (summary.json
indented by 2, validation.json and maintenance.json by 1, report.json by 1 with a final newline).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from govreports.config import DataPaths
from govreports.io.files import atomic_write
from govreports.run_contract import RunSummary

SUMMARY = "summary.json"
VALIDATION = "validation.json"
REPORT = "report.html"
MAINTENANCE = "maintenance.json"


_COMPACT = json.JSONEncoder(ensure_ascii=False, default=str, separators=(", ", ": ")).encode


def _json(value: Any, indent: int) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=indent, default=str).encode("utf-8")


def _json_records(value: Any, indent: int) -> bytes:
    """Pretty JSON for large files (report.json): an object's keys one per line (nested objects
    indented), a list of records one record per line. Each line is encoded by json's C encoder:
    `indent=` makes json use its pure Python one, ≈0.7 s for a 10,000-page run's report.json."""
    return _pretty(value, indent, 0).encode("utf-8")


def _pretty(value: Any, indent: int, level: int) -> str:
    pad, end = " " * indent * (level + 1), " " * indent * level
    if isinstance(value, dict) and value and all(isinstance(k, str) for k in value):
        items = [f"{pad}{_COMPACT(k)}: {_pretty(v, indent, level + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + end + "}"
    if isinstance(value, list | tuple) and value and all(isinstance(x, dict | list | tuple) for x in value):
        return "[\n" + ",\n".join(pad + _COMPACT(x) for x in value) + "\n" + end + "]"
    return _COMPACT(value)


def summary_path(paths: DataPaths, run_id: str) -> Path:
    return paths.run_dir(run_id) / SUMMARY


def write_summary(paths: DataPaths, summary: RunSummary) -> Path:
    """runs/<run_id>/summary.json: what the run did, page by page where something went wrong."""
    path = summary_path(paths, summary.run_id)
    atomic_write(path, _json(summary.to_json(), 2))
    return path


def read_summary(paths: DataPaths, run_id: str) -> RunSummary | None:
    """The run's summary; None when there is none (or it is another run's). Raises OSError or
    ValueError when it cannot be read or parsed."""
    path = summary_path(paths, run_id)
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("run_id") != run_id:
        return None
    return RunSummary.from_json(data)


def write_validation(paths: DataPaths, run_id: str, results: dict[str, Any]) -> Path:
    """runs/<run_id>/validation.json: the run's full validation results (every suite, every check)."""
    path = paths.run_dir(run_id) / VALIDATION
    atomic_write(path, _json(results, 1))
    return path


def read_validation(paths: DataPaths, run_id: str | None) -> dict[str, Any]:
    """The run's validation results, or {} when the run recorded none."""
    if not run_id:
        return {}
    path = paths.run_dir(run_id) / VALIDATION
    if not path.is_file():
        return {}
    return json.loads(path.read_text(encoding="utf-8"))


def write_report(paths: DataPaths, run_id: str, model: dict[str, Any], html: str, *,
                 out: Path | None = None) -> Path:
    """runs/<run_id>/report.html and report.json (or `out` and its .json sibling); returns the HTML path."""
    html_path = out or paths.run_dir(run_id) / REPORT
    atomic_write(html_path.with_suffix(".json"), _json_records(model, 1) + b"\n")
    atomic_write(html_path, html.encode("utf-8"))
    return html_path


def write_maintenance(paths: DataPaths, run_id: str, report: dict[str, Any]) -> Path:
    """runs/<run_id>/maintenance.json: what a maintain run compacted and vacuumed."""
    path = paths.run_dir(run_id) / MAINTENANCE
    atomic_write(path, json.dumps(report, ensure_ascii=False, indent=1).encode("utf-8"))
    return path


def write_run_report(paths: DataPaths, summary: RunSummary, release_number: int | None, *,
                     out: Path | None = None) -> Path:
    """Read what the run's report needs, build it (govreports/report/, pure) and write it.

    Args:
        paths: the data layout.
        summary: the run summary (RunSummary.from_release when summary.json is lost).
        release_number: the release the run published; None looks it up by run id, and a run that
            published nothing gets a report of its pages and validation only.
        out: where to write the HTML instead of runs/<run_id>/report.html (report.json beside it).
    Returns:
        The path of the HTML file.
    """
    from govreports.io.report_inputs import read_report_inputs
    from govreports.report.build import build_report, render_html

    inputs = read_report_inputs(paths, release_number, summary.run_id)
    model = build_report(summary, read_validation(paths, summary.run_id), inputs)
    return write_report(paths, summary.run_id, model.to_json(), render_html(model), out=out)
