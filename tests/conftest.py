"""Test-session defaults and the fixtures several test modules share.

Pages that tests drop into an inbox are complete the moment they are written, so the inbox takes
them at once (settle time 0, inherited by the runs tests start as processes). The tests of the
settle time itself (tests/test_inbox.py) pass `settle=` explicitly. The user's cache (where the
temporary Prefect server's database template is kept: govreports_cli/prefect_db_template.py) is a
directory of the session's own, also for the commands tests run as processes ($XDG_CACHE_HOME).

Plain helpers (table builders, sample pages, flow runners) live in tests/support/: a test module
imports those, never another test module (tests/test_architecture.py checks).
"""

import atexit
import os
import shutil
import tempfile

import pytest

os.environ.setdefault("GOVREPORTS_INBOX_SETTLE_SECONDS", "0")
_CACHE = tempfile.mkdtemp(prefix="govreports-test-cache-")
atexit.register(shutil.rmtree, _CACHE, True)
os.environ["XDG_CACHE_HOME"] = _CACHE
os.environ["GOVREPORTS_CACHE_DIR"] = os.path.join(_CACHE, "govreports")


@pytest.fixture(scope="session")
def prefect_server(tmp_path_factory):
    """One Prefect test server for the session (≈10-20 s to start), started by the first test that asks
    (`pytestmark = pytest.mark.usefixtures("prefect_server")` in the flow tests); results (the parse
    cache) go to a tmp PREFECT_HOME."""
    from prefect.settings import (
        PREFECT_HOME,
        PREFECT_LOGGING_TO_API_ENABLED,
        PREFECT_RESULTS_LOCAL_STORAGE_PATH,
        PREFECT_SERVER_ANALYTICS_ENABLED,
        temporary_settings,
    )
    from prefect.testing.utilities import prefect_test_harness

    home = tmp_path_factory.mktemp("prefect-home")
    settings = {PREFECT_HOME: home, PREFECT_RESULTS_LOCAL_STORAGE_PATH: home / "storage",
                PREFECT_SERVER_ANALYTICS_ENABLED: False, PREFECT_LOGGING_TO_API_ENABLED: False}
    with temporary_settings(updates=settings), prefect_test_harness(server_startup_timeout=90):
        yield

