"""The rule files (govreports/rules/*.yaml), each loaded once per process.

One loader, so that modules sharing a rule file (split, metadata, agency) read one parsed copy.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

RULES_DIR = Path(__file__).resolve().parent


@functools.cache
def rules(name: str) -> dict[str, Any]:
    """rules/<name>.yaml, parsed once."""
    return yaml.safe_load(resources.files("govreports.rules").joinpath(f"{name}.yaml").read_text("utf-8"))


def metadata_rules() -> dict[str, Any]:
    """rules/metadata.yaml: document boundaries and document-level metadata."""
    return rules("metadata")
