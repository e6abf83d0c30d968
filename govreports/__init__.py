"""govreports: rule-of-law reports from government portals to versioned Delta Lake tables.

Analysts need three names::

    import govreports
    govreports.versions()                      # the release log
    df = govreports.read("indicators")         # latest release, as pandas
    ds = govreports.dataset("documents", 3)    # release 3, as a pyarrow dataset (DuckDB, Polars)
    govreports.panel("ENF_CERT_HOLDERS")       # one indicator, region × report year

On a data dir where nothing was published (or that does not exist) they raise
`govreports.NoReleaseError` naming the path. They are re-exported lazily so that `import govreports`
stays cheap (no deltalake, pyarrow or pandas until a table is actually read): the parser and the CLI import this package on every call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from govreports._version import __version__

__all__ = ["NoReleaseError", "__version__", "dataset", "panel", "read", "read_arrow", "versions"]

if TYPE_CHECKING:
    from govreports.io.reading import NoReleaseError, dataset, panel, read, read_arrow, versions


def __getattr__(name: str) -> Any:
    if name in {"read", "read_arrow", "versions", "dataset", "panel", "NoReleaseError"}:
        from govreports.io import reading

        return getattr(reading, name)
    raise AttributeError(f"module 'govreports' has no attribute {name!r}")
