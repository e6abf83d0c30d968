"""`govreports versions --tables`: the Delta version of every table in every release.

The map a reader without this package needs (docs/datasets.md, "Reading a release without
govreports"): open table T of release N with any Delta reader at the version printed here. Kept apart
from data_cmd.py's release log view because it answers a different question (where, not what).
"""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from govreports.config import DataPaths
from govreports.io.reading import no_release_message
from govreports.io.releases import read_releases
from govreports.tables.schemas import TABLES
from govreports_cli.data_cmd import console, fail


def show_table_versions(data_dir: Path | None) -> int:
    """Print release → Delta version of each table, newest release first; 1 when nothing was published."""
    paths = DataPaths.from_dir(data_dir)
    releases = read_releases(paths)
    if not releases:
        return fail(no_release_message(paths))
    table = Table(title=f"Delta version of each table, per release, in {paths.curated_dir}", title_justify="left")
    table.add_column("release", no_wrap=True)
    for name in TABLES:
        table.add_column(name, justify="right")
    for rel in reversed(releases):
        versions = [rel.version_of(name) for name in TABLES]
        table.add_row(str(rel.release), *("—" if v is None else str(v) for v in versions))
    out = console()
    out.print(table)
    out.print(f"e.g. polars.read_delta(\"{paths.table_uri('indicators')}\", version=<indicators of release N>); "
              "— = the table did not exist yet in that release")
    return 0
