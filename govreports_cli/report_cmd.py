"""`govreports report`: (re)build the run report of a release, e.g. after a fix to the report code
or for a release whose run directory was cleaned up.

The nightly flow writes the report itself; this command only finds the inputs again: the release
from the release log, and the summary of the run that published it (runs/<run_id>/summary.json).
When that summary is missing or unreadable, the report is rebuilt from the release log alone and
says so at the top, rather than refusing: the curated tables still hold most of what matters.
`--open` on a machine with no browser to open (a server, CI, ssh without a display) says so with the
file's path and exits 1, rather than exiting 0 having opened nothing.
"""

from __future__ import annotations

import os
import sys
import webbrowser
from pathlib import Path

from govreports.config import DataPaths
from govreports.io import runs
from govreports.io.reading import no_release_message
from govreports.io.releases import get_release
from govreports.run_contract import RunSummary
from govreports_cli.data_cmd import console, fail


def write_report(version: int | None, data_dir: Path | None, out: Path | None, open_browser: bool) -> int:
    """Write the report of release `version` (default latest); 1 when there is no such release."""
    paths = DataPaths.from_dir(data_dir)
    try:
        release = get_release(paths, version)
    except LookupError as exc:
        return fail(str(exc).strip("'\""))
    if release is None:
        return fail(no_release_message(paths))
    summary = None
    try:
        summary = runs.read_summary(paths, release.run_id)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        console(stderr=True).print(f"warning: {runs.summary_path(paths, release.run_id)} unreadable ({exc}); "
                                   "using the release log only")
    summary = summary or RunSummary.from_release(release)
    html = runs.write_run_report(paths, summary, release.release, out=out.expanduser().absolute() if out else None)
    console().print(f"release {release.release}: wrote {html} and {html.with_suffix('.json')}")
    if open_browser and not open_in_browser(html):
        return fail(f"no browser to open it here (no display?): open {html.as_uri()} on a machine with one")
    return 0


def open_in_browser(html: Path) -> bool:
    """True when a browser was started on `html`. On Linux without a display only a text-mode browser
    could start (taking over the terminal, for a page of figures): that counts as none, unless $BROWSER
    names one. webbrowser itself only returns False, so the caller says what to do instead."""
    graphical = sys.platform in ("darwin", "win32") or bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if not graphical and not os.environ.get("BROWSER"):
        return False
    try:
        return webbrowser.open(html.as_uri())
    except webbrowser.Error:
        return False
