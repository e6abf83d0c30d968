"""The cyclic collector in a run (govreports/collector.py): imports are not scanned, a task's
collections walk only what the task made, and the process is left as it was found."""

from __future__ import annotations

import contextlib
import gc
import threading
import weakref
from collections.abc import Iterator

from govreports.collector import ImportPause, long_lived_frozen


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


def test_a_frozen_scope_collects_what_it_made_and_thaws_what_was_there():
    with no_automatic_collections():
        gc.collect()
        before = cyclic_garbage()
        with long_lived_frozen():
            assert gc.get_freeze_count() > 0
            inside = cyclic_garbage()
            gc.collect()
            assert inside() is None        # made inside the scope: collected by a collection inside
            assert before() is not None    # there before: frozen, not walked
        assert gc.get_freeze_count() == 0
        gc.collect()
        assert before() is None            # after the scope it is collected as it would have been


def test_a_frozen_scope_thaws_when_its_body_raises():
    with no_automatic_collections():
        with contextlib.suppress(ValueError), long_lived_frozen():
            raise ValueError("a task failed")
        assert gc.get_freeze_count() == 0


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
