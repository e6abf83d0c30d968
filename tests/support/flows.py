"""Running the flows in tests: a nightly on a tmp data dir that never reads the repo's sources.yaml
(real portals), pages dropped into its inbox, and its curated tables read back order-free."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from govreports.config import DataPaths
from govreports.io import curated

TABLES = ("documents", "sections", "quantities", "indicators", "keywords", "citations", "pages")


def no_sources(directory: Path) -> str:
    """An empty sources file: tests never fall back to the repo's sources.yaml (real portals)."""
    path = directory / "no-sources.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("sources: []\n", encoding="utf-8")
    return str(path)


def nightly(data_dir: Path, **kwargs) -> dict:
    """The nightly flow's summary as JSON (what summary.json holds, plus the report's path); needs the
    session's Prefect server (the `prefect_server` fixture)."""
    from flows.nightly import nightly as flow

    kwargs.setdefault("sources_file", no_sources(data_dir))
    return flow(data_dir=str(data_dir), **kwargs).to_json()


def read_all(data_dir: Path, version: int | None = None) -> dict[str, list[dict]]:
    """Every curated table as sorted rows (order-free comparison)."""
    paths = DataPaths.from_dir(data_dir)
    out = {}
    for name in TABLES:
        table = curated.read_arrow(name, version, data_dir=paths)
        rows = [json.dumps(r, sort_keys=True, ensure_ascii=False, default=str) for r in table.to_pylist()]
        out[name] = sorted(rows)
    return out


def drop_into_inbox(data_dir: Path, *files: Path | tuple[str, bytes]) -> None:
    """Copy pages (paths) or write (name, bytes) pages into the data dir's inbox."""
    inbox = DataPaths.from_dir(data_dir).inbox_dir
    inbox.mkdir(parents=True, exist_ok=True)
    for item in files:
        if isinstance(item, tuple):
            (inbox / item[0]).write_bytes(item[1])
        else:
            shutil.copy2(item, inbox / item.name)
