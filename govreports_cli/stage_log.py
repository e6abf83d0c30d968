"""Stage lines of a run: one call logs to the Prefect run (its UI page) and moves the CLI's progress bar.

The emitting side of progress.py's view (the flows and tasks call it; progress.py reads it), kept
beside the view so the record's shape is defined in one package.

Every line goes through Prefect's run logger (`get_run_logger`), so the flow run's page in the Prefect
UI says what the terminal says. The structured part (stage, pages done, pages in all) rides in the
record's `extra` under `govreports`, where the `govreports` command's log handler
(govreports_cli/progress.py) reads it to draw its bar; any other handler just sees a message. Outside
a flow or task run (a test calling a task's function directly) the module's own logger is used.
"""

from __future__ import annotations

import logging
import time
from typing import Any

#: the stages the bar shows, in run order
STAGES = ("received", "parsed", "validated", "published")
_FALLBACK = logging.getLogger("govreports.run")


def run_logger() -> Any:
    """Prefect's logger for the current flow or task run, or this module's logger outside a run."""
    from prefect import get_run_logger
    from prefect.exceptions import MissingContextError

    try:
        return get_run_logger()
    except MissingContextError:
        return _FALLBACK


def stage(name: str, message: str, *, done: int | None = None, total: int | None = None,
          level: int = logging.INFO) -> None:
    """Log one stage line; `done`/`total` (pages) move that stage's bar to `done` of `total`."""
    run_logger().log(level, message, extra={"govreports": {"stage": name, "done": done, "total": total}})


class Counter:
    """Pages done in one stage, logged at most every `every` seconds while the stage runs: enough to
    move a bar, few enough records that a 10,000-page run does not flood the Prefect API. The stage's
    last line (all done, with its outcome) is the flow's."""

    def __init__(self, name: str, total: int, *, done: int = 0, every: float = 0.5, verb: str | None = None):
        self.name, self.total, self.done, self.every = name, total, done, every
        self.verb = verb or name
        self._last = 0.0

    def advance(self, pages: int = 1) -> None:
        self.done += pages
        now = time.monotonic()
        if self.done < self.total and now - self._last >= self.every:
            self._last = now
            stage(self.name, f"{self.verb} {self.done}/{self.total} pages", done=self.done, total=self.total)
