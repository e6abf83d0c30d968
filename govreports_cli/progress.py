"""What `govreports run` / `backfill` show while they work: stage lines and a rich progress bar, JSON
lines (`--log-json`), or nothing but problems (`-q`).

One view per command, made before anything slow is imported, so the first line appears at once.
The command's own steps (checking the config, starting the Prefect server, loading the pipeline)
call `step`; the flow's stage lines arrive as log records of Prefect's run loggers (stage_log.py
puts stage, pages done and pages in all in the record), which `attach` routes here instead of to
Prefect's console handler, so the terminal and the Prefect UI say the same thing. Lines go to stderr;
stdout keeps the run's summary (or, with --log-json, every line as JSON).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sys
import time
from typing import Any, TextIO

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

#: Prefect's loggers for flow and task runs: what the flow and its tasks log through get_run_logger
RUN_LOGGERS = ("prefect.flow_runs", "prefect.task_runs")
#: the core's own warnings (a portal that cannot be resolved …): shown in the same format, not Prefect's
CORE_LOGGER = "govreports"
BAR_STAGES = ("received", "parsed", "validated", "published")
MODES = ("rich", "json", "quiet")


class RunView(logging.Handler):
    """Stage lines and bars (mode "rich"), JSON lines ("json"), or warnings and errors only ("quiet")."""

    def __init__(self, mode: str = "rich", *, out: TextIO | None = None, err: TextIO | None = None,
                 live: bool = True):
        super().__init__(level=logging.INFO)
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self.mode, self.t0 = mode, time.monotonic()
        self.out, self.err = out or sys.stdout, err or sys.stderr
        self.console = Console(file=self.err, highlight=False, soft_wrap=True)
        self.bars: dict[str, Any] = {}
        self._done: dict[str, int] = {}
        self.progress: Progress | None = None
        self._setup_task: Any = None
        self._attached: list[tuple[logging.Logger, int, bool]] = []
        if mode == "rich" and live:
            self.progress = Progress(SpinnerColumn(), TextColumn("{task.description:<18}"), BarColumn(),
                                     MofNCompleteColumn(), TimeElapsedColumn(), console=self.console,
                                     transient=False, redirect_stdout=False, redirect_stderr=False)
            self.progress.start()
            self._setup_task = self.progress.add_task("starting", total=None)

    # -- the command's own steps -------------------------------------------------------------------------
    def step(self, message: str, *, level: int = logging.INFO, **fields: Any) -> None:
        """One line about what the command itself is doing now (before and around the flow)."""
        self._line(level, message, stage="setup", source="govreports", fields=fields)
        if self.progress is not None and self._setup_task is not None:
            self.progress.update(self._setup_task, description=message[:18])

    def result(self, summary: dict[str, Any]) -> None:
        """The run's summary as the last JSON line (json mode; other modes print it as text)."""
        if self.mode == "json":
            self._write_json({"time": _now(), "event": "summary", "summary": summary})

    def error(self, message: str) -> None:
        """A failure of the command: one line on stderr (JSON on stdout in json mode)."""
        if self.mode == "json":
            self._write_json({"time": _now(), "level": "ERROR", "event": "error", "message": message})
        else:
            self.close_view()
            self.console.print(f"[bold red]error:[/] {escape(message)}")

    # -- records from Prefect's run loggers ----------------------------------------------------------------
    def attach(self) -> None:
        """Route the flow's and tasks' run logs here (INFO and up) rather than to Prefect's console
        handler; they still reach the Prefect API through the handler Prefect attached to them. The
        core's warnings (logger `govreports`) come here too instead of Prefect's console format."""
        for name in (*RUN_LOGGERS, CORE_LOGGER):
            logger = logging.getLogger(name)
            self._attached.append((logger, logger.level, logger.propagate))
            if name in RUN_LOGGERS:
                logger.setLevel(logging.INFO)
            logger.propagate = False
            logger.addHandler(self)

    def detach(self) -> None:
        for logger, level, propagate in self._attached:
            logger.removeHandler(self)
            logger.setLevel(level)
            logger.propagate = propagate
        self._attached.clear()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            info = getattr(record, "govreports", None)
            if info is None and record.levelno < logging.WARNING:
                return  # Prefect's own chatter (task finished in state Completed …): the UI has it
            info = dict(info or {})
            fields = {k: v for k, v in (("flow_run", getattr(record, "flow_run_name", None)),
                                        ("task_run", getattr(record, "task_run_name", None))) if v}
            fields.update({k: info[k] for k in ("done", "total") if info.get(k) is not None})
            self._line(record.levelno, record.getMessage(), stage=info.get("stage"), source=record.name,
                       fields=fields)
            self._bar(info)
        except Exception:  # a view must never break the run
            self.handleError(record)

    # -- drawing -----------------------------------------------------------------------------------------------
    def _bar(self, info: dict[str, Any]) -> None:
        stage, total = info.get("stage"), info.get("total")
        if self.progress is None or stage not in BAR_STAGES or total is None:
            return
        if self._setup_task is not None:
            self.progress.remove_task(self._setup_task)
            self._setup_task = None
        if not total:
            return  # nothing to count (no new page): the line says so, an empty bar would not
        if stage not in self.bars:
            self.bars[stage] = self.progress.add_task(stage, total=total)
        done = max(info.get("done") or 0, self._done.get(stage, 0))  # lines may arrive out of order
        self._done[stage] = done
        self.progress.update(self.bars[stage], total=total, completed=done)

    def _line(self, level: int, message: str, *, stage: str | None, source: str, fields: dict[str, Any]) -> None:
        if self.mode == "json":
            self._write_json({"time": _now(), "level": logging.getLevelName(level), "stage": stage,
                              "source": source, "message": message, **fields})
            return
        if self.mode == "quiet" and level < logging.WARNING:
            return
        elapsed = time.monotonic() - self.t0
        style = {logging.WARNING: "yellow", logging.ERROR: "red", logging.CRITICAL: "bold red"}.get(level)
        text = escape(message) if style is None else f"[{style}]{escape(message)}[/]"
        self.console.print(f"[dim]{elapsed:5.1f}s[/] {text}")

    def _write_json(self, obj: dict[str, Any]) -> None:
        self.out.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
        self.out.flush()

    def close_view(self) -> None:
        """Stop drawing (the bars stay on screen as they last were)."""
        if self.progress is not None:
            if self._setup_task is not None:
                self.progress.remove_task(self._setup_task)
                self._setup_task = None
            self.progress.live.transient = not self.bars  # no bar drawn: leave no empty line either
            self.progress.stop()
            self.progress = None


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
