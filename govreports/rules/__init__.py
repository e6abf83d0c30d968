"""The rule book: the one place the rule files (govreports/rules/*.yaml, *.txt) are read.

One cached, typed loader per file, so that modules sharing a file (split, metadata and agency read
metadata.yaml; chrome and textfold read chrome.yaml) share one parsed copy, and so that no stage
opens a rule file itself (tests/test_rulebook.py scans the core for that). A loader returns the
parsed file as is; compiling it (regexes, sets) is the job of the stage that uses it. The parsed
objects are shared: callers must not mutate them.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import Any, cast

import yaml

from govreports.rules.types import (
    ChromeRules,
    DuplicatesRules,
    FetchedRules,
    HeadingsRules,
    IndicatorsRules,
    IndicatorValuesRules,
    ListFamiliesRules,
    MetadataRules,
    PartsRules,
    QuantitiesRules,
    TextRules,
    TopicsRules,
    UnitsRules,
    UserWord,
)

RULES_DIR = Path(__file__).resolve().parent


def _text(name: str) -> str:
    return resources.files("govreports.rules").joinpath(name).read_text("utf-8")


#: libyaml's safe loader when PyYAML was built with it (it is in the wheels): the same documents,
#: ≈8× faster, which is ≈70 ms of every process that parses (the rule files are ≈100 KB)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str) -> Any:
    """A rule file's text → its parsed content: the one YAML parse of the core."""
    return yaml.load(text, Loader=_LOADER)  # a safe loader, C or Python


def read_rule_file(path: Path) -> Any:
    """A rule file at another path (a test's catalog), parsed like the shipped ones."""
    return parse_yaml(path.read_text(encoding="utf-8"))


@functools.cache
def _yaml(name: str) -> Any:
    return parse_yaml(_text(f"{name}.yaml"))


@functools.cache
def chrome() -> ChromeRules:
    """rules/chrome.yaml."""
    return cast(ChromeRules, _yaml("chrome"))


@functools.cache
def duplicates() -> DuplicatesRules:
    """rules/duplicates.yaml."""
    return cast(DuplicatesRules, _yaml("duplicates"))


@functools.cache
def fetched() -> FetchedRules:
    """rules/fetched.yaml."""
    return cast(FetchedRules, _yaml("fetched"))


@functools.cache
def headings() -> HeadingsRules:
    """rules/headings.yaml."""
    return cast(HeadingsRules, _yaml("headings"))


@functools.cache
def indicator_values() -> IndicatorValuesRules:
    """rules/indicator_values.yaml."""
    return cast(IndicatorValuesRules, _yaml("indicator_values"))


@functools.cache
def indicators() -> IndicatorsRules:
    """rules/indicators.yaml."""
    return cast(IndicatorsRules, _yaml("indicators"))


@functools.cache
def list_families() -> ListFamiliesRules:
    """rules/list_families.yaml."""
    return cast(ListFamiliesRules, _yaml("list_families"))


@functools.cache
def metadata() -> MetadataRules:
    """rules/metadata.yaml."""
    return cast(MetadataRules, _yaml("metadata"))


@functools.cache
def parts() -> PartsRules:
    """rules/parts.yaml."""
    return cast(PartsRules, _yaml("parts"))


@functools.cache
def quantities() -> QuantitiesRules:
    """rules/quantities.yaml."""
    return cast(QuantitiesRules, _yaml("quantities"))


@functools.cache
def text() -> TextRules:
    """rules/text.yaml."""
    return cast(TextRules, _yaml("text"))


@functools.cache
def topics() -> TopicsRules:
    """rules/topics.yaml."""
    return cast(TopicsRules, _yaml("topics"))


@functools.cache
def units() -> UnitsRules:
    """rules/units.yaml."""
    return cast(UnitsRules, _yaml("units"))


@functools.cache
def stopwords() -> frozenset[str]:
    """rules/stopwords.txt: one word a line, `#` starts a comment."""
    return frozenset(w for line in _text("stopwords.txt").splitlines() if (w := line.split("#", 1)[0].strip()))


@functools.cache
def trad_fold() -> dict[int, str]:
    """rules/trad_fold.txt: ord(Traditional) → Simplified character, for str.translate."""
    return {ord(line[0]): line[1] for line in _text("trad_fold.txt").splitlines()
            if len(line) == 2 and not line.startswith("#")}


@functools.cache
def userdict() -> tuple[UserWord, ...]:
    """rules/userdict.txt: (word, freq, tag) triples in jieba's `word [freq] [tag]` format."""
    rows = []
    for line in _text("userdict.txt").splitlines():
        fields = line.split("#", 1)[0].split()
        if not fields:
            continue
        freq = int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else None
        tag = fields[-1] if len(fields) > 1 and not fields[-1].isdigit() else None
        rows.append((fields[0], freq, tag))
    return tuple(rows)


#: rule file name → its loader (tests check that every file in rules/ has one).
LOADERS = {
    "chrome.yaml": chrome, "duplicates.yaml": duplicates, "fetched.yaml": fetched, "headings.yaml": headings,
    "indicator_values.yaml": indicator_values, "indicators.yaml": indicators, "list_families.yaml": list_families,
    "metadata.yaml": metadata, "parts.yaml": parts, "quantities.yaml": quantities, "text.yaml": text,
    "topics.yaml": topics, "units.yaml": units,
    "stopwords.txt": stopwords, "trad_fold.txt": trad_fold, "userdict.txt": userdict,
}
