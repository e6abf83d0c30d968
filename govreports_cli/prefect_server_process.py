"""The temporary Prefect server's process: Prefect's API app under uvicorn, as Prefect's own
ephemeral mode runs it, with one difference: what the server imports is moved out of the garbage
collector's scans (govreports/collector.py says why). Its imports hold ≈300,000 long-lived objects;
the full collections while it imports and the ones that walk them while it serves cost ≈0.8 of the
server's ≈3.5 CPU s in a 2,000-page run, ≈0.1 frozen (benchmarks/README.md, round 4).

Run as `python -m govreports_cli.prefect_server_process <uvicorn arguments>` (prefect_server.py).
"""

from __future__ import annotations

import gc


def main() -> None:
    gc.disable()
    import prefect.server.api.server  # noqa: F401 -- the app's imports, made while nothing is collected
    from uvicorn.main import main as uvicorn_main

    gc.freeze()
    gc.enable()
    uvicorn_main()  # reads sys.argv like `python -m uvicorn`


if __name__ == "__main__":
    main()
