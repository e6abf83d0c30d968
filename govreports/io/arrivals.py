"""Batches of pages formed while they are still arriving, so a run parses the first ones while it
receives the rest.

Why: receiving a large inbox is the run's longest serial step (≈ 6 s for 10,000 pages, the parse
workers idle meanwhile). The receipt reports each chunk of new pages once it is durable in the raw
store (io/inbox.py), `add` collects them from the receipt's thread, and `batches()` hands the flow
full batches of them (sorted, so deterministic for the same inbox) until the receipt is over; the
pages of a last, partial batch are left for the run's usual pending list. No Prefect here: the flow
wires `add` to the receipt and `close` to its end (any end: done, failed).
"""

from __future__ import annotations

import queue
from collections.abc import Callable, Iterable, Iterator

_CLOSED = None


class Arrivals:
    """Hashes arriving from another thread, handed out as batches of `size`."""

    def __init__(self, size: int) -> None:
        self.size = max(1, size)
        self._queue: queue.SimpleQueue[list[str] | None] = queue.SimpleQueue()
        self._waiting: dict[str, None] = {}  # arrival order, no repeats
        self.handed_out: set[str] = set()

    def add(self, hashes: Iterable[str]) -> None:
        """New pages, durable in the raw store (safe to call from any thread)."""
        self._queue.put(list(hashes))

    def close(self) -> None:
        """No more pages will arrive (safe to call from any thread, more than once)."""
        self._queue.put(_CLOSED)

    def batches(self) -> Iterator[list[str]]:
        """Full batches, sorted, as their pages arrive; ends once closed (a partial batch is not handed out)."""
        while (arrived := self._queue.get()) is not _CLOSED:
            self._waiting.update((sha, None) for sha in arrived if sha not in self.handed_out)
            while len(self._waiting) >= self.size:
                first = list(self._waiting)[:self.size]
                for sha in first:
                    del self._waiting[sha]
                self.handed_out.update(first)
                yield sorted(first)


class BatchPlan:
    """A run's batches: first those `early` hands out as pages arrive, then the rest of the run's
    pages in even batches of at most `size` (parse_pool.batches) without those already batched.

    `rest` is the run's page list, or a function returning it that is called once, when `early` is
    over (for a nightly: once the receipt is over, so it can list what is pending). Until then
    `total` is an estimate: `expected` (the inbox's files), or the pages batched so far if more.
    """

    def __init__(self, rest: list[str] | Callable[[], list[str]], size: int,
                 early: Iterator[list[str]] | None = None, expected: int = 0) -> None:
        self._rest: list[str] | Callable[[], list[str]] | None = rest
        self._early, self.size, self.expected = early, size, expected
        self.groups: list[list[str]] = []
        self._known: int | None = None

    def get(self, n: int) -> list[str] | None:
        """Batch n, or None when the run has fewer; may wait for pages to arrive (or call `rest`)."""
        from govreports.io.parse_pool import batches

        while n >= len(self.groups):
            if self._early is not None:
                if (batch := next(self._early, None)) is not None:
                    self.groups.append(batch)
                    continue
                self._early = None
            if self._rest is None:
                return None
            rest, self._rest = self._rest, None
            batched = {sha for group in self.groups for sha in group}
            todo = [sha for sha in (rest() if callable(rest) else rest) if sha not in batched]
            self.groups.extend(batches(todo, self.size))
            self._known = len(batched) + len(todo)
        return self.groups[n]

    def before(self, n: int) -> int:
        """Pages in the batches before batch n."""
        return sum(map(len, self.groups[:n]))

    @property
    def total(self) -> int:
        return self._known if self._known is not None else max(self.expected, self.before(len(self.groups)))
