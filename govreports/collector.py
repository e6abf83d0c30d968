"""Python's cyclic garbage collector in a run: scan what the run makes, not what it imported.

Why: a run's process holds ≈400,000 objects the collector tracks and that live as long as the
process (the modules, classes and caches of Prefect, GX, pandas, pyarrow and the parser's rules).
Every full collection walks all of them, ≈0.2 CPU s each: a 2,000-page nightly spent ≈1.8 CPU s
in collections — seven while it imported its libraries, and one per validated batch and after the
publish, where `release_memory` collects on purpose so that a batch's reference cycles (GX's
validators and their DataFrames) go at once (benchmarks/README.md, round 4).

* While the libraries load there is no garbage worth a collection: `ImportPause` holds them off.
* Around the heavy tasks, `long_lived_frozen()` moves every object alive at the start into
  Python's permanent generation (`gc.freeze`, a list splice), so collections inside walk only
  what the task made, and puts them back when the task ends (`gc.unfreeze`). Nothing is lost
  from collection for longer than the task: garbage from before it is collected by the next
  full collection after it, as it would have been.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator


@contextlib.contextmanager
def long_lived_frozen() -> Iterator[None]:
    """Collections inside walk only the objects made inside (see the module docstring)."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


class ImportPause:
    """No automatic collections while a run loads its libraries: everything they make is long-lived,
    so scanning it (seven full collections while a run imports) finds nothing. `end()` moves what
    loaded into the permanent generation, so the young generations' next scans skip it too, and
    turns collections back on; it acts once, whichever thread calls it first.
    `close()` ends the pause and puts the frozen objects back (for a caller that lives on)."""

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
