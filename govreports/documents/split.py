"""A page's clean lines → the documents on it (usually one; 第一篇/第二篇 pages carry several),
each with its title line separated from its body.

Why hand-written: the boundaries are genre conventions, not layout: "第X篇:" headers, a title
line that names a 报告/要点/总结 and holds no sentence, a 印发 notice in front of the report it
issues (kept with that report). A page whose title is missing keeps title=None: the pipeline must
not invent one. Cue words and thresholds are data: rules/metadata.yaml (split:).
"""

from __future__ import annotations

import json
import re
import unicodedata
from itertools import pairwise

from govreports import rules as rulebook
from govreports.clean.chrome_lines import chrome_rules
from govreports.documents.agency import is_org
from govreports.models import DocDraft, PageText
from govreports.text.textfold import drop_glosses, simplified

#: (title, header line(s), body lines) of one document of a page, before it becomes a DocDraft
Segment = tuple[str | None, str | None, list[str]]


def split_documents(page: PageText) -> list[DocDraft]:
    """Documents on the page in page order; [] when the page carries no report text."""
    lines = [line.strip() for line in page.lines if line.strip()]
    segments, lead = _part_segments(lines)
    meta = {k: v for k, v in page.meta.items() if k not in ("truncated", "truncated_after")}
    if not segments:
        segments = _segments_without_parts(lines, page.meta, meta)
    elif lead:
        _place_lead(segments, lead, meta)
    cut = [c for c in json.loads(page.meta.get("truncated_after", "[]")) if c]
    drafts = (_draft(segment, meta, cut) for segment in segments)
    return [draft for draft in drafts if draft is not None]


def _part_segments(lines: list[str]) -> tuple[list[Segment], list[str]]:
    """The documents of a 第一篇/第二篇 page, one per header, and the lines above the first header."""
    rules = rulebook.metadata()["split"]
    part_re = re.compile(rules["part_doc"])
    segments: list[Segment] = []
    lead: list[str] = []
    for line in lines:
        m = part_re.match(line)
        rest = m.group(2).strip() if m else ""
        if m and (not rest or _title_like(rest) or re.match(rules["part_doc_marked"], line)):
            segments.append((rest or None, line, []))
        elif segments:
            segments[-1][2].append(line)
        else:
            lead.append(line)
    return segments, lead


def _segments_without_parts(lines: list[str], page_meta: dict[str, str], meta: dict[str, str]) -> list[Segment]:
    """The documents of a page without 第X篇 headers: the one under the page's title, then any
    other report starting after a signature. Furniture above the title goes to meta["above_title"]."""
    title, idx = _find_title(lines, page_meta)
    body = [line for i, line in enumerate(lines) if i not in idx]
    above = lines[: idx[0]] if idx else []
    if above and not any("。" in line for line in above):  # furniture, not a cover letter
        meta["above_title"] = "\n".join(above)
        body = body[len(above):]
    cuts = [0, *_second_reports(body), len(body)]
    segments: list[Segment] = [(title, "\n".join(lines[i] for i in idx) if idx else None, body[: cuts[1]])]
    for a, b in pairwise(cuts[1:]):
        more, more_idx = _find_title(body[a:b], {})
        segments.append((more, "\n".join(body[a + i] for i in more_idx) or None,
                         [line for i, line in enumerate(body[a:b]) if i not in more_idx]))
    return segments


def _place_lead(segments: list[Segment], lead: list[str], meta: dict[str, str]) -> None:
    """Lines above the first 第X篇 header: a cover text (it holds a sentence) opens the first
    document; anything else is the page's heading."""
    if any("。" in line for line in lead):
        segments[0][2][:0] = lead
    else:
        meta["page_heading"] = "\n".join(lead)


def _draft(segment: Segment, meta: dict[str, str], cut: list[str]) -> DocDraft | None:
    """A segment as a document draft, its title settled; None when it holds no report text."""
    rules = rulebook.metadata()["split"]
    title, title_line, body_lines = segment
    if title is None and title_line is not None:  # "第一篇" alone: its title is the next line
        title, idx = _find_title(body_lines, {})
        if idx:
            title_line += "\n" + "\n".join(body_lines[i] for i in idx)
            body_lines = [line for i, line in enumerate(body_lines) if i not in idx]
    if body_lines and (run_in := re.match(rules["run_in_title"], body_lines[0])) and _title_like(run_in.group("title")):
        title = run_in.group("title")  # the document's own title, run into its first paragraph
        body_lines = [body_lines[0][run_in.end():], *body_lines[1:]]
    text = "".join(body_lines)
    if len(text) < rules["min_body_chars"] or "。" not in text:
        return None
    last = body_lines[-1]
    truncated = bool(re.search(rules["truncated_tail"], last)) or any(last == c or last.endswith(c) for c in cut)
    return DocDraft(title=title, body="\n".join(body_lines), title_line=title_line, meta=dict(meta),
                    truncated=truncated)


def _second_reports(body: list[str]) -> list[int]:
    """Where another report starts on a page without 第X篇 markers: right after a signature date
    (an issuer line may open it), a title naming a year, with a report body below. A document a
    cover notice issues ("现将《X》印发") is not another report: its title was cited above it."""
    rules = rulebook.metadata()
    date_line = re.compile(rules["signature"]["date_line"])
    min_chars = rules["split"]["min_body_chars"]
    named_year, cited_title = rules["split"]["named_year"], rules["split"]["cited_title"]
    cuts: list[int] = []
    start = 0
    dated = [k for k in range(1, len(body) - 1) if len(body[k]) <= 20 and date_line.match(body[k])]
    for k in sorted({d + 1 for d in dated} | {d + 2 for d in dated}):  # right after a signature date
        if k < 2 or k >= len(body):
            continue
        if not (_title_like(body[k]) and re.search(named_year, body[k])):
            continue
        at = k - 1 if is_org(body[k - 1]) else k
        if at < 1 or not date_line.match(body[at - 1]):
            continue
        before, after = "".join(body[start:at]), "".join(body[k + 1:])
        cited = {_squash(m) for m in re.findall(cited_title, before)}
        if (len(before) < min_chars or "。" not in before or len(after) < min_chars or "。" not in after
                or _squash(_clean_title(body[k])) in cited):
            continue
        cuts.append(at)
        start = at
    return cuts


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def _clean_title(line: str) -> str:
    """A title line without list bullets, injected pinyin glosses, table borders, a site name the
    portal appended ("…工作要点的通知-某某网"), or the document number and 《》 of a cover letter."""
    rules = rulebook.metadata()["split"]
    text = drop_glosses(chrome_rules()["bullet_re"].sub("", line)).strip().strip("|｜ \t")
    text = re.sub(rules["site_suffix"], "", text)
    bracketed = re.match(rules["bracketed_title"], text)
    return bracketed.group("inner").strip() if bracketed else text


def _title_like(line: str) -> bool:
    """Short, no sentence punctuation, not a heading, names a report/plan/summary."""
    rules = rulebook.metadata()["split"]
    text = _clean_title(line)
    if not rules["title_min_len"] <= len(text) <= rules["title_max_len"]:
        return False
    if re.search(rules["body_start"], text) or re.search(rules["not_title"], text):
        return False
    return any(cue in text for cue in rules["title_cues"])


def _find_title(lines: list[str], meta: dict[str, str]) -> tuple[str | None, list[int]]:
    """(title, indices of its line(s)) among the lines before the body starts, else (None, []).

    Among several title-like lines (a column name such as 法治政府建设年度报告 above the real
    title), a line equal to the page's meta title wins, then the first one naming a year; a title
    broken over two lines counts as one.
    """
    rules = rulebook.metadata()["split"]
    known = {_squash(meta[k]) for k in ("title", "page_title") if meta.get(k)}
    candidates = _title_candidates(lines, known, {_squash(meta[k]) for k in ("site_name", "column_name") if meta.get(k)})
    if not candidates:
        return _title_off_the_lines(lines, meta)
    text, idx = _best_candidate(candidates, lines, known, meta)
    notice = re.search(rules["cover_notice"], text) or re.search(rules["cover_notice_plain"], text)
    if notice:  # a 印发 notice: the title is the issued document's own title line, if present
        issued = _issued_title(lines, idx[-1] + 1, notice.group("inner"))
        return issued if issued[0] else (notice.group("inner").strip(), idx)
    if idx[0] > 0 and _agency_line_above(lines[idx[0] - 1], text, meta):
        return _clean_title(lines[idx[0] - 1]) + text, [idx[0] - 1, *idx]
    return text, idx


def _title_candidates(lines: list[str], known: set[str], skip: set[str]) -> list[tuple[str, list[int]]]:
    """The title-like lines (or two-line spans) above the body, a line equal to a `known` title
    first; a line equal to the site or column name (`skip`) is none."""
    rules = rulebook.metadata()["split"]
    candidates: list[tuple[str, list[int]]] = []
    follows = -1
    for i, line in enumerate(lines[: rules["title_scan_lines"]]):
        if i <= follows:
            continue
        text = _clean_title(line)
        sq = _squash(text)
        if re.search(rules["body_start"], text) and sq not in known:
            break
        if sq in known:
            candidates.insert(0, (text, [i]))
            break
        span = _title_span(lines, i)
        if span and _squash(span[0]) not in skip:
            candidates.append(span)
            follows = span[1][-1]
    return candidates


def _title_off_the_lines(lines: list[str], meta: dict[str, str]) -> tuple[str | None, list[int]]:
    """No title line: the title of the document a cover notice issues, else the disclosure
    block's 标题 (on no line of its own), else (None, [])."""
    issued = _issued_title(lines, 0)
    if issued[0] is None and meta.get("title") and _title_like(meta["title"]):
        return _clean_title(meta["title"]), []
    return issued


def _best_candidate(candidates: list[tuple[str, list[int]]], lines: list[str], known: set[str],
                    meta: dict[str, str]) -> tuple[str, list[int]]:
    """The known title, else the first naming a year, else the first; and where the portal's
    headline is repeated under the document's issuer further down, that own title line."""
    named_year = rulebook.metadata()["split"]["named_year"]
    dated = [c for c in candidates if re.search(named_year, c[0])]
    text, idx = candidates[0] if _squash(candidates[0][0]) in known or not dated else dated[0]
    again = [c for c in candidates if c[1][0] > idx[0] and _squash(c[0]) == _squash(text)
             and _agency_line_above(lines[c[1][0] - 1], text, meta)]
    return again[0] if again else (text, idx)


def _title_span(lines: list[str], i: int) -> tuple[str, list[int]] | None:
    """The title starting at line i: the line itself, or a title broken over it and the next
    ("桐木漯瑶族乡人民政府关于2023年度法治政府建设" / "工作的报告"), else None."""
    rules = rulebook.metadata()["split"]
    text = _clean_title(lines[i])
    if i + 1 < len(lines) and re.match(rules["title_head"], text) and not _title_like(text):
        tail = _clean_title(lines[i + 1])
        if (len(tail) <= rules["title_tail_max"] and not re.search(rules["title_tail_not"] + "|" + rules["body_start"], tail)
                and _title_like(text + tail)):
            return text + tail, [i, i + 1]
    return (text, [i]) if _title_like(text) else None


def _issued_title(lines: list[str], start: int, inner: str | None = None) -> tuple[str | None, list[int]]:
    """The title of a document issued by a cover notice ("现将《X》印发给你们", or `inner` from the
    notice's own title), with its title line below the notice if there is one, else (X, [])."""
    rules = rulebook.metadata()["split"]
    scan = range(start, min(len(lines), start + rules["title_scan_lines"]))
    if inner is None:
        for k in scan:
            line = drop_glosses(lines[k])
            if m := re.search(rules["issuing_sentence"], simplified(line)):
                group = "inner" if m.group("inner") else "inner2"
                inner = line[m.start(group):m.end(group)]  # the fold keeps offsets
                start = k + 1
                break
        if inner is None or not any(cue in simplified(inner) for cue in rules["title_cues"]):
            return None, []
    want = _squash(inner)
    for j in range(start, min(len(lines), start + rules["title_scan_lines"])):
        sq = _squash(_clean_title(lines[j]))
        if "。" not in lines[j] and want and want in sq and len(sq) <= len(want) + 10:
            return _clean_title(lines[j]), [j]
    return inner.strip(), []


def _agency_line_above(above: str, title: str, meta: dict[str, str]) -> bool:
    """An agency name on its own line directly above a title that starts with the year or 关于."""
    rules = rulebook.metadata()
    above = _clean_title(above)
    return (bool(re.search(rules["agency"]["org_suffix"], above))
            and len(above) <= rules["agency"]["org_max_len"]
            and bool(re.match(rules["split"]["title_after_issuer"], title))
            and _squash(above) not in {_squash(meta.get("site_name", "")), _squash(meta.get("column_name", ""))}
            and not re.search(rules["split"]["body_start"], above))
