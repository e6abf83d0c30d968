"""Helpers shared by the test modules (plain functions and data, no tests and no fixtures: those
live in tests/conftest.py). Test modules import from here, never from each other."""
