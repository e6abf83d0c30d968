"""sources.yaml loading: defaults, the shipped file and its example, errors naming entry and field."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from govreports.portals.sources import Politeness, SourcesError, load_sources, parse_sources, source_from_dict

REPO = Path(__file__).resolve().parents[1]


def minimal(**overrides):
    entry = {
        "name": "nb-edu",
        "list_pages": ["https://jyj.example.invalid/col/col1/index.html"],
        "link_rule": {"title_pattern": "法治政府建设.*(报告|要点)"},
    }
    entry.update(overrides)
    return entry


def errors_of(data) -> list[str]:
    with pytest.raises(SourcesError) as info:
        parse_sources(data, "s.yaml")
    return info.value.errors


def test_shipped_file_has_real_columns_with_evidence():
    sources = load_sources(REPO / "sources.yaml")
    enabled = [s for s in sources if s.enabled]
    assert len(enabled) >= 25
    assert all((urlsplit(s.list_pages[0]).hostname or "").endswith(".gov.cn") for s in enabled)
    assert len({s.region[:2] for s in enabled if s.region}) >= 5  # 北京, 天津, 重庆, 浙江, 广东 …
    assert all(s.evidence for s in sources)
    assert {"trs", "hanweb", "gkmlpt"} <= {s.link_rule.family for s in enabled}
    # every TRS column's evidence is a report page inside that column (its address reveals it)
    for s in enabled:
        if s.link_rule.family == "trs":
            column = urlsplit(s.list_pages[0]).path
            assert any(column in e for e in s.evidence), s.name


def test_commented_example_in_sources_yaml_is_valid():
    text = (REPO / "sources.yaml").read_text(encoding="utf-8")
    block = text.split("# --- example entry ---\n")[1].split("# --- end example entry ---")[0]
    uncommented = "\n".join(re.sub(r"^# ?", "", line) for line in block.splitlines())
    (source,) = parse_sources(yaml.safe_load(uncommented))
    assert source.name == "example-city-education"
    assert source.link_rule.selector == "div.list-box li"
    assert source.pagination.next_text == ("下一页",)
    assert source.politeness == Politeness()  # the example spells out the defaults


def test_defaults_fill_politeness_pagination_and_hosts():
    source = source_from_dict(minimal())
    assert source.politeness == Politeness()
    assert source.politeness.max_bytes == 5_000_000
    assert source.pagination.next_text == ("下一页", "下页")
    assert source.pagination.max_pages == 5
    assert source.allowed_hosts == ("jyj.example.invalid",)
    assert source.allow_private_addresses is False
    assert source.user_agent is None


def test_partial_politeness_keeps_other_defaults():
    source = source_from_dict(minimal(politeness={"min_interval_seconds": 10, "max_bytes": 1000}))
    assert source.politeness.min_interval_seconds == 10
    assert source.politeness.max_bytes == 1000
    assert source.politeness.timeout_seconds == Politeness().timeout_seconds


def test_load_sources_reads_yaml_file(tmp_path):
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump({"sources": [minimal(), minimal(name="hz-edu")]}, allow_unicode=True),
                    encoding="utf-8")
    assert [s.name for s in load_sources(path)] == ["nb-edu", "hz-edu"]


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (minimal(max_page=3), "sources[0] (nb-edu): max_page: unknown field"),
        (minimal(link_rule={}), "sources[0] (nb-edu): link_rule: needs title_pattern and/or selector"),
        (minimal(link_rule={"title_pattern": "法治("}), "sources[0] (nb-edu): link_rule: title_pattern: bad regex"),
        (minimal(link_rule={"selector": "li[["}), "sources[0] (nb-edu): link_rule: selector: bad CSS selector"),
        (minimal(list_pages=["ftp://x.invalid/a"]), "sources[0] (nb-edu): list_pages: not an http(s) URL"),
        (minimal(list_pages=[]), "sources[0] (nb-edu): list_pages: needs at least one URL"),
        (minimal(name="NB Edu"), "sources[0] (NB Edu): name: must be a lowercase slug"),
        (minimal(allowed_hosts=["other.invalid"]), "sources[0] (nb-edu): allowed_hosts: does not cover jyj"),
        (minimal(allowed_hosts=["https://jyj.example.invalid/"]), "allowed_hosts: not a host name"),
        (minimal(politeness={"max_bytes": -1}), "sources[0] (nb-edu): politeness: max_bytes: must be an integer"),
        (minimal(politeness={"timeout_seconds": "fast"}), "politeness: timeout_seconds: must be a number"),
        (minimal(politeness={"max_attempts": True}), "politeness: max_attempts: must be an integer"),
        (minimal(encoding="klingon"), "sources[0] (nb-edu): encoding: unknown encoding"),
        (minimal(allow_private_addresses=["10.0.0.0/33"]), "allow_private_addresses: not a network"),
        (minimal(pagination={"url_template": "https://jyj.example.invalid/index.html"}),
         "pagination: url_template: must be an http(s) URL containing {page}"),
        (minimal(list_pages=["https://jyj.example.invalid/a", "https://jyj.example.invalid/b"],
                 pagination={"url_template": "https://jyj.example.invalid/index_{page}.html"}),
         "pagination: url_template: paginates one column"),
        ({"list_pages": ["https://x.invalid/"]}, "sources[0]: name: is required"),
    ],
)
def test_errors_name_entry_and_field(entry, expected):
    errors = errors_of({"sources": [entry]})
    assert any(expected in e for e in errors), errors
    assert all(e.startswith("s.yaml: ") for e in errors)


def test_all_problems_reported_at_once_and_duplicates_caught():
    errors = errors_of({"sources": [minimal(), minimal(encoding="klingon", max_page=1), minimal()]})
    assert any("sources[1] (nb-edu): encoding" in e for e in errors)
    assert any("sources[1] (nb-edu): max_page" in e for e in errors)
    assert any("sources[2] (nb-edu): name: duplicate name" in e for e in errors)


@pytest.mark.parametrize("data", [None, [], {"sources": {}}, {"source": []}])
def test_top_level_shape_is_checked(data):
    assert errors_of(data)


def test_top_level_unknown_key():
    assert errors_of({"sources": [], "extra": 1}) == ["s.yaml: extra: unknown top-level field"]


def test_invalid_yaml_names_file(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("sources: [\n", encoding="utf-8")
    with pytest.raises(SourcesError, match=r"bad\.yaml: not valid YAML"):
        load_sources(path)


def test_wildcard_hosts_match_subdomains_only():
    source = source_from_dict(minimal(list_pages=["https://www.nb.gov.cn/col/1.html"], allowed_hosts=["*.nb.gov.cn"]))
    assert source.host_allowed("www.nb.gov.cn")
    assert source.host_allowed("JYJ.NB.GOV.CN.")
    assert not source.host_allowed("nb.gov.cn")
    assert not source.host_allowed("evilnb.gov.cn")
    assert not source.host_allowed(None)


@pytest.mark.parametrize(
    ("setting", "address", "allowed"),
    [
        (False, "93.184.216.34", True),
        (False, "127.0.0.1", False),
        (False, "10.1.2.3", False),
        (False, "169.254.169.254", False),   # cloud metadata endpoint
        (False, "::1", False),
        (False, "::ffff:127.0.0.1", False),  # IPv4-mapped loopback
        (False, "fe80::1", False),
        (True, "127.0.0.1", True),
        (["127.0.0.1/32"], "127.0.0.1", True),
        (["127.0.0.1/32"], "127.0.0.2", False),
        (["10.1.2.0/24"], "10.1.2.9", True),
    ],
)
def test_address_allowed(setting, address, allowed):
    source = source_from_dict(minimal(allow_private_addresses=setting))
    assert source.address_allowed(address) is allowed


def test_template_pagination_parsed():
    source = source_from_dict(minimal(pagination={
        "url_template": "https://jyj.example.invalid/col/col1/index_{page}.html", "start": 1, "max_pages": 3}))
    assert source.pagination.url_template.endswith("index_{page}.html")
    assert (source.pagination.start, source.pagination.max_pages) == (1, 3)


def test_sources_are_frozen():
    source = source_from_dict(minimal())
    with pytest.raises(AttributeError):
        source.name = "other"  # type: ignore[misc]
