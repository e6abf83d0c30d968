"""The run report rendered against a real three-release store: sections present, numbers right.

The summary is built with the flow's own run contract (govreports/run_contract.py), so a change of the
summary's shape that the report does not follow fails here rather than in the nightly run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import pytest

from govreports.io import curated
from govreports.io.parse_pool import page_entry
from govreports.io.releases import get_release
from govreports.io.runs import write_run_report
from govreports.models import PageResult
from govreports.run_contract import (
    NOTHING_NEW,
    PagesCounts,
    ParseCounts,
    ReleaseOutcome,
    RunSummary,
    ValidationOutcome,
)
from govreports_cli.report_cmd import write_report
from tests.release_store import QUARANTINE_FAILED, build_store

SECTIONS = ("pages", "parse", "documents", "validation", "changes", "indicators", "completeness", "coverage")
EMPTY_PAGE = "ab" * 32


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return build_store(tmp_path_factory.mktemp("store"))


def nightly_summary(store, run_id="nightly-2", release=2):
    """The summary the nightly flow would have written for release 2, with failures of every kind."""
    inbox = {"received": 6, "new": 6, "failed": [{"source": "scan.png", "reason": "not_text: PNG image"}]}
    fetches = [{"fetched": 2, "new": 1, "not_modified": 1, "skipped": 3,
                "failed": [{"source": "x-portal", "url": "http://x.example/a.html", "reason": "HTTP 404"}]}]
    results = [*store.results, PageResult(source="inbox", raw_sha256=EMPTY_PAGE, error="no_report: no report text")]
    outcome = ValidationOutcome.of(
        {"success": False, "rows_in": {"documents": 6}, "rows_out": {"documents": 5},
                 "suites": {"documents": {"gx": {"statistics": {"evaluated_expectations": 12,
                                                                "unsuccessful_expectations": 1}},
                                          "checks": [{"success": True}, {"success": True}]},
                            "indicators": {"gx": {"statistics": {"evaluated_expectations": 13,
                                                                 "unsuccessful_expectations": 0}}, "checks": []}}},
        {store.quarantined: [QUARANTINE_FAILED]})
    validation_json = {"success": False, "quarantined": {store.quarantined: [QUARANTINE_FAILED]},
                       "suites": {"documents": {"gx": {"expectations": [
                           {"expectation_type": "expect_column_pair_values_a_to_be_greater_than_b", "success": False,
                            "kwargs": {"column_A": "publish_date"}, "result": {"unexpected_count": 1}},
                           {"expectation_type": "expect_column_values_to_not_be_null", "success": True,
                            "kwargs": {"column": "doc_id"}, "result": {"unexpected_count": 0}}]},
                           "checks": []}}}
    run_dir = store.paths.run_dir(run_id)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "validation.json").write_text(json.dumps(validation_json), encoding="utf-8")
    return RunSummary(run_id=run_id, kind="nightly", logical_date="2026-11-23", code_version="0.1.0+test",
                      pages=PagesCounts.gathered(inbox, fetches),
                      parse=ParseCounts.of([page_entry(r, {"name": "empty.html"} if r.raw_sha256 == EMPTY_PAGE
                                                       else None) for r in results]),
                      validation=outcome,
                      release=ReleaseOutcome.of(get_release(store.paths, release) if release else None))


def test_report_has_every_section_and_the_run_s_numbers(store):
    summary = nightly_summary(store)
    html_path = write_run_report(store.paths, summary, 2)
    assert html_path == store.paths.run_dir("nightly-2") / "report.html"
    html = html_path.read_text(encoding="utf-8")
    model = json.loads(html_path.with_suffix(".json").read_text(encoding="utf-8"))
    for section in SECTIONS:
        assert f'id="{section}"' in html
    # pages: counts and every failure with its reason
    assert "HTTP 404" in html and "http://x.example/a.html" in html and "not_text: PNG image" in html
    assert re.search(r'pages failed<b class="bad">2</b>', html)
    assert model["pages"]["skipped"] == 3 and model["pages"]["received"] == 6
    # parsing: the page without a report, named as a person knows it
    assert "empty.html" in html and "no_report: no report text" in html
    assert model["parse"]["pages"] == 6 and model["parse"]["pages_ok"] == 5
    # documents published by the run = the release's documents from the pages it processed
    release = get_release(store.paths, 2)
    docs = curated.read("documents", 2, data_dir=store.paths)
    mine = sorted(docs[docs["raw_sha256"].isin(release.raw_hashes)]["doc_id"])
    assert sorted(d["doc_id"] for d in model["documents"]["published"]) == mine and len(mine) == 5
    assert model["documents"]["published_total"] == 5
    # quarantine with the expectations failed; validation per suite with its failures
    assert model["validation"]["quarantined"] == [{"doc_id": store.quarantined, "failed": [QUARANTINE_FAILED]}]
    assert store.quarantined in html and QUARANTINE_FAILED in html
    suites = {s["table"]: s for s in model["validation"]["suites"]}
    assert suites["documents"]["evaluated"] == 14 and suites["documents"]["failed"] == 1
    assert suites["documents"]["failures"] == [
        {"name": "expect_column_pair_values_a_to_be_greater_than_b", "unexpected": 1}]
    assert "expect_column_pair_values_a_to_be_greater_than_b (1 rows)" in html
    # changes since release 1
    changes = {c["table"]: c for c in model["release"]["changes"]}
    assert model["release"]["previous"] == 1
    assert changes["documents"] == {"table": "documents", "rows_before": 3, "rows_after": 5, "added": 2, "removed": 0}
    assert changes["quarantine"]["added"] == 1
    assert re.search(r"<td>documents</td><td class=\"num\">3</td><td class=\"num\">5</td>"
                     r"<td class=\"num\">2</td><td class=\"num\">0</td>", html)


def test_report_figures_and_tables_match_the_data(store):
    html_path = write_run_report(store.paths, nightly_summary(store), 2)
    html = html_path.read_text(encoding="utf-8")
    model = json.loads(html_path.with_suffix(".json").read_text(encoding="utf-8"))
    svgs = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    assert len(svgs) == 2
    # plots carry the real Chinese names (indicator titles and regions) as SVG text, with a CJK font stack
    top = model["indicators"]["top"]
    assert top and all(t["name_zh"] in svgs[0] for t in top)
    assert "Noto Sans CJK SC" in svgs[0] and "sans-serif" in svgs[0]
    values = curated.read("indicator_values", 2, data_dir=store.paths)
    regions = set(model["indicators"]["regions"])
    assert regions and all(f">{region}</text>" in svgs[0] for region in regions if len(regions) <= 8)
    for point in model["indicators"]["series"]:
        rows = values[(values["indicator_id"] == point["indicator_id"]) & (values["report_year"] == point["year"])
                      & (values["region"].fillna(values["agency"]) == point["region"])]
        assert not rows.empty and rows["value"].min() <= point["value"] <= rows["value"].max()
    # one measure per plotted indicator: every value of it has the indicator's unit
    for t in top:
        assert set(values[values["indicator_id"] == t["indicator_id"]]["unit"]) == {t["unit"]}
    # completeness by year = counts over the release's documents; coverage sums to all documents
    docs = curated.read("documents", 2, data_dir=store.paths)
    for row in model["documents"]["completeness_by_year"]:
        year_docs = docs[docs["report_year"] == row["year"]]
        assert row["present"] == int((year_docs[f"part_{row['part']}"] == "present").sum())
        assert row["missing"] == int((year_docs[f"part_{row['part']}"] == "missing").sum())
    assert sum(c["documents"] for c in model["documents"]["coverage"]) == len(docs) == model["documents"]["total"]


def test_report_is_self_contained_and_deterministic(store):
    path = write_run_report(store.paths, nightly_summary(store), 2)
    first, first_json = path.read_bytes(), path.with_suffix(".json").read_bytes()
    path = write_run_report(store.paths, nightly_summary(store), 2)
    assert path.read_bytes() == first and path.with_suffix(".json").read_bytes() == first_json
    html = first.decode("utf-8")
    assert "<script" not in html and "<?xml" not in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "<link" not in html and "@import" not in html


def test_a_run_that_published_nothing_still_reports_its_pages(store):
    summary = nightly_summary(store, run_id="nightly-9", release=None)
    summary.validation = ValidationOutcome.of(None, None)
    (store.paths.run_dir("nightly-9") / "validation.json").unlink()  # nothing parsed, nothing validated
    html = write_run_report(store.paths, summary, None).read_text(encoding="utf-8")
    assert "no new release" in html and NOTHING_NEW in html
    assert "HTTP 404" in html and 'id="changes"' not in html and "<svg" not in html
    assert "Nothing was validated" in html


def test_release_found_by_run_id_when_the_summary_has_no_number(store):
    summary = nightly_summary(store)
    summary.release.number = None
    model_path = write_run_report(store.paths, summary, None).with_suffix(".json")
    assert json.loads(model_path.read_text(encoding="utf-8"))["release"]["number"] == 2


def test_report_command_rebuilds_from_the_release_log_when_the_summary_is_gone(store, capsys):
    assert write_report(version=1, data_dir=store.paths.data_dir, out=None, open_browser=False) == 0
    html_path = store.paths.run_dir("nightly-1") / "report.html"
    assert str(html_path) in capsys.readouterr().out
    html = html_path.read_text(encoding="utf-8")
    model = json.loads(html_path.with_suffix(".json").read_text(encoding="utf-8"))
    assert "summary.json not found" in html and model["release"]["number"] == 1
    assert model["release"]["previous"] is None and model["pages"]["recorded"] is False
    assert {c["table"]: c["added"] for c in model["release"]["changes"]}["documents"] == 3


def test_report_command_uses_the_run_summary_and_out(store, tmp_path):
    summary = nightly_summary(store)
    (store.paths.run_dir("nightly-2") / "summary.json").write_text(json.dumps(summary.to_json()), encoding="utf-8")
    out = tmp_path / "r2.html"
    assert write_report(version=2, data_dir=store.paths.data_dir, out=out, open_browser=False) == 0
    assert "HTTP 404" in out.read_text(encoding="utf-8") and out.with_suffix(".json").is_file()
    assert write_report(version=None, data_dir=store.paths.data_dir, out=tmp_path / "l.html", open_browser=False) == 0
    assert json.loads((tmp_path / "l.json").read_text(encoding="utf-8"))["release"]["kind"] == "backfill"


def test_report_command_errors(store, tmp_path, capsys):
    assert write_report(version=42, data_dir=store.paths.data_dir, out=None, open_browser=False) == 1
    assert "no release 42" in capsys.readouterr().err
    assert write_report(version=None, data_dir=tmp_path, out=None, open_browser=False) == 1
    assert f"no release in {tmp_path / 'curated'}: nothing published there yet" in capsys.readouterr().err


def test_report_open_without_a_display_says_where_the_file_is_and_exits_1(store, tmp_path, monkeypatch, capsys):
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "BROWSER"):
        monkeypatch.delenv(name, raising=False)
    out = tmp_path / "headless.html"
    assert write_report(version=2, data_dir=store.paths.data_dir, out=out, open_browser=True) == 1
    assert out.is_file(), "the report is written all the same"
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "no browser" in line and out.as_uri() in line


def _browser() -> str:
    """Debian's chromium (scripts/bootstrap --dev installs it where it can); in CI its absence fails."""
    found = next((shutil.which(n) for n in ("chromium", "chromium-browser") if shutil.which(n)), None)
    if found:
        return found
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail("CI: no chromium to render the report: scripts/bootstrap --dev installs chromium and "
                    "fonts-noto-cjk with apt when run as root")
    pytest.skip("no chromium (as root: apt-get install chromium fonts-noto-cjk, or scripts/bootstrap --dev)")


def _headless(browser: str, profile, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                           "--disable-background-networking", "--disable-component-update", "--disable-sync",
                           "--no-first-run", "--hide-scrollbars", f"--user-data-dir={profile}", *args],
                          check=True, capture_output=True, timeout=180)


def test_report_renders_in_a_headless_browser(store, tmp_path):
    """The run report opened by a real browser: not blank, and its DOM holds the run's figures and names."""
    browser = _browser()
    if os.environ.get("CI", "").lower() in ("1", "true", "yes") and shutil.which("fc-list"):
        fonts = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True).stdout
        assert fonts.strip(), "no CJK font: Chinese text would render as boxes (apt-get install fonts-noto-cjk)"
    html = write_run_report(store.paths, nightly_summary(store), 2)
    model = json.loads(html.with_suffix(".json").read_text(encoding="utf-8"))

    dom = _headless(browser, tmp_path / "profile-dom", "--dump-dom", html.as_uri()).stdout.decode("utf-8")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", dom))
    assert dom.count("<svg") == 2, "both figures are in the rendered page"
    assert re.search(rf"pages received\s*{model['pages']['received']}\b", text)
    assert re.search(rf"pages failed\s*{len(model['pages']['failed'])}\b", text)
    for doc in model["documents"]["published"]:
        assert doc["doc_id"] in text
    names = sorted(model["indicators"]["regions"])
    assert names and all(re.search(r"[\u4e00-\u9fff]", n) for n in names), names
    plots = " ".join(re.findall(r"<svg.*?</svg>", dom, flags=re.S))
    assert all(f">{n}</text>" in plots for n in names), "the Chinese region names are drawn in the plots"
    assert all(t["name_zh"] in plots for t in model["indicators"]["top"]), "and the indicators' names"
    assert store.quarantined in text and QUARANTINE_FAILED in text

    png = tmp_path / "report.png"
    _headless(browser, tmp_path / "profile-png", f"--screenshot={png}", "--window-size=1200,2400", html.as_uri())
    from PIL import Image, ImageStat

    with Image.open(png) as shot:
        gray = shot.convert("L")
        assert gray.size == (1200, 2400)
        assert ImageStat.Stat(gray).stddev[0] > 10, "the screenshot is (nearly) one colour: a blank page"
        inked = sum(count for level, count in enumerate(gray.histogram()) if level < 128)
        assert inked / (gray.width * gray.height) > 0.005, "hardly any dark pixel: no text or figures drawn"


def test_a_region_keeps_its_colour_whatever_else_is_plotted():
    import matplotlib.colors as mcolors
    import pandas as pd

    from govreports.report import plots

    def figure(regions):
        rows = [("ENF_CERT_HOLDERS", year, r, 10.0 + n) for n, r in enumerate(regions) for year in (2021, 2022)]
        return plots.indicator_panels(pd.DataFrame(rows, columns=["indicator_id", "year", "region", "value"]))

    first, second = figure(["宁波市", "鞍山市"]), figure(["鞍山市", "金华市婺城区", "杭州市"])
    colour = mcolors.to_hex(plots.colour_of("鞍山市"))
    assert colour in first and colour in second
    assert plots.colour_of("鞍山市") == plots.colour_of("鞍山市") and ">鞍山市</text>" in first


def test_a_run_that_publishes_an_archive_lists_its_first_documents_and_counts_them_all(store, monkeypatch):
    """report_inputs.PUBLISHED_LISTED: the first documents by year and doc_id, the count of all, and
    the HTML says how many more there are and that report.json does not hold them."""
    from govreports.io import report_inputs

    monkeypatch.setattr(report_inputs, "PUBLISHED_LISTED", 2)
    monkeypatch.setattr("govreports.report.build.MAX_LISTED", 1)
    html_path = write_run_report(store.paths, nightly_summary(store), 2)
    model = json.loads(html_path.with_suffix(".json").read_text(encoding="utf-8"))
    release = get_release(store.paths, 2)
    docs = curated.read("documents", 2, data_dir=store.paths)
    mine = docs[docs["raw_sha256"].isin(release.raw_hashes)].sort_values(["report_year", "doc_id"])
    assert [d["doc_id"] for d in model["documents"]["published"]] == list(mine["doc_id"])[:2]
    assert model["documents"]["published_total"] == 5
    html = html_path.read_text(encoding="utf-8")
    assert "published by this run<b>5</b>" in html and "… 4 more (report.json lists the first 2, by year and doc_id)" in html
