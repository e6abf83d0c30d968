"""The cyclic collector in a run (govreports/collector.py): imports are not scanned, what the run
makes is, and the process is left as it was found."""

from __future__ import annotations

import contextlib
import gc
import threading
import weakref
from collections.abc import Iterator

from govreports.collector import ImportPause


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the collector frees it


@contextlib.contextmanager
def no_automatic_collections() -> Iterator[None]:
    """So that only the test's own gc.collect() calls decide what is collected when."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        if was:
            gc.enable()


def cyclic_garbage() -> weakref.ref:
    return weakref.ref(Node())


def test_after_the_pause_collections_skip_what_loaded_and_take_what_the_run_makes():
    """What was alive when the imports ended is not walked; garbage the run makes afterwards (a
    batch's cycles) is collected by the next collection, until `close()` puts everything back."""
    with no_automatic_collections():
        gc.enable()
        pause = ImportPause()
        loaded = cyclic_garbage()          # alive-looking to the freeze: it has not been collected yet
        pause.end()
        made = cyclic_garbage()
        gc.collect()
        assert made() is None              # made after the pause: collected
        assert loaded() is not None        # frozen with the imports: skipped
        pause.close()
        gc.collect()
        assert loaded() is None            # thawed: collected as it would have been


def test_garbage_of_one_batch_does_not_outlive_the_next_collection():
    """The per-batch collection (release_memory) frees a batch's cycles even when something
    loaded before the run (a module global) pointed at them until the next batch replaced them."""
    with no_automatic_collections():
        registry: dict[str, object] = {}   # like GX's project manager: a global holding the last context
        pause = ImportPause()
        pause.end()
        batches = []
        for _ in range(3):
            context = Node()
            batches.append(weakref.ref(context))
            registry["current"] = context  # replaces (and orphans) the previous batch's context
            del context
            gc.collect()
        assert [b() is None for b in batches] == [True, True, False]
        pause.close()


def test_an_import_pause_holds_collections_off_and_ends_once_from_any_thread():
    with no_automatic_collections():
        gc.enable()
        pause = ImportPause()
        assert not gc.isenabled()
        loaded = [Node() for _ in range(100)]  # what an import leaves: alive for the run
        ender = threading.Thread(target=pause.end)
        ender.start()
        ender.join()
        assert gc.isenabled()
        frozen = gc.get_freeze_count()
        assert frozen >= len(loaded)       # what loaded meanwhile skips the young generations' scans
        pause.end()                        # the second end (the run's `finally`) does nothing more
        assert gc.get_freeze_count() == frozen
        pause.close()
        assert gc.get_freeze_count() == 0 and gc.isenabled()


def test_an_import_pause_leaves_collections_off_if_they_were_off():
    with no_automatic_collections():
        pause = ImportPause()
        pause.close()
        assert not gc.isenabled() and gc.get_freeze_count() == 0


def test_the_run_command_pauses_collections_while_loading_and_restores_them(tmp_path, monkeypatch):
    """`govreports run` called in process: nothing is collected while the pipeline imports, and the
    caller gets its collector back as it was, even when the run fails."""
    from govreports_cli import run_cmd
    from govreports_cli.progress import RunView

    seen: list[bool] = []

    def load_flow(kind: str, dask_address: str | None) -> None:
        seen.append(gc.isenabled())
        raise RuntimeError("the pipeline did not load")

    monkeypatch.setattr(run_cmd, "_load_flow", load_flow)
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect"))
    assert gc.isenabled()
    code = run_cmd._run(RunView("quiet"), tmp_path, "nightly", {}, server="http://127.0.0.1:9/api")
    assert code == 1 and seen == [False]
    assert gc.isenabled() and gc.get_freeze_count() == 0
