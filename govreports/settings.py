"""Operator settings from the environment that are not paths (those are config.py's), each read and
checked in one place, so that preflight can refuse a malformed one before a run starts instead of a
task failing halfway through it. Standard library only: preflight runs in the command's first second.
"""

from __future__ import annotations

import os

PARSE_WORKERS_ENV = "GOVREPORTS_PARSE_WORKERS"
ARROW_POOL_ENV = "ARROW_DEFAULT_MEMORY_POOL"
#: the jemalloc that the deltalake wheel links reads its options from this variable (prefix _rjem_)
DELTA_JEMALLOC_ENV = "_RJEM_MALLOC_CONF"
DELTA_JEMALLOC_CONF = "narenas:1,dirty_decay_ms:200,muzzy_decay_ms:0"
#: glibc reads this at process start (an operator's choice); mallopt sets it in a running process
GLIBC_MMAP_ENV = "MALLOC_MMAP_THRESHOLD_"
GLIBC_MMAP_THRESHOLD = 1 << 20
_M_MMAP_THRESHOLD = -3


class SettingError(ValueError):
    """An environment setting is malformed; the message names it and its value."""


#: pages below which a second parse worker costs more than it saves: starting one is ≈1.3 CPU s
#: (imports, tokenizer) against ≈5 CPU ms a page (benchmarks/README.md, round 6)
PAGES_PER_WORKER = 500


def parse_workers(pages: int | None = None) -> int:
    """Parse workers for a run of `pages` pages: $GOVREPORTS_PARSE_WORKERS, else one per
    PAGES_PER_WORKER pages up to one per core (one per core when the count is not known).

    The flow process validates each batch while the next one parses (flows/_runtime.stage_in_batches),
    but that takes a third of a core: with one worker fewer than the cores, a 10,000-page run left
    a core two-thirds idle while it parsed (benchmarks/README.md, round 6: 54 → 39 s of parsing).
    """
    value = os.environ.get(PARSE_WORKERS_ENV, "").strip()
    if not value:
        cores = os.cpu_count() or 1
        if pages is None:
            return cores
        return max(1, min(cores, -(-pages // PAGES_PER_WORKER)))
    try:
        return max(1, int(value))
    except ValueError:
        raise SettingError(f"{PARSE_WORKERS_ENV} must be a whole number of parse workers, not {value!r}") from None


def check_all() -> None:
    """Raise SettingError for the first malformed setting (preflight's check)."""
    parse_workers()


def tune_allocators() -> None:
    """Allocator defaults for this process and its children, each unless the operator set it already.
    Call before Arrow's first allocation and before deltalake is loaded.

    Why: a run's peak is the flow process after its publish, and that peak was memory freed but kept
    by an allocator's cache, not memory in use (benchmarks/README.md, round 3):

    * Arrow: the wheels default to mimalloc, which keeps what a run frees; after a publish the flow
      process stayed ≈180 MB higher (5,000 pages: root peak 1,041 MB with mimalloc, 862 MB with the
      system allocator, same rows). $ARROW_DEFAULT_MEMORY_POOL = system.
    * delta-rs: the deltalake wheel links jemalloc (read from $_RJEM_MALLOC_CONF), whose 8 arenas
      and 10 s decay kept ≈300 MB after writing 20,000 pages' documents in 16 MB commits; one arena
      and a 0.2 s decay keep ≈135 MB at no measurable CPU cost (a decay of 0 kept ≈80 MB but cost
      ≈1.1 s more system time for the same write).
    * glibc (which Arrow's system pool uses): after a large block is freed, glibc raises its mmap
      threshold (up to 32 MB), so later big buffers come from the heap and stay there once freed:
      reading 20,000 pages' staged documents (97 MB of Parquet) left the process 126 MB larger. A
      fixed 1 MB threshold gives them back (+12 MB) for ≈0.35 s more system time per such read.
      Set in the flow process only (mallopt), not exported to the parse workers.
    """
    os.environ.setdefault(ARROW_POOL_ENV, "system")
    os.environ.setdefault(DELTA_JEMALLOC_ENV, DELTA_JEMALLOC_CONF)
    if GLIBC_MMAP_ENV not in os.environ and not _pool_worker():  # else glibc applied the operator's value
        _mallopt(_M_MMAP_THRESHOLD, GLIBC_MMAP_THRESHOLD)


def trim_heap() -> None:
    """Hand back to the OS the heap glibc keeps once a phase has freed it (malloc_trim; Arrow's system
    pool allocates through glibc too). Phases of a publish (linking, then each table's append) each
    free what they held, but glibc kept it: the process climbed phase by phase to the sum of what
    they had held (20,000 pages, in process: 615 → 840 MB); trimming after linking and after each
    Delta commit peaks at 773 MB.
    A trim takes milliseconds. No-op where there is no glibc."""
    global _LIBC
    try:
        if _LIBC is None:
            import ctypes

            _LIBC = ctypes.CDLL("libc.so.6")
        _LIBC.malloc_trim(0)
    except (AttributeError, OSError):
        return


_LIBC = None


def _pool_worker() -> bool:
    """A parse worker (a multiprocessing child) keeps glibc's default: its buffers are a chunk's
    records, a few MB, and the fixed threshold cost it ≈5 % more CPU in page faults (benchmarks)."""
    import multiprocessing

    return multiprocessing.parent_process() is not None


def _mallopt(option: int, value: int) -> bool:
    """glibc's mallopt; False where there is none (another libc)."""
    import ctypes

    try:
        return bool(ctypes.CDLL(None).mallopt(option, value))
    except (AttributeError, OSError):
        return False
