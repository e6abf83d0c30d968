"""Operator settings from the environment that are not paths (those are config.py's), each read and
checked in one place, so that preflight can refuse a malformed one before a run starts instead of a
task failing halfway through it. Standard library only: preflight runs in the command's first second.
"""

from __future__ import annotations

import os

PARSE_WORKERS_ENV = "GOVREPORTS_PARSE_WORKERS"
ARROW_POOL_ENV = "ARROW_DEFAULT_MEMORY_POOL"


class SettingError(ValueError):
    """An environment setting is malformed; the message names it and its value."""


def parse_workers() -> int:
    """Parse workers: $GOVREPORTS_PARSE_WORKERS, else one per core but one.

    The flow process validates each batch while the next one parses (flows/_runtime.stage_in_batches),
    so it keeps a core busy itself: a worker on every core would make three CPU-bound processes share
    the 2-core box's two cores, costing a worker's memory (≈190 MB) for no speed.
    """
    value = os.environ.get(PARSE_WORKERS_ENV, "").strip()
    if not value:
        return max(1, (os.cpu_count() or 1) - 1)
    try:
        return max(1, int(value))
    except ValueError:
        raise SettingError(f"{PARSE_WORKERS_ENV} must be a whole number of parse workers, not {value!r}") from None


def check_all() -> None:
    """Raise SettingError for the first malformed setting (preflight's check)."""
    parse_workers()


def prefer_system_allocator() -> None:
    """Arrow allocates with the system allocator in this process and its children, unless the
    operator chose another ($ARROW_DEFAULT_MEMORY_POOL). Call before Arrow's first allocation.

    Why: the wheels default to mimalloc, which keeps what a run frees for reuse; after a publish the
    flow process stayed ≈180 MB higher (5,000 pages: root peak 1,041 MB with mimalloc, 862 MB with
    the system allocator, same rows; benchmarks/README.md), and that plateau is the run's peak.
    """
    os.environ.setdefault(ARROW_POOL_ENV, "system")
