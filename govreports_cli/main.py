"""The `govreports` command: one typer app whose commands import their work lazily.

Lazy imports keep `govreports --help` and `govreports parse` fast: Prefect (≈1 s), GX (≈3 s)
and deltalake load only for the commands that need them. Implementation modules live beside
this file, one per command group; this file only declares the command line.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from govreports.settings import tune_allocators

tune_allocators()  # before any Arrow allocation of this process (and its parse workers)


class _App(typer.Typer):
    """The typer app, but a damaged store is one clear line and exit 1, never a traceback."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().__call__(*args, **kwargs)
        except Exception as exc:
            releases = sys.modules.get("govreports.io.releases")  # loaded by whatever raised it
            if releases is None or not isinstance(exc, releases.DamagedStore):
                raise
            print(f"error: {exc}", file=sys.stderr)
            sys.exit(1)


app = _App(
    add_completion=False,
    no_args_is_help=True,
    help="Rule-of-law reports from government portals to validated, versioned Parquet datasets.",
)

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Data root holding raw/ and curated/ (default: $GOVREPORTS_DATA_DIR or the repo root)."),
]


@app.command()
def parse(
    pages: Annotated[list[Path], typer.Argument(help="Page files (HTML or text, any encoding).")],
    json_lines: Annotated[bool, typer.Option("--json", help="Print JSON Lines, one object per document.")] = False,
    no_keywords: Annotated[bool, typer.Option("--no-keywords", help="Skip jieba keywords (faster).")] = False,
) -> None:
    """Parse pages and print what was found (no storage, no Prefect)."""
    from govreports_cli.parse_cmd import run_parse

    raise typer.Exit(run_parse(pages, json_lines=json_lines, keywords=not no_keywords))


Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print only warnings and errors (no progress, no summary).")]
LogJson = Annotated[bool, typer.Option("--log-json", help="Print every stage line and the summary as JSON lines on stdout.")]
Server = Annotated[str, typer.Option(
    "--server", help="Prefect API: 'auto' (PREFECT_API_URL, else a server on 127.0.0.1:4200, else a temporary one), "
                     "'temporary', or an API URL.")]


def _view(quiet: bool, log_json: bool) -> str:
    if quiet and log_json:
        raise typer.BadParameter("--quiet and --log-json exclude each other")
    return "json" if log_json else "quiet" if quiet else "rich"


@app.command()
def run(
    data_dir: DataDir = None,
    sources: Annotated[Path | None, typer.Option(help="Sources file (YAML) of portals to fetch.")] = None,
    with_samples: Annotated[bool, typer.Option("--with-samples", help="First copy the bundled sample pages into the inbox.")] = False,
    init: Annotated[bool, typer.Option("--init", help="Create the data dir if it does not exist (otherwise that is an error).")] = False,
    dask_address: Annotated[str | None, typer.Option(help="Run parse batches on this Dask scheduler (tcp://…) or 'local'.")] = None,
    server: Server = "auto",
    quiet: Quiet = False,
    log_json: LogJson = False,
) -> None:
    """Run the nightly flow: receive the inbox, fetch sources, parse, validate, publish."""
    from govreports_cli.run_cmd import run_nightly

    _FAST_EXIT.append(True)
    raise typer.Exit(run_nightly(data_dir, sources=sources, with_samples=with_samples, dask_address=dask_address,
                                 init=init, server=server, view=_view(quiet, log_json)))


@app.command()
def backfill(
    years: Annotated[list[int], typer.Argument(help="Years to rebuild: one or more, or two as a range (2019 2023).")],
    data_dir: DataDir = None,
    range_: Annotated[bool, typer.Option("--range/--list", help="Treat two years as an inclusive range.")] = True,
    server: Server = "auto",
    quiet: Quiet = False,
    log_json: LogJson = False,
) -> None:
    """Re-parse the raw pages of the given report years and replace only those partitions."""
    from govreports_cli.run_cmd import run_backfill

    _FAST_EXIT.append(True)
    raise typer.Exit(run_backfill(years, data_dir, as_range=range_, server=server, view=_view(quiet, log_json)))


@app.command()
def versions(
    data_dir: DataDir = None,
    tables: Annotated[bool, typer.Option("--tables", help="Print each release's Delta version of every table "
                                                          "(to read a release with plain deltalake or polars).")] = False,
) -> None:
    """List published versions (release number, time, run id, row counts, what changed)."""
    if tables:
        from govreports_cli.release_map import show_table_versions

        raise typer.Exit(show_table_versions(data_dir))
    from govreports_cli.data_cmd import show_versions

    raise typer.Exit(show_versions(data_dir))


@app.command()
def query(
    sql: Annotated[str, typer.Argument(help="SQL over the curated tables (documents, sections, quantities, …).")],
    version: Annotated[int | None, typer.Option(help="Release number (default: latest).")] = None,
    data_dir: DataDir = None,
    limit: Annotated[int, typer.Option(help="Rows to print at most.")] = 50,
    allow_external: Annotated[bool, typer.Option(
        "--allow-external", help="Let the SQL read and write files and URLs and load extensions (off: tables only).")] = False,
) -> None:
    """Run SQL with DuckDB over the latest (or a given) release (read-only: the release's tables only)."""
    from govreports_cli.data_cmd import run_query

    raise typer.Exit(run_query(sql, version=version, data_dir=data_dir, limit=limit, allow_external=allow_external))


@app.command()
def show(
    doc_id: Annotated[str, typer.Argument(help="Document id (a prefix is enough).")],
    version: Annotated[int | None, typer.Option(help="Release number (default: latest).")] = None,
    data_dir: DataDir = None,
) -> None:
    """Print one document's metadata, section tree with parts, and its indicators."""
    from govreports_cli.data_cmd import show_document

    raise typer.Exit(show_document(doc_id, version=version, data_dir=data_dir))


@app.command()
def panel(
    indicator: Annotated[str, typer.Argument(help="Catalog indicator id, e.g. ENF_CERT_HOLDERS (docs/datasets.md).")],
    by: Annotated[str, typer.Option(help="Rows: region or agency.")] = "region",
    sub: Annotated[str | None, typer.Option(help="A sub-value (立案, 结案 …) instead of the headline value.")] = None,
    version: Annotated[int | None, typer.Option(help="Release number (default: latest).")] = None,
    data_dir: DataDir = None,
    csv: Annotated[Path | None, typer.Option(help="Write the panel to this CSV file instead of printing it.")] = None,
) -> None:
    """One indicator across regions (or agencies) and report years: the comparable value of each."""
    from govreports_cli.panel_cmd import show_panel

    raise typer.Exit(show_panel(indicator, by=by, sub=sub, version=version, data_dir=data_dir, csv=csv))


@app.command()
def diff(
    a: Annotated[int, typer.Argument(help="Older release number.")],
    b: Annotated[int, typer.Argument(help="Newer release number.")],
    data_dir: DataDir = None,
) -> None:
    """Say what changed between two releases."""
    from govreports_cli.data_cmd import diff_versions

    raise typer.Exit(diff_versions(a, b, data_dir=data_dir))


@app.command()
def report(
    version: Annotated[int | None, typer.Option(help="Release number (default: latest).")] = None,
    data_dir: DataDir = None,
    out: Annotated[Path | None, typer.Option(help="Where to write the HTML (default: runs/<run>/report.html).")] = None,
    open_browser: Annotated[bool, typer.Option("--open", help="Open it in a browser.")] = False,
) -> None:
    """Write (or open) the run report of a release: HTML with plots, plus its JSON."""
    from govreports_cli.report_cmd import write_report

    raise typer.Exit(write_report(version=version, data_dir=data_dir, out=out, open_browser=open_browser))


sources_app = typer.Typer(no_args_is_help=True, help="The portals in sources.yaml.")
app.add_typer(sources_app, name="sources")


@sources_app.command("check")
def sources_check(
    names: Annotated[list[str] | None, typer.Argument(help="Source names (default: every enabled source).")] = None,
    sources: Annotated[Path | None, typer.Option(help="Sources file (default: $GOVREPORTS_SOURCES or sources.yaml).")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Per source: robots.txt, first list page, report links found, newest date, what failed (exit 1: no links)."""
    from govreports_cli.sources_cmd import check

    raise typer.Exit(check(names or [], sources, json_out))


@app.command()
def maintain(
    data_dir: DataDir = None,
    keep_releases: Annotated[int | None, typer.Option(help="Keep only the last N releases readable (default: all).")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Change nothing; say what vacuum would delete.")] = False,
) -> None:
    """Compact the curated tables' small files and vacuum files no kept release reads."""
    from govreports_cli.ops_cmd import run_maintain

    raise typer.Exit(run_maintain(data_dir, keep_releases=keep_releases, dry_run=dry_run))


@app.command()
def retry(
    pages: Annotated[list[str] | None, typer.Argument(help="sha256 prefixes of stored pages, or report URLs.")] = None,
    every: Annotated[bool, typer.Option("--all", help="Every failed page, parked ones included.")] = False,
    data_dir: DataDir = None,
    sources: Annotated[Path | None, typer.Option(help="Sources file (default: $GOVREPORTS_SOURCES or sources.yaml).")] = None,
) -> None:
    """Retry failed pages now (fetch and parse failures, parked ones too), then publish what works."""
    from govreports_cli.ops_cmd import run_retry

    raise typer.Exit(run_retry(pages or [], data_dir, sources=sources, every=every))


@app.command()
def datadict(
    out: Annotated[Path | None, typer.Option(help="Where to write it (default: docs/datasets.md).")] = None,
    check: Annotated[bool, typer.Option("--check", help="Compare only; exit 1 when out of date.")] = False,
) -> None:
    """Write the data dictionary (docs/datasets.md) from the table schemas and rules, or check it."""
    from govreports_cli.datadict_cmd import DEFAULT_OUT, run_datadict

    raise typer.Exit(run_datadict(out or DEFAULT_OUT, check=check))


#: set by `run` and `backfill`: their process may skip the interpreter's teardown (see main)
_FAST_EXIT: list[bool] = []


def main() -> None:
    """The `govreports` script. After `run` or `backfill` it exits without tearing the interpreter
    down (≈0.5–0.8 s of freeing Prefect, pandas and Arrow modules): by then the run's logs and events
    were sent, the parse workers and any temporary server stopped, and stdout/stderr are flushed here.
    """
    try:
        app()
    except SystemExit as exc:
        if not _FAST_EXIT:
            raise
        import logging

        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


if __name__ == "__main__":
    main()
