"""Staged tables: a run's parsed rows on disk, per batch and chunk, between parsing and publishing.

Why: a run must not hold every page's records in one process (10,000 pages of PageResults and
their tables took 5.5 GB in the flow process). Workers write each chunk's tables here as Parquet
and hand back only small page summaries; validation reads one batch at a time; the publisher
streams the validated parts into Delta. Memory then depends on the batch size, not on the run.

Layout under a run's stage dir: `batch-<k>/parsed/<table>/<chunk>.parquet` (what the workers
wrote), `batch-<k>/valid/<table>.parquet` (what passed validation, plus the batch's quarantine)
and `batch-<k>/manifest.json` (written last: a batch with a manifest is complete and reusable).
Every file is written to a temp name and renamed, so a crash leaves no half-written part.
Staged files are scratch, not a published format: they are deleted once the run has published.
A run holds an flock on `<run dir>/stage.lock` while its stage exists (`claim`); the kernel drops
it when the run dies however it dies, so the next run removes every stage whose lock is free
(`sweep_stale`): a killed run's stage never lingers, a concurrent run's stage is left alone.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq

from govreports.io import spill_dirs
from govreports.tables.schemas import SCHEMAS

if TYPE_CHECKING:
    import pyarrow.dataset as pads

MANIFEST = "manifest.json"
LOCK = "stage.lock"
_CLAIMS: dict[Path, int] = {}  # stage dir -> the fd holding its lock, for this process's life


def batch_dir(stage_dir: Path, batch_no: int) -> Path:
    return stage_dir / f"batch-{batch_no:05d}"


def write_tables(directory: Path, tables: Mapping[str, pa.Table], part: str) -> None:
    """`directory/<table>/<part>.parquet` for every non-empty table (atomic per file)."""
    for name, table in tables.items():
        if not table.num_rows:
            continue
        target = directory / name / f"{part}.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".tmp-{os.getpid()}-{target.name}")
        # zstd level 1: staged data is read back once, soon; speed matters more than size
        pq.write_table(table, tmp, compression="zstd", compression_level=1)
        os.replace(tmp, target)


def drop_part(directory: Path, part: str) -> None:
    """Delete `part` of every table under `directory` (a chunk that will be staged again)."""
    for file in directory.glob(f"*/{part}.parquet"):
        file.unlink(missing_ok=True)


def parts(directory: Path, name: str) -> list[Path]:
    """The Parquet parts of table `name` under `directory`, in name order (deterministic)."""
    folder = directory / name
    return sorted(folder.glob("*.parquet")) if folder.is_dir() else []


def read_table(directory: Path, name: str) -> pa.Table:
    """All parts of `name` under `directory` as one table with the published schema (empty if none)."""
    files = parts(directory, name)
    if not files:
        return SCHEMAS[name].empty_table()
    return pa.concat_tables([pq.read_table(f, schema=SCHEMAS[name]) for f in files])


def read_tables(directory: Path) -> dict[str, pa.Table]:
    return {name: read_table(directory, name) for name in SCHEMAS}


def dataset(files: Iterable[Path], name: str) -> pads.Dataset:
    """A lazy dataset over staged parts of table `name` (streamed by the publisher, never loaded whole).

    pyarrow.dataset is imported here, not at the top: it imports pandas (≈60 MB, 0.5 s), which the
    parse workers (they import this module to write their parts) never need.
    """
    import pyarrow.dataset as pads
    return pads.dataset([str(f) for f in files], schema=SCHEMAS[name], format="parquet")


def write_manifest(directory: Path, manifest: Mapping[str, Any]) -> None:
    """Marks the batch complete: written last, atomically."""
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / f".tmp-{os.getpid()}-{MANIFEST}"
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, sort_keys=True), encoding="utf-8")
    os.replace(tmp, directory / MANIFEST)


def read_manifest(directory: Path) -> dict[str, Any] | None:
    """The batch's manifest, or None when the batch never completed."""
    try:
        return json.loads((directory / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def clear(directory: Path) -> None:
    """Remove a stage dir (or batch dir) and everything in it; missing is fine. Drops its claim."""
    shutil.rmtree(directory, ignore_errors=True)
    fd = _CLAIMS.pop(Path(directory), None)
    if fd is not None:
        os.close(fd)


def _try_lock(stage_dir: Path) -> int | None:
    """An fd holding the stage's lock, or None when a live run holds it."""
    stage_dir.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(stage_dir.parent / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def claim(stage_dir: Path) -> None:
    """Mark `stage_dir` as this live run's (until `clear` or the process ends)."""
    stage_dir = Path(stage_dir)
    if stage_dir not in _CLAIMS:
        fd = _try_lock(stage_dir)
        if fd is None:
            raise RuntimeError(f"{stage_dir} belongs to another running run")
        _CLAIMS[stage_dir] = fd
    stage_dir.mkdir(parents=True, exist_ok=True)


def sweep_stale(runs_dir: Path) -> list[Path]:
    """Remove the stage dirs under `runs_dir` whose run is no longer running; returns them."""
    removed = []
    for stage_dir in sorted(Path(runs_dir).glob("*/stage")):
        if stage_dir not in _CLAIMS and spill_dirs.remove_if_unheld(stage_dir, stage_dir.parent / LOCK, create=True):
            removed.append(stage_dir)
    return removed
