"""Receiving the inbox: wall and CPU seconds, and how many fsync/syncfs calls it makes (issue 16).

    python -m benchmarks.inbox --pages 2000 [--repeat 3] [--work DIR]

Generates N pages (benchmarks/corpus.py, seed 7; kept in the work dir between repeats), copies them
into a fresh data dir's inbox, and times `govreports.io.inbox.receive` in this process, counting
every `os.fsync` and every `syncfs` the store makes. The work dir defaults to one under /tmp: it
must be on a real disk (not tmpfs), or syncs cost nothing and the figures mean little. To compare
two code versions, run this module from each tree with the same `--work DIR --keep`, then delete
DIR/data-* (see the comment in main).
Durability costs depend on what else writes to the same disk (syncfs flushes the whole
filesystem), so repeats report min and median.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.corpus import generate


class SyncCounter:
    """Counts os.fsync and the batch's syncfs while installed (a context manager)."""

    def __init__(self) -> None:
        self.fsync = 0
        self.syncfs = 0
        self._undo: list[tuple[Any, str, Any]] = []

    def _wrap(self, owner: Any, attr: str, field: str) -> None:
        real = getattr(owner, attr)

        def counted(*args: Any, **kwargs: Any) -> Any:
            setattr(self, field, getattr(self, field) + 1)
            return real(*args, **kwargs)

        self._undo.append((owner, attr, real))
        setattr(owner, attr, counted)

    def __enter__(self) -> SyncCounter:
        self._wrap(os, "fsync", "fsync")
        try:
            from govreports.io import durable_batch
        except ImportError:  # the per-page store (before issue 16) has no syncfs
            return self
        self._wrap(durable_batch, "_syncfs", "syncfs")
        return self

    def __exit__(self, *exc: object) -> None:
        for owner, attr, real in reversed(self._undo):
            setattr(owner, attr, real)


def measure_once(pages: Path, data: Path) -> dict[str, Any]:
    """Receive a copy of `pages` into the new data dir `data`; wall, CPU and sync counts."""
    from govreports.config import DataPaths
    from govreports.io import inbox
    from govreports.io.files import ensure_dirs

    paths = ensure_dirs(DataPaths.from_dir(data, env={}))
    for page in sorted(pages.iterdir()):
        shutil.copyfile(page, paths.inbox_dir / page.name)
    os.sync()  # the copies' own writeback is not the receiver's cost
    with SyncCounter() as counter:
        wall0, t0 = time.perf_counter(), os.times()
        report = inbox.receive(paths, settle=0)
        wall, t1 = time.perf_counter() - wall0, os.times()
    assert not report.errors and not report.quarantined, (report.errors, report.quarantined)
    user, system = t1.user - t0.user, t1.system - t0.system
    return {"stored": len(report.stored), "wall_s": round(wall, 3), "cpu_s": round(user + system, 3),
            "user_s": round(user, 3), "sys_s": round(system, 3), "fsync": counter.fsync, "syncfs": counter.syncfs}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--work", type=Path, default=None)
    ap.add_argument("--keep", action="store_true", help="keep the data dirs (delete them later: see below)")
    args = ap.parse_args()
    import govreports

    work = args.work or Path(tempfile.mkdtemp(prefix="inbox-bench-"))
    pages = work / f"pages-{args.pages}"
    if not pages.is_dir():
        generate(pages, args.pages, seed=7)
    # Each run gets a new data dir and none is deleted until the end: creating thousands of files on
    # ext4 just after deleting thousands costs seconds of system time (inode allocation), which would
    # be measured as the receiver's. For the same reason, compare code versions with --keep and
    # delete the data dirs only after the last one.
    tag = f"data-{os.getpid()}"
    runs = [measure_once(pages, work / f"{tag}-{i}") for i in range(args.repeat)]
    summary = {
        "code": str(Path(govreports.__file__).parent), "pages": args.pages,
        "wall_s_min": min(r["wall_s"] for r in runs), "wall_s_median": statistics.median(r["wall_s"] for r in runs),
        "cpu_s_median": statistics.median(r["cpu_s"] for r in runs),
        "sys_s_median": statistics.median(r["sys_s"] for r in runs),
            "fsync": runs[0]["fsync"], "syncfs": runs[0]["syncfs"], "load_avg": os.getloadavg()[0], "runs": runs,
    }
    print(json.dumps(summary, indent=1))
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    elif not args.keep:
        for i in range(args.repeat):
            shutil.rmtree(work / f"{tag}-{i}", ignore_errors=True)


if __name__ == "__main__":
    main()
