"""`govreports maintain` and `govreports retry`: the operator's upkeep commands, run in-process.

Same environment preparation as `run` (govreports_cli/run_cmd.py); the work is in flows/maintain.py
and flows/retry.py.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from govreports_cli import lifeline
from govreports_cli.run_cmd import _data_dir, _prepare_env, failure, print_summary


def run_maintain(data_dir: Path | None, *, keep_releases: int | None, dry_run: bool) -> int:
    """Compact and vacuum; print what was done."""
    root = _data_dir(data_dir)
    _prepare_env(root)
    lifeline.start()
    from flows.maintain import maintain

    try:
        report = maintain(data_dir=str(root), keep_releases=keep_releases, dry_run=dry_run)
    except Exception as exc:
        print(f"maintain failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    head = "maintain (dry run)" if dry_run else "maintain"
    print(f"{head} {report['run_id']}: latest release reads {report['files_before']} → {report['files_after']} files; "
          f"{report['vacuumed']} unreferenced files {'would be ' if dry_run else ''}deleted")
    kept = report["kept_releases"]
    print(f"  kept releases readable: {kept[0]}–{kept[-1]}" if kept else "  nothing published yet")
    if report.get("release"):
        print(f"  recorded release {report['release']} (kind maintain: same rows, compacted files)")
    for table in report["tables"]:
        if table["compacted_version"] is not None or table["vacuumed_files"]:
            print(f"    {table['table']}: {table['files_before']} → {table['files_after']} files, "
                  f"{table['vacuumed_files']} deleted")
    print(f"  report: {report['report']}")
    return 0


def run_retry(pages: list[str], data_dir: Path | None, *, sources: Path | None, every: bool) -> int:
    """Make failed pages due now (all, or the named ones) and run the nightly flow."""
    if not every and not pages:
        print("retry needs --all or one or more pages (sha256 prefix of a stored page, or a report URL)",
              file=sys.stderr)
        return 2
    root = _data_dir(data_dir)
    _prepare_env(root)
    lifeline.start()
    from flows.retry import retry

    try:
        summary = retry(pages=None if every else pages, data_dir=str(root),
                        sources_file=str(sources) if sources else None)
    except (Exception, asyncio.CancelledError) as exc:
        print(f"retry failed: {failure(exc, root)}", file=sys.stderr)
        return 1
    due = summary.made_due or {"pages": [], "urls": []}
    print(f"retrying {len(due['pages'])} failed pages and {len(due['urls'])} failed report URLs")
    print_summary(summary)
    return 0
