"""Document-level metadata of one report: title, agency, region, doc_type, report_year,
publish_date, signed_date (definitions: shared/gold/README.md).

Why hand-written: the evidence is spread over genre conventions no library knows: the agency
opens the title ("杭州市教育局2024年度…") or signs the end (org line + 2023年1月9日), the report
year is the year reported on (not the publication year), and portal dates come from chrome that
chrome.py already harvested into meta. All cue words live in rules/metadata.yaml.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from govreports import rules as rulebook
from govreports.documents import agency as agencies
from govreports.documents.agency import region_of as region_of  # re-exported: callers ask metadata for it
from govreports.models import DocDraft
from govreports.text.charclasses import SENTENCE_PUNCT
from govreports.text.dates import iso_date
from govreports.text.textfold import drop_glosses, has_traditional, restore, simplified

_CN_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"○": 0, "零": 0, "Ｏ": 0, "0": 0}


def extract_metadata(draft: DocDraft) -> dict[str, Any]:
    """The seven gold metadata fields of a document draft (None where the page does not say).

    A Traditional page is read on its Simplified fold, without injected pinyin glosses; names
    come back in the page's own script.
    """
    sample = "".join([draft.title or "", draft.body[:1000], draft.body[-300:], *draft.meta.values()])
    if not has_traditional(sample):  # a page served in 繁體 shows it from its first lines on
        return _extract(draft)
    draft = replace(draft, body=drop_glosses(draft.body), meta={k: drop_glosses(v) for k, v in draft.meta.items()})
    texts = [draft.title or "", draft.body, *draft.meta.values()]
    folded = replace(draft, title=simplified(draft.title) if draft.title else None, body=simplified(draft.body),
                     meta={k: simplified(v) for k, v in draft.meta.items()})
    out = _extract(folded)
    joined_f = "\n".join([folded.title or "", folded.body, *folded.meta.values()])
    joined = "\n".join(texts)
    for key in ("title", "agency", "region"):
        out[key] = restore(out[key], joined_f, joined)
    return out


def _extract(draft: DocDraft) -> dict[str, Any]:
    body_lines = [line.strip() for line in draft.body.splitlines() if line.strip()]
    title = draft.title
    signer, signed_date = _signature(body_lines)
    signed_date = signed_date or _notice_date(body_lines)
    doc_type = _doc_type(title, body_lines)
    agency, region = agencies.resolve([
        _title_agency(title), signer, _issuer_below_title(body_lines),
        *(draft.meta.get(k) for k in ("publisher", "content_source") if agencies.is_org(draft.meta.get(k) or "")),
        _cover_signer(body_lines), _notice_issuer(body_lines),
        *(line for line in (draft.meta.get("above_title") or "").splitlines() if agencies.is_org(line)),
        *(draft.meta.get(k) for k in ("editor", "author") if agencies.is_org(draft.meta.get(k) or "")),
        agencies.opening_subject(draft.body),
        _title_place(title) if doc_type != "work_plan" else None,
    ], draft.body, lambda: agencies.places(title, draft.body, [
        *(draft.meta.get(k) or "" for k in ("site_name", "page_heading")),
        *(draft.meta.get("above_title") or "").splitlines()]))
    if title is None and doc_type == "other":
        title = _headline(body_lines)
    publish_date = next((d for k in ("publish_date", "written_date", "updated_date")
                         if (d := iso_date(draft.meta.get(k)))), None)
    return {
        "title": title,
        "agency": agency,
        "region": region,
        "doc_type": doc_type,
        "report_year": _report_year(title, body_lines, doc_type, publish_date),
        "publish_date": publish_date,
        "signed_date": signed_date,
    }


def _title_prefix(title: str | None) -> tuple[str, str] | None:
    """(name before the year / 关于 / subject, the rest) of a title, or None."""
    m = re.match(rulebook.metadata()["agency"]["title_agency"], title or "")
    return (m.group("agency").strip(), title[m.end():]) if m and title else None


def _title_agency(title: str | None) -> str | None:
    """'杭州市教育局2024年度…' → '杭州市教育局' (only when the prefix is an organisation name)."""
    prefix = _title_prefix(title)
    if prefix is None:
        return None
    name, rest = prefix
    if re.search(rulebook.metadata()["agency"]["org_suffix"], name):
        return name
    if rest.startswith(("关于", "關於")) and region_of(name) == name:
        return name  # "西洞庭管理区关于…的报告": a place issuing in its own name
    return None


def _title_place(title: str | None) -> str | None:
    """A report titled by its place alone ("桂林市2018年法治政府建设情况报告"): the place reports.
    (A plan titled so names its scope: "某市2023年度法治政府建设工作安排" is no issuer.)"""
    prefix = _title_prefix(title)
    return prefix[0] if prefix and region_of(prefix[0]) == prefix[0] else None


def _signature(lines: list[str]) -> tuple[str | None, str | None]:
    """(signing organisation, ISO date) from the end of the body: org line + date line."""
    rules = rulebook.metadata()["signature"]
    end = len(lines)
    while end > 0 and len(lines) - end < rules["max_trailer_lines"] and re.match(rules["trailer"],
                                                                                     lines[end - 1]):
        end -= 1
    if end == 0:
        return None, None
    last = lines[end - 1]
    if m := re.match(rules["org_date_line"], last):
        date = _cn_date(m.group("date"))
        if date and agencies.is_org(m.group("org").strip()):
            return m.group("org").strip(), date
    date = _cn_date(last) if re.match(rules["date_line"], last) else None
    if date is None:
        return None, None
    org = lines[end - 2] if end >= 2 and agencies.is_org(lines[end - 2]) else None
    return org, date


def _notice_date(lines: list[str]) -> str | None:
    """The date a 印发 notice in front of the document was signed ("现将《…》印发给你们。" then
    the issuer and the date): the document's signed date when its own end has none."""
    rules = rulebook.metadata()
    scan = rules["signature"]["notice_scan_lines"]
    for i, line in enumerate(lines[:scan]):
        if re.search(rules["split"]["issuing_sentence"], line):
            for later in lines[i + 1:i + 4]:
                if re.match(rules["signature"]["date_line"], later):
                    return _cn_date(later)
            return None
    return None


def _cover_signer(lines: list[str]) -> str | None:
    """The organisation signing a cover letter / 印发 notice in front of the report (org + date)."""
    date_line = rulebook.metadata()["signature"]["date_line"]
    for i in range(1, len(lines)):
        if re.match(date_line, lines[i]) and agencies.is_org(lines[i - 1]):
            top = i - 1  # joint issuers sign on several lines, or side by side: the first one leads
            while top > 0 and i - top < 3 and _orgs_on(lines[top - 1]):
                top -= 1
            return (_orgs_on(lines[top]) or [lines[top]])[0]
    return None


def _issuer_below_title(lines: list[str]) -> str | None:
    """An issuer standing alone on the first line under the title ("关于…的报告" / "某县人民政府")."""
    first = lines[0] if lines else ""
    return first if agencies.is_org(first) and not first.startswith(("各", "全")) else None


def _notice_issuer(lines: list[str]) -> str | None:
    """The issuer heading a notice in front of the document: its org line right above the
    notice's title ("某县人民政府办公室" / "关于印发…的通知")."""
    for i in range(1, min(len(lines), rulebook.metadata()["signature"]["notice_scan_lines"])):
        if lines[i].startswith(("关于", "關於")) and agencies.is_org(lines[i - 1]):
            return lines[i - 1]
    return None


def _orgs_on(line: str) -> list[str]:
    """The organisation names on a signature line ("某县委办公室 某县司法局" → both), or []."""
    names = line.split()
    return names if names and all(agencies.is_org(n) for n in names) else []


def _cn_date(text: str) -> str | None:
    """'2023年1月9日' or '二〇二三年一月九日' → '2023-01-09'."""
    m = re.match(rulebook.metadata()["signature"]["date_line"], text.strip())
    if not m:
        return iso_date(text)
    y, mo, d = m.group("y"), m.group("m"), m.group("d")
    if not y.isdigit():
        y = "".join(str(_CN_DIGITS[c]) for c in y)
    return iso_date(f"{y}年{_cn_num(mo)}月{_cn_num(d)}日")


def _cn_num(text: str) -> int:
    """1-31 written with Arabic digits or 一…十 (十二, 二十, 二十一)."""
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_CN_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CN_DIGITS.get(ones, 0) if ones else 0)
    return _CN_DIGITS.get(text, 0)


def _doc_type(title: str | None, lines: list[str]) -> str:
    """annual_report | work_plan | summary_and_plan | other, from the title, else the opening."""
    rules = rulebook.metadata()["doc_type"]
    hits = sum("".join(lines).count(cue) for cue in rules["rule_of_law"])
    if any(re.search(p, line) for p in rules["other_opening_re"] for line in lines[: rules["opening_lines"]]):
        return "other"  # a news lede, a guideline's own words
    kind = _title_doc_type(title, hits) if title else None
    if kind:
        return kind
    if hits < rules["rule_of_law_min_body_hits"] and not (title and any(
            cue in title for cue in rules["rule_of_law"])):
        return "other"
    return _opening_doc_type(lines)


def _title_doc_type(title: str, hits: int) -> str | None:
    """The type a title says (a look-alike genre is other, so is a text on another subject than
    the rule of law: `hits` counts its subject words in the body), or None when it says none."""
    rules = rulebook.metadata()["doc_type"]
    if any(cue in title for cue in rules["other"]) or any(re.search(p, title) for p in rules["other_title_re"]):
        return "other"
    if not any(cue in title for cue in rules["rule_of_law"]) and hits < rules["rule_of_law_min_body_hits"]:
        return "other"
    if any(c in title for c in rules["summary"]) and any(c in title for c in rules["plan"]):
        return "summary_and_plan"
    return next((kind for kind in ("work_plan", "annual_report") if any(cue in title for cue in rules[kind])), None)


def _opening_doc_type(lines: list[str]) -> str:
    """The type of a rule-of-law text whose title says none: its opening cues ("报告如下",
    "工作要点如下", a plan's "2023年是…要以…"), else an annual report."""
    rules = rulebook.metadata()["doc_type"]
    opening = "".join(lines[: rules["opening_lines"]])
    for kind in ("work_plan", "annual_report"):
        if any(cue in opening for cue in rules[f"body_{kind}"]):
            return kind
    if lines and re.match(rules["body_work_plan_re"], "".join(lines[:2])):
        return "work_plan"
    return "annual_report"


def _headline(lines: list[str]) -> str | None:
    """The first line of a look-alike text (a news item) when it reads as a headline."""
    if len(lines) < 2:
        return None
    first = lines[0]
    if (len(first) <= rulebook.metadata()["doc_type"]["headline_max_len"] and not SENTENCE_PUNCT.search(first)
            and not agencies.is_org(first) and "。" in lines[1]):
        return first
    return None


def _first_year(text: str) -> tuple[int, int] | None:
    """(year, position) of the first year outside 《》 that is not the start of a span."""
    text = re.sub(rulebook.metadata()["year"]["cited_title"], lambda m: " " * len(m.group(0)), text)
    m = re.search(rulebook.metadata()["year"]["year"], text)
    return (int(m.group(1)), m.start()) if m else None


def _report_year(title: str | None, lines: list[str], doc_type: str, publish_date: str | None) -> int | None:
    """From the title, else an early year in the opening sentence, else the year the body names
    most, else (last resort) the publication year."""
    found = _first_year(title) if title else None
    if found:
        return found[0]
    rules = rulebook.metadata()["year"]
    date_line = rulebook.metadata()["signature"]["date_line"]
    for line in lines[: rules["opening_lines"]]:  # the opening sentence: a speaker or date line may precede it
        if re.match(date_line, line) or re.fullmatch(rules["month_line"], line):
            continue
        found = _first_year(line.split("。")[0])
        if found and found[1] <= rules["opening_max_pos"]:
            return found[0]
        if "。" in line:
            break
    years = [int(m.group(1)) for m in re.finditer(rules["year"], re.sub(rules["cited_title"], " ", "".join(lines)))]
    ranked = sorted(set(years), key=lambda y: -years.count(y))
    if ranked and years.count(ranked[0]) >= rules["dominant_min"] and (
            len(ranked) == 1 or years.count(ranked[0]) > years.count(ranked[1])):
        return ranked[0]  # a text without title or opening year: the year it keeps naming
    if publish_date:
        year = int(publish_date[:4])
        return year if doc_type == "work_plan" else year - 1
    return None
