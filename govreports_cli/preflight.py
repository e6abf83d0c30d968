"""Mistakes a run can be told about before Prefect starts: a data dir that is not there, a sources
file that is missing or invalid, a backfill with nothing published to backfill.

Each is one line naming the path and what to do, with exit status 2 (a usage error), instead of a
Prefect traceback after the server started — or, for a mistyped --data-dir, instead of a fresh empty
data dir and "nothing new". Only standard-library and core imports: this runs in the first second.
"""

from __future__ import annotations

import os
from pathlib import Path

from govreports import settings
from govreports.config import ENV_DATA_DIR, DataPaths

USAGE = 2


class UsageError(Exception):
    """A problem with what the command was given; the message is the one line to print."""


def data_dir(given: Path | None, *, init: bool = False) -> Path:
    """The data dir to use (see DataPaths.from_dir); it must exist unless `init` creates it.

    Raises:
        UsageError: it does not exist (and not `init`), is not a directory, or is not writable.
    """
    root = DataPaths.from_dir(given).data_dir
    origin = "--data-dir" if given is not None else (f"${ENV_DATA_DIR}" if os.environ.get(ENV_DATA_DIR) else
                                                      "the default data dir")
    if not root.exists():
        if not init:
            raise UsageError(f"data dir {root} ({origin}) does not exist: check the path, or add --init to "
                             f"create it")
        try:
            root.mkdir(parents=True)
        except OSError as exc:
            raise UsageError(f"cannot create data dir {root} ({origin}): {exc.strerror or exc}") from exc
    if not root.is_dir():
        raise UsageError(f"data dir {root} ({origin}) is not a directory")
    if not os.access(root, os.W_OK | os.X_OK):
        raise UsageError(f"data dir {root} ({origin}) is not writable")
    return root


def sources_file(given: Path | None) -> Path | None:
    """The sources file the run will read (--sources, $GOVREPORTS_SOURCES, or sources.yaml), validated.

    Raises:
        UsageError: the file named does not exist, or is not a valid sources file (all its problems on
        one line).
    """
    from flows._runtime import resolve_sources_file  # stdlib-only module: the same rule the flow uses
    from govreports.portals.sources import SourcesError, load_sources

    path = resolve_sources_file(str(given) if given else None)
    if path is None:
        return None
    origin = "--sources" if given else ("$GOVREPORTS_SOURCES" if os.environ.get("GOVREPORTS_SOURCES") else "")
    named = f"sources file {path}" + (f" ({origin})" if origin else "")
    if not path.is_file():
        raise UsageError(f"{named} not found" if not path.exists() else f"{named} is not a file")
    try:
        load_sources(path)
    except SourcesError as exc:
        problems = [e.removeprefix(f"{path}: ").replace("\n", " ") for e in exc.errors]
        raise UsageError(f"{named} is invalid: {'; '.join(problems)}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{named} cannot be read: {exc}") from exc
    return path


def has_release(root: Path) -> None:
    """A backfill re-parses published years: there must be a release to start from.

    Raises:
        UsageError: nothing was published in `root`.
    """
    from govreports.io.reading import no_release_message
    from govreports.io.releases import get_release

    paths = DataPaths.from_dir(root)
    if get_release(paths) is None:
        raise UsageError(no_release_message(paths))


def environment() -> None:
    """The GOVREPORTS_* settings that are not paths are well-formed (govreports/settings.py)."""
    try:
        settings.check_all()
    except settings.SettingError as exc:
        raise UsageError(str(exc)) from None
