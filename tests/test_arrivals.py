"""Batches formed while pages arrive (io/arrivals.py): full batches as soon as their pages are in,
the rest with the run's pending list, each page in exactly one batch."""

from __future__ import annotations

import threading

from govreports.io.arrivals import Arrivals, BatchPlan
from govreports.io.parse_pool import batches


def test_full_batches_are_handed_out_while_pages_still_arrive():
    arrivals = Arrivals(3)
    more = threading.Event()

    def receipt() -> None:
        arrivals.add(["c", "a"])
        arrivals.add(["b", "a", "d"])  # a repeat of "a" is one page
        more.wait(30)  # the next chunk comes only once the first batch was taken
        arrivals.add(["e", "f", "g"])
        arrivals.close()

    threading.Thread(target=receipt, daemon=True).start()
    got = arrivals.batches()
    assert next(got) == ["a", "b", "c"]
    more.set()
    assert list(got) == [["d", "e", "f"]]  # "g" is left for the pending list
    assert arrivals.handed_out == set("abcdef")


def test_the_plan_parses_early_batches_first_then_the_rest_without_them():
    arrivals = Arrivals(2)
    arrivals.add(["x1", "x2", "x3"])
    arrivals.close()
    asked: list[int] = []

    def rest() -> list[str]:
        asked.append(len(plan.groups))  # called once, after the early batches
        return sorted(["x1", "x2", "x3", "p1", "p2"])

    plan = BatchPlan(rest, 2, arrivals.batches(), expected=5)
    assert plan.get(0) == ["x1", "x2"] and plan.total == 5 and asked == []
    assert plan.get(1) == ["p1", "p2"] and asked == [1]
    assert plan.get(2) == ["x3"] and plan.get(3) is None and asked == [1]
    assert plan.total == 5 and plan.before(2) == 4
    every = [sha for n in range(3) for sha in plan.get(n)]
    assert sorted(every) == ["p1", "p2", "x1", "x2", "x3"] and len(every) == len(set(every))


def test_without_early_batches_the_plan_is_the_even_split():
    hashes = [f"{i:03d}" for i in range(7)]
    plan = BatchPlan(hashes, 3)
    got = []
    while (group := plan.get(len(got))) is not None:
        got.append(group)
    assert got == batches(hashes, 3) and plan.total == 7
    assert BatchPlan([], 3).get(0) is None


def test_the_estimate_holds_until_the_rest_is_known():
    arrivals = Arrivals(2)
    arrivals.add(["a", "b", "c", "d", "e", "f"])
    arrivals.close()
    plan = BatchPlan(lambda: ["a", "b", "c", "d", "e", "f", "g"], 2, arrivals.batches(), expected=3)
    assert plan.get(0) == ["a", "b"] and plan.total == 3  # the inbox count, until more is known
    assert plan.get(1) == ["c", "d"] and plan.total == 4
    assert plan.get(3) == ["g"] and plan.total == 7
