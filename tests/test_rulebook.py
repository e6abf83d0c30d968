"""The rule book (govreports/rules/) is the one place rule files are read, one typed loader a file."""

from __future__ import annotations

import ast
import typing
from pathlib import Path

import pytest

from govreports import rules as rulebook
from govreports.text import charclasses

ROOT = Path(__file__).resolve().parents[1]
CORE = ROOT / "govreports"
RULES = CORE / "rules"
RULE_FILES = sorted(p.name for p in RULES.iterdir() if p.suffix in (".yaml", ".txt"))
#: YAML that is not a rule file: sources.yaml is the user's configuration, read where it is checked
USER_CONFIG = {"govreports/portals/sources.py"}


def _offences(path: Path) -> list[str]:
    """What in a module's source reads a rule file or parses YAML itself."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in ("safe_load", "load", "RULES_DIR") and (
                node.attr != "load" or getattr(node.value, "id", None) == "yaml"):
            found.append(f"line {node.lineno}: .{node.attr}")
        elif isinstance(node, ast.Name) and node.id in ("safe_load", "RULES_DIR"):
            found.append(f"line {node.lineno}: {node.id}")
        elif isinstance(node, ast.ImportFrom) and node.module == "govreports.rules" and any(
                a.name == "RULES_DIR" for a in node.names):
            found.append(f"line {node.lineno}: imports RULES_DIR")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and (
                node.value in RULE_FILES or node.value == "govreports.rules"
                or (" " not in node.value and any(node.value.endswith("/" + name) for name in RULE_FILES))):
            found.append(f"line {node.lineno}: {node.value!r}")
    return found


def test_no_core_module_but_the_rule_book_reads_a_rule_file_or_parses_yaml():
    offenders = {}
    for path in sorted(CORE.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if path.parent == RULES:
            continue
        found = _offences(path)
        if rel in USER_CONFIG:
            found = [f for f in found if "safe_load" not in f]
        if found:
            offenders[rel] = found
    assert offenders == {}


def test_the_scan_catches_a_module_reading_a_rule_file(tmp_path: Path):
    bad = tmp_path / "bad.py"
    bad.write_text('import yaml\nfrom govreports.rules import RULES_DIR\n'
                   'x = yaml.safe_load((RULES_DIR / "units.yaml").read_text())\n', encoding="utf-8")
    assert len(_offences(bad)) >= 3


def test_every_rule_file_has_a_loader():
    assert sorted(rulebook.LOADERS) == RULE_FILES


@pytest.mark.parametrize("name", RULE_FILES)
def test_a_loader_returns_the_same_object_twice(name: str):
    loader = rulebook.LOADERS[name]
    first = loader()
    assert first and loader() is first


def _key_mismatches(typed: type, data: dict, where: str) -> list[str]:
    """Keys the TypedDict declares but the data lacks, or the other way, nested TypedDicts included."""
    hints = typing.get_type_hints(typed)
    out = [f"{where}: {key} declared, not in the file" for key in hints if key not in data]
    out += [f"{where}: {key} in the file, not declared" for key in data if key not in hints]
    for key, hint in hints.items():
        if typing.is_typeddict(hint) and isinstance(data.get(key), dict):
            out += _key_mismatches(hint, data[key], f"{where}.{key}")
    return out


@pytest.mark.parametrize("name", [n for n in RULE_FILES if n.endswith(".yaml")])
def test_a_loader_declares_exactly_the_keys_of_its_file(name: str):
    loader = rulebook.LOADERS[name]
    typed = typing.get_type_hints(loader)["return"]
    assert typing.is_typeddict(typed)
    assert _key_mismatches(typed, loader(), name) == []


def test_another_catalog_file_is_parsed_like_the_shipped_one(tmp_path: Path):
    path = tmp_path / "indicators.yaml"
    path.write_text((RULES / "indicators.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    assert rulebook.read_rule_file(path) == rulebook.indicators()


def test_character_classes_keep_their_ranges():
    assert charclasses.SENTENCE_END.search("一句\n下一句") and not charclasses.SENTENCE_END.search("一句,")
    assert charclasses.CLAUSE_END.search("一句,") and charclasses.CLAUSE_MARK.search("；")
    assert charclasses.HAN_BASIC_WORD.fullmatch("法治") and not charclasses.HAN_BASIC_WORD.fullmatch("㐀")
    assert charclasses.ENDS_HAN_EXTENDED.search("㐀") and not charclasses.ENDS_HAN_EXTENDED.search("。")
    assert charclasses.CJK_TEXT_AND_PUNCT.search("。") and not charclasses.CJK_TEXT_AND_PUNCT.search("ア")
    assert charclasses.LAST_SENTENCE_END.match("甲。乙。丙").end() == 4


@pytest.mark.parametrize("name", [n for n in RULE_FILES if n.endswith(".yaml")])
def test_a_rule_file_parses_as_the_pure_python_safe_loader_reads_it(name: str):
    import yaml

    text = (RULES / name).read_text(encoding="utf-8")
    assert rulebook.parse_yaml(text) == yaml.load(text, Loader=yaml.SafeLoader)


def test_the_rule_book_refuses_what_a_safe_loader_refuses():
    import yaml

    with pytest.raises(yaml.YAMLError):
        rulebook.parse_yaml("!!python/object/apply:os.system ['true']")
