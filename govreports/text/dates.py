"""Portal dates in every spelling ('2022-01-13 10:42:02', '2022年1月13日', '2022/1/13') as ISO dates.

Why hand-written: three regexes (rules/text.yaml `dates:`); dateutil guesses too freely (it reads
'2022' alone as a date).
"""

from __future__ import annotations

import re
import unicodedata

from govreports import rules as rulebook

_DATE = re.compile(rulebook.text()["dates"]["date"])
_TIME = re.compile(rulebook.text()["dates"]["time"])
#: a bare portal date at a line start ("2022-03-07 点击数:"), with its time if any
LEAD_DATE = re.compile(rulebook.text()["dates"]["lead_date"])


def iso_date(value: str | None) -> str | None:
    """'2022-01-13 10:42:02', '2022年1月13日', '2022/1/13' → '2022-01-13'; None if no valid date."""
    if not value:
        return None
    m = _DATE.search(unicodedata.normalize("NFKC", value))
    if not m:
        return None
    y, mo, d = (int(g) for g in m.groups())
    if not (1949 <= y <= 2100 and 1 <= mo <= 12 and 1 <= d <= 31):
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}"


def only_date(value: str) -> str | None:
    """ISO date when the value is a date (optionally with a time) and nothing else."""
    iso = iso_date(value)
    rest = _TIME.sub("", _DATE.sub("", value, count=1)).strip(" ()")
    return iso if iso and not rest else None
