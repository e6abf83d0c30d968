"""Test-session defaults.

Pages that tests drop into an inbox are complete the moment they are written, so the inbox takes
them at once (settle time 0, inherited by the runs tests start as processes). The tests of the
settle time itself (tests/test_inbox.py) pass `settle=` explicitly.
"""

import os

os.environ.setdefault("GOVREPORTS_INBOX_SETTLE_SECONDS", "0")
