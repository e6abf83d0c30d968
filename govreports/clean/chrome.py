"""Remove portal chrome (breadcrumbs, bylines, info-disclosure blocks, toolbars, footers) from a
page's lines, and keep what that chrome says as page metadata.

Why hand-written: text-density extractors (trafilatura, readability, GNE) drop whole blocks by
position and would take a document's title, signature or a short body line with them, and they
do not harvest 索引号/发布机构/成文日期. Here a line is chrome only when the WHOLE line is (after a
leading bullet), so a chrome word inside a sentence ("分享了经验") stays content. Matching runs on a
width-folded (NFKC) copy because live pages use full-width ：｜（） while the seeds are folded;
the original line is what is kept. The patterns are data: rules/chrome.yaml.
"""

from __future__ import annotations

import json

from govreports.clean.chrome_lines import (
    aligned,
    check_pairs,
    chrome_rules,
    classify,
    label_pairs,
    meta_titles,
    take_value,
)
from govreports.models import PageText

__all__ = ["chrome_rules", "strip_chrome"]


def strip_chrome(lines: list[str], meta: dict[str, str] | None = None, source: str = "") -> PageText:
    """Drop whole-line chrome, harvesting its fields into meta (existing meta values win).

    Sets meta truncated="1" when a lone '...'/'……' marker line was dropped, and meta
    truncated_after (a JSON list) with the content line each marker followed, so the splitter
    can tell which document of the page was cut.
    """
    walk = _Strip(dict(meta or {}))
    for line in lines:
        walk.line(line)
    return walk.page(source)


class _Strip:
    """One walk over a page's lines: what is kept and dropped, and what a line tells the next ones."""

    def __init__(self, meta: dict[str, str]) -> None:
        self.meta = meta
        self.kept: list[str] = []
        self.removed: list[str] = []
        self.header_titles: set[str] = set()  # short lines seen before the first sentence, and meta titles
        self.body_started = False
        self.in_links = False  # after a 相关链接-style heading below the body: its link lines are chrome
        self.truncated_after: list[str] = []
        self.expect: str | None = None  # meta key whose value may stand on the next non-blank line
        self.titles: set[str] = set()
        self.titles_of: tuple[str | None, str | None] | None = None  # the meta values `titles` was folded from

    def line(self, line: str) -> None:
        if "。" in line:  # a sentence: never chrome, a label value or a header title (all exclude 。)
            self.expect, self.in_links, self.body_started = None, False, True
            self.kept.append(line)
            return
        f, orig = aligned(line)
        if not f:
            self.kept.append(line)
            return
        if self.expect is not None and self._value_line(line, f, orig):
            return
        fam, value_key = self._family(f)
        if fam is None:
            self.kept.append(line)
            self.body_started = self.body_started or "。" in f
            return
        self._drop(line, f, orig, fam, value_key)

    def _value_line(self, line: str, f: str, orig: str) -> bool:
        """Whether the line is the value of the label that stood alone on the line before."""
        key, self.expect = self.expect or "", None
        if not take_value(key, f, orig, self.meta):
            return False
        if key == "title":  # the title stays: it is the document's title line
            self.kept.append(line)
            self.header_titles.add(f)
        else:
            self.removed.append(line.strip())
        return True

    def _family(self, f: str) -> tuple[str | None, str | None]:
        """The line's chrome family (None: content) and the meta key its value may follow with."""
        fam, value_key = classify(f)
        if fam is None and self.in_links and "。" not in f and len(f) <= 60:
            fam = "related_links"
        if fam is None and not self.body_started and chrome_rules()["header_byline_re"].fullmatch(f):
            fam = "byline"  # "市司法局 2023年02月17日" above the text: who posted it, not a signature
        if fam is None:
            self.in_links = False
            fam = self._repeat(f)
        return fam, value_key

    def _repeat(self, f: str) -> str | None:
        """The family repeat_title for a line repeating a header title; otherwise note a header title seen."""
        if self.titles_of != (now := (self.meta.get("title"), self.meta.get("page_title"))):
            self.titles, self.titles_of = meta_titles(self.meta), now
        # a repeat is chrome in the page header, or anywhere when it repeats the page's title;
        # below the body an org line equal to a header line is the signature, not a repeat
        if f in self.header_titles and (not self.body_started or f in self.titles):
            return "repeat_title"
        if (not self.body_started or f in self.titles) and "。" not in f and len(f) >= 4:
            self.header_titles.add(f)
        return None

    def _drop(self, line: str, f: str, orig: str, fam: str, value_key: str | None) -> None:
        self.removed.append(line.strip())
        self.expect = value_key
        if fam == "related" and self.body_started:
            self.in_links = True
        if fam == "truncation":
            self.meta["truncated"] = "1"
            self.truncated_after.append(next((k.strip() for k in reversed(self.kept) if k.strip()), ""))
        elif fam == "labels":
            for key, value in check_pairs(label_pairs(f, orig) or []) or []:
                self.meta.setdefault(key, value)

    def page(self, source: str) -> PageText:
        if self.truncated_after:
            self.meta["truncated_after"] = json.dumps(self.truncated_after, ensure_ascii=False)
        return PageText(source=source, lines=self.kept, meta=self.meta, removed=self.removed)
