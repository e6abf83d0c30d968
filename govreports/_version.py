"""The package version, in a module of its own: config.py needs it for `code_version` without
importing the package `__init__` (which re-exports io.reading, and io imports config: a circle)."""

__version__ = "0.1.0"
