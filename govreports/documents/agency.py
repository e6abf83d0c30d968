"""Who issued a document, and the administrative area it belongs to (agency, region).

Why hand-written: portals name the issuer in many places and each is partial. The title may say
only 区卫生健康委 (the portal's own district is implied), the signature 大足区卫生健康委, the
disclosure block's 发布机构 an abbreviation, a cited notice the full 重庆市开州区卫生健康委员会, and the
body only 我委. Analysts group by agency and region, so a name without its place is nearly as bad
as none: the evidence is gathered in priority order and a place-less name is completed by a
candidate that names the same body with its place. Cue words and patterns: rules/metadata.yaml
(agency:, region:).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from govreports import rules as rulebook
from govreports.text.charclasses import SENTENCE_PUNCT


def is_org(line: str) -> bool:
    """A short line without sentence punctuation that ends like an organisation name."""
    rules = rulebook.metadata()["agency"]
    line = line.strip()
    return (2 <= len(line) <= rules["org_max_len"] and not SENTENCE_PUNCT.search(line)
            and bool(re.search(rules["org_suffix"], line)))


def region_of(agency: str | None) -> str | None:
    """Administrative prefix of an agency: 宁波市教育局 → 宁波市, 金华市婺城区教育局 → 金华市婺城区."""
    if not agency:
        return None
    rules = rulebook.metadata()
    name = agency.strip()
    for prefix in rules["agency"]["strip_prefixes"]:
        if name.startswith(prefix):
            name = name[len(prefix):]
    region, pos = "", 0
    for level in rules["region"]["levels"]:
        m = re.compile(level).match(name, pos)
        if m:
            region, pos = region + m.group(0), m.end()
    if not region and (m := re.match(rules["region"]["township"], name)):
        region = m.group(0)
    if region and all(c in rules["agency"]["level_chars"] for c in region):
        return None  # 市市场监管局, 县市场监管局: levels without a name are no place (市中区 is one)
    return region or None


def _place(text: str | None) -> str | None:
    """A text that is a place name and nothing more (region_of of it is all of it, and none of
    the words that make a phrase of it: 关于命名第三批全省 is no place)."""
    not_in = rulebook.metadata()["region"]["not_in_place"]
    return text if text and region_of(text) == text and not re.search(not_in, text) else None


def places(title: str | None, body: str, sites: Iterable[str] = ()) -> list[str]:
    """Places a document names for itself where no agency says it, most telling first: the
    title's scope, the opening subject, local documents it cites (most cited first), then the
    portal it stands on (`sites`: the site name, header lines: "重庆市大足区人民政府网")."""
    rules = rulebook.metadata()["region"]
    found = []
    if title and (m := re.match(rules["title_place"], title)):
        found.append(_place(m.group("place").strip()))
    first = body.lstrip().split("。", 1)[0][:200]
    if m := re.match(rules["opening_place"], first):
        found.append(_place(m.group("place").strip()))
    cited = [p for m in re.finditer(rules["cited_place"], body) if (p := _place(m.group("place")))]
    found.extend(sorted(set(cited), key=lambda p: (-cited.count(p), cited.index(p))))
    for site in sites:
        for name in re.split(r"[\s|｜丨]+", site):
            if m := re.match(rules["site_place"], name):
                found.append(_place(region_of(m.group("org"))))
    return [p for p in found if p]


def _stem(name: str) -> str:
    """The body's own name without its place and long forms: 重庆市大足区卫生健康委员会 → 卫生健康委."""
    rules = rulebook.metadata()["agency"]
    region = region_of(name) or ""
    stem = name.strip()[len(region):] if name.strip().startswith(region) else name.strip()
    stem = stem.lstrip(rules["level_chars"])
    for long, short in rules["long_forms"].items():
        if stem.endswith(long):
            stem = stem[: -len(long)] + short
    return stem.translate({ord(c): None for c in rules["filler_chars"]})


def same_body(a: str, b: str) -> bool:
    """Two names of one body, one of them perhaps without its place or in a short form."""
    sa, sb = _stem(a), _stem(b)
    return bool(sa and sb) and (sa == sb or sa.endswith(sb) or sb.endswith(sa))


def cited_orgs(body: str) -> list[str]:
    """Issuers of documents the body cites by title: 《重庆市开州区卫生健康委员会关于…的通知》."""
    rules = rulebook.metadata()["agency"]
    out = []
    for m in re.finditer(rules["cited_issuer"], body):
        name = m.group("org").strip()
        if is_org(name) and region_of(name):
            out.append(name)
    return out


def _cited_own(body: str) -> list[str]:
    """Bodies that issued a document the body cites (《…卫生健康委员会行政规范性文件管理办法》), with a place."""
    pattern = rulebook.metadata()["agency"]["cited_own"]
    return [m.group("org") for m in re.finditer(pattern, body) if region_of(m.group("org")) and is_org(m.group("org"))]


def opening_subject(body: str) -> str | None:
    """The issuer named as the subject of the body's opening sentence ("2022年,市司法局坚持…")."""
    for line in body.lstrip().splitlines()[:3]:  # a speaker or date line may stand above it
        m = re.match(rulebook.metadata()["agency"]["opening_subject"], line.strip().split("。", 1)[0][:200])
        if m and is_org(m.group("org")):
            return m.group("org")
        if "。" in line:
            break
    return None


def self_reference(body: str) -> str | None:
    """The suffix the body calls its issuer by (我局 → 局, 我委 → 委), if it does."""
    m = re.search(rulebook.metadata()["agency"]["self_reference"], body)
    return m.group("kind") if m else None


def resolve(candidates: Iterable[str | None], body: str = "",
            named_places: Callable[[], Iterable[str]] = tuple) -> tuple[str | None, str | None]:
    """(agency, region) from candidate names in priority order.

    The first candidate is the agency. Where it names no place, the first other candidate (or a
    body citation) naming the same body with its place replaces it; with no candidate at all, a
    cited issuer of the body's own kind (我局 → a …局) stands in. The region is the agency's place,
    else the first of `named_places()` of the agency's level (市司法局 → a …市; asked only then).
    """
    names = [c.strip() for c in candidates if c and c.strip()]
    agency = names[0] if names else None
    cited = cited_orgs(body) if body and (agency is None or not region_of(agency)) else []
    if agency is None:
        kind = self_reference(body)
        own = [c for c in [*cited, *_cited_own(body)] if kind and _stem(c).endswith(kind)]
        agency = own[0] if own else None
    elif not region_of(agency):
        fuller = [c for c in [*names[1:], *cited] if region_of(c) and same_body(agency, c)]
        if fuller:
            agency = fuller[0]
    region = region_of(agency)
    if region is None:
        level = agency.strip()[:1] if agency else ""
        fits = [p for p in named_places()
                if level not in rulebook.metadata()["agency"]["level_chars"] or p.endswith(level)]
        region = fits[0] if fits else None
    return agency, region
