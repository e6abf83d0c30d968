"""Python's cyclic garbage collector in a run: scan what the run makes, not what it imported.

Why: a run's process holds ≈400,000 objects the collector tracks and that live as long as the
process (the modules, classes and caches of Prefect, GX, pandas, pyarrow and the parser's rules).
Every full collection walks all of them, ≈0.2 CPU s each: a 2,000-page nightly spent ≈1.7 CPU s
in collections — seven while it imported its libraries, and one per validated batch and after the
publish, where `release_memory` collects on purpose so that a batch's reference cycles (GX's
validators and their DataFrames) go at once (benchmarks/README.md, round 4).

`ImportPause` holds automatic collections off while the libraries load (there is no garbage worth
a collection then), and then moves everything alive into Python's permanent generation
(`gc.freeze`), which collections skip; refcounting still frees those objects. Only a cycle among
them that becomes garbage later waits, until `close()` at the end of the run puts them back.

Freezing is once per run, after the imports, on purpose. Freezing around each task (and thawing
after) was tried and leaks: each freeze also catches the previous batch's uncollected garbage (GX
keeps the last context, with its DataFrames, in a module global until the next call replaces it),
so the flow process grew ≈100 MB per batch.
"""

from __future__ import annotations

import gc
import threading


class ImportPause:
    """No automatic collections while a run loads its libraries; `end()` (once, from any thread)
    freezes what loaded and turns collections back on; `close()` also thaws, for a caller that
    lives on after the run."""

    def __init__(self) -> None:
        self._was_enabled = gc.isenabled()
        self._ended = False
        self._lock = threading.Lock()
        gc.disable()

    def end(self) -> None:
        with self._lock:
            if self._ended:
                return
            self._ended = True
            gc.freeze()
            if self._was_enabled:
                gc.enable()

    def close(self) -> None:
        self.end()
        gc.unfreeze()
