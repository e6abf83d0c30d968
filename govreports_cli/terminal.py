"""Console helpers shared by the read-side commands (versions, query, show, diff, panel, report).

A module of their own so that data_cmd.py and diff_cmd.py both import them without importing each
other (they used to form an import circle through `cell`, `console`, `fail` and `resolve`).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from govreports.config import DataPaths
from govreports.io.reading import require_release
from govreports.io.releases import Release

CELL_CHARS = 120


def console(stderr: bool = False) -> Console:
    """A console as wide as the terminal, or 200 columns when piped (tests, `| less`)."""
    width = None if sys.stdout.isatty() else max(shutil.get_terminal_size((200, 24)).columns, 200)
    return Console(stderr=stderr, width=width, highlight=False, soft_wrap=False)


def fail(message: str, code: int = 1) -> int:
    console(stderr=True).print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True)  # one line, however long
    return code


def resolve(data_dir: Path | None, version: int | None) -> tuple[DataPaths, Release]:
    """The data layout and the release to read (latest when `version` is None).

    Raises:
        LookupError: no such release, or nothing published yet (the message says which).
    """
    paths = DataPaths.from_dir(data_dir)
    return paths, require_release(paths, version)


def cell(value: Any, limit: int = CELL_CHARS) -> str:
    """One value as table text: null shown as ∅, whole floats without .0, long text cut with …"""
    if value is None or (isinstance(value, float) and value != value):
        return "∅"
    if isinstance(value, float):
        text = str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:.6g}"
    elif isinstance(value, list | tuple | dict):
        text = json.dumps(value, ensure_ascii=False, default=str)
    elif isinstance(value, dt.datetime):
        text = value.isoformat(sep=" ", timespec="seconds")
    else:
        text = str(value)
    text = text.replace("\n", "⏎")
    return escape(text if len(text) <= limit else text[: limit - 1] + "…")
