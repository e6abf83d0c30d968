"""What one line of a portal page is: chrome of which family, a label line and its fields, a value.

The line-level half of chrome.py (which walks a page's lines with these): every test runs on a
width-folded (NFKC), simplified, de-bulleted copy of the line, because live pages use full-width
：｜（） while the seeds are folded; the original line is what is kept. The patterns are data:
rules/chrome.yaml.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Any

from govreports import rules as rulebook
from govreports.text.dates import LEAD_DATE as _LEAD_DATE
from govreports.text.dates import only_date as _only_date
from govreports.text.textfold import fold_table

_LABEL_SEP = " 【】[]|｜丨/"


@functools.cache
def chrome_rules() -> dict[str, Any]:
    """rules/chrome.yaml with its regexes compiled (loaded once per process)."""
    raw: dict[str, Any] = dict(rulebook.chrome())  # one parsed copy, shared with textfold (pinyin glosses)
    labels: dict[str, dict[str, Any]] = raw["labels"]
    alts = "|".join(r"\s*".join(map(re.escape, lab)) for lab in sorted(labels, key=len, reverse=True))
    tokens = sorted(raw["toolbar_tokens"], key=len, reverse=True)
    return {
        **raw,
        "bullet_re": re.compile(raw["bullet_prefix"]),
        "families": {fam: [re.compile(p) for p in pats] for fam, pats in raw["line_patterns"].items()},
        "family_res": {fam: _any_of(pats) for fam, pats in raw["line_patterns"].items()},
        "footer_res": [re.compile(p) for p in raw["footer_patterns"]],
        "footer_re": _any_of(raw["footer_patterns"]),
        # "label:" anywhere; a label without its colon only before a blank or the line end
        "label_re": re.compile(rf"(?P<label>{alts})\s*(?::|(?=\s)|$)"),
        "bracketed_label_re": re.compile(rf"[\[【]\s*(?:{alts})\s*[\]】]"),
        "toolbar_re": re.compile("(?:" + "|".join(map(re.escape, tokens)) + r"|\d+)+"),
        "toolbar_sep_re": re.compile(raw["toolbar_separators"]),
        "value_res": [re.compile(p) for p in raw["value_lines"]],
        "title_value_re": re.compile(raw["title_value"]),
        "counter_value_re": re.compile(raw["counter_value"]),
        "month_re": re.compile(raw["month_value"]),
        "header_byline_re": re.compile(raw["header_byline"]),
        "site_prefix_re": re.compile(raw["site_prefix"]),
        "gloss_re": re.compile(raw["pinyin_gloss"]),
        "cell_label_re": re.compile(rf"\s*[\[【]?\s*(?:{alts})\s*[\]】]?\s*"),
        "wrap_re": re.compile(raw["wrap_block_start"]),
    }


def _any_of(patterns: list[str]) -> re.Pattern[str]:
    """One alternation of the patterns: it fullmatches (or searches) exactly when one of them
    does, so a line is tested once per family instead of once per pattern. A backreference
    would point at another pattern's group once they are joined, so it is refused."""
    if any(re.search(r"\\\d|\(\?P=", p) for p in patterns):
        raise ValueError(f"rules/chrome.yaml: a backreference cannot be joined into one regex: {patterns}")
    return re.compile("|".join(f"(?:{p})" for p in patterns))


@functools.cache
def _fold_char(ch: str) -> str:
    """One character width-folded (NFKC when that stays one character) and simplified."""
    folded = unicodedata.normalize("NFKC", ch)
    folded = folded if len(folded) == 1 else ch
    return fold_table().get(ord(folded), folded) if len(folded) == 1 else folded


class _FoldTable(dict[int, str]):
    """ord → _fold_char, filled on first use: str.translate then folds a line at C speed."""

    def __missing__(self, code: int) -> str:
        value = self[code] = _fold_char(chr(code))
        return value


_FOLD = _FoldTable()


def aligned(line: str) -> tuple[str, str]:
    """(matching copy, original) of a line, stripped and de-bulleted at the same offsets.

    The fold maps character for character, so a value found at some offset in the matching copy
    is read from the original at the same offset: meta keeps the page's own text.
    """
    if len(line) > 4 * chrome_rules()["max_chrome_len"]:  # never chrome; skip the per-char fold
        text = line.strip()
        return text, text
    mapped = line.translate(_FOLD)
    if "(" in mapped and (r := chrome_rules())["gloss_re"].search(mapped):  # 發(fā)布日期 → 发    布日期
        mapped = r["gloss_re"].sub(lambda m: " " * len(m.group(0)), mapped)
    m = chrome_rules()["bullet_re"].match(mapped)
    start = m.end() if m else 0
    end = max(start, len(mapped.rstrip()))
    return mapped[start:end], line[start:end]


def fold(line: str) -> str:
    """Width-folded, simplified, de-bulleted, stripped copy of a line, used only for matching."""
    return aligned(line)[0]


def _is_toolbar(f: str) -> bool:
    rules = chrome_rules()
    squeezed = rules["toolbar_sep_re"].sub("", f)
    if not squeezed or not rules["toolbar_re"].fullmatch(squeezed):
        return False
    joined = "".join(re.findall(r"\D+", squeezed))
    return bool(joined) and (len(joined) >= 2 or len(squeezed) > len(joined))


def label_pairs(f: str, orig: str) -> list[tuple[str, str, str]] | None:
    """Split 'label: value label: value' lines into (label, folded value, original value);
    None unless the line starts with a known label."""
    rules = chrome_rules()
    f = _as_label_line(f)
    lead = len(f) - len(f.lstrip())
    f, orig = f[lead:], orig[lead:]
    dated = _LEAD_DATE.match(f)
    if dated and dated.end() < len(f) and rules["label_re"].match(f, dated.end()):
        rest = label_pairs(f[dated.end():], orig[dated.end():])
        if rest is not None:  # "2022-03-07 点击数:": a bare portal date, then labels
            return [("日期", dated.group(0).strip(), orig[:dated.end()].strip()), *rest]
    if rules["label_re"].match(f) is None:  # finditer's first match would not start the line
        return None
    found = [m for m in rules["label_re"].finditer(f)
             if m.start() == 0 or f[m.start() - 1] in _LABEL_SEP or m.group(0).endswith(":")]
    if not found or found[0].start() != 0:
        return None
    pairs = []
    for i, m in enumerate(found):
        end = found[i + 1].start() if i + 1 < len(found) else len(f)
        value = f[m.end():end].strip(_LABEL_SEP)
        start = m.end() + len(f[m.end():end]) - len(f[m.end():end].lstrip(_LABEL_SEP))
        pairs.append((re.sub(r"\s+", "", m.group("label")), value, orig[start:start + len(value)]))
    return pairs


def _as_label_line(f: str) -> str:
    """A folded line rewritten, at the same length, into the 'label: value' form.

    "[ 发布机构 ] 某局" (bracketed labels), "| 索取号 | 0024/2024 | 发布日期:2024-04-17 |" (table rows:
    a cell that is a label gets ":", every other cell border a blank) and a leading URL become
    blanks and colons, so values are still read from the original at the same offsets.
    """
    rules = chrome_rules()
    if site := rules["site_prefix_re"].match(f):  # "某县人民政府门户网站 www.example.gov.cn 发布时间:…"
        f = " " * site.end() + f[site.end():]
    if "[" in f or "【" in f:
        f = rules["bracketed_label_re"].sub(lambda m: " " + m.group(0)[1:-1] + ":", f)
    if "|" in f or "｜" in f:
        out, start = [], 0
        for cell in re.split(r"[|｜]", f)[:-1]:
            label_cell = rules["cell_label_re"].fullmatch(cell) and not cell.rstrip().endswith(":")
            out.append(cell + (":" if label_cell else " "))
            start += len(cell) + 1
        f = "".join(out) + f[start:]
    return f


def check_pairs(pairs: list[tuple[str, str, str]]) -> list[tuple[str, str]] | None:
    """Harvestable (key, original value) list when every pair is plausible chrome, else None."""
    rules = chrome_rules()
    out: list[tuple[str, str]] = []
    for label, value, orig in pairs:
        spec = rules["labels"][label]
        kind = spec["kind"]
        if len(value) > 60 or "。" in value:
            return None
        if kind == "counter":
            if value and not rules["counter_value_re"].fullmatch(value):
                return None
            continue
        if kind == "widget":
            if value and not _is_toolbar(value):
                return None
            continue
        if value and spec.get("date"):
            orig = _only_date(value) or ""
            if not orig and not rules["month_re"].fullmatch(value):
                return None  # a month alone ("更新时间:2025-12") is chrome, not a date to keep
        if value and orig:
            out.append((spec["key"], orig))
    return out


def _family(f: str) -> str | None:
    """The chrome family a whole (folded) line belongs to, or None for content."""
    rules = chrome_rules()
    if not f or len(f) > rules["max_chrome_len"] or "。" in f:
        return None
    for fam, pattern in rules["family_res"].items():
        if fam == "code" and len(f.encode("ascii", "ignore")) < 0.8 * len(f):  # count of ASCII chars
            continue
        if pattern.fullmatch(f):
            return fam
    if rules["footer_re"].search(f):
        return "footer"
    if _is_toolbar(f):
        return "toolbar"
    if any(p.fullmatch(f) for p in rules["value_res"]):
        return "disclosure_value"
    return None


def classify(f: str) -> tuple[str | None, str | None]:
    """(chrome family or None, meta key whose value may follow on the next line)."""
    rules = chrome_rules()
    pairs = label_pairs(f, f) if "。" not in f and len(f) <= rules["max_chrome_len"] else None
    if pairs and check_pairs(pairs) is not None:
        label, value, _ = pairs[-1]
        spec = rules["labels"][label]
        expects = (not value and (spec["kind"] in ("disclosure", "counter") or spec.get("date"))
                   and f[:1] not in "[【|｜")  # bracketed blocks and table rows keep values beside labels
        return "labels", (spec.get("key", "counter") if expects else None)
    return _family(f), None


def meta_titles(meta: dict[str, str]) -> set[str]:
    return {fold(meta[k]) for k in ("title", "page_title") if meta.get(k)}


def take_value(key: str, f: str, orig: str, meta: dict[str, str]) -> bool:
    """Accept a line as the value of a label that stood alone on the previous line."""
    if "。" in f or len(f) > 100 or label_pairs(f, orig) is not None:
        return False
    if key == "counter":
        return bool(chrome_rules()["counter_value_re"].fullmatch(f))
    if key.endswith("_date"):
        iso = _only_date(f)
        if iso is None:
            return False
        orig = iso
    elif key != "title" and (len(f) > 60 or chrome_rules()["title_value_re"].search(f)):
        return False  # a report title below an empty label is the title, not that label's value
    meta.setdefault(key, orig)
    return True
