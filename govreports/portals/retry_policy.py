"""When a page that failed (to fetch, or to parse) is tried again, and when we stop trying.

Why: a portal that is down tonight is usually up next week, and a page that crashes today's
parser is published once the code is fixed; but a page that fails forever must not cost a
request (or a parse) every night. So failures back off — the first retry the next night, then
after 2, 4, 8 nights — and after `park_after` attempts the page is parked with its last reason
until an operator runs `govreports retry`. Pure: attempts and times in, decisions out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Backoff between nightly attempts, and how many attempts before a page is parked."""

    park_after: int = 5               # attempts (the first failure included) before parking
    first_delay_hours: float = 20.0   # < 24 h, so the next nightly run retries it
    factor: float = 2.0               # each further wait is this many times longer

    def next_after(self, attempts: int, now: dt.datetime) -> dt.datetime:
        """Earliest time of the next attempt after `attempts` failed ones."""
        return now + dt.timedelta(hours=self.first_delay_hours * self.factor ** max(0, attempts - 1))

    def record(self, entry: dict[str, Any] | None, reason: str, now: dt.datetime) -> dict[str, Any]:
        """The ledger entry after one more failed attempt: {attempts, reason, last_attempt, next_after, parked}."""
        attempts = int((entry or {}).get("attempts", 0)) + 1
        return {"attempts": attempts, "reason": reason, "last_attempt": now.isoformat(timespec="seconds"),
                "next_after": self.next_after(attempts, now).isoformat(timespec="seconds"),
                "parked": attempts >= self.park_after}

    def wait_reason(self, entry: dict[str, Any] | None, now: dt.datetime) -> str | None:
        """Why the page is not tried now (parked, or backing off); None when it is due."""
        if not entry:
            return None
        attempts, reason = entry.get("attempts", 0), entry.get("reason", "")
        if entry.get("parked"):
            return f"parked after {attempts} failed attempts (last: {reason}); `govreports retry` tries again"
        after = entry.get("next_after")
        if after and dt.datetime.fromisoformat(after) > now:
            return f"failed {attempts}× (last: {reason}); next attempt after {after}"
        return None


def unpark(entry: dict[str, Any]) -> dict[str, Any]:
    """The entry made due now (for `govreports retry`), keeping its attempts and reason."""
    return {**entry, "parked": False, "next_after": None}


DEFAULT_POLICY = RetryPolicy()
