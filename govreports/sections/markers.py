"""Heading markers of 公文-style reports: find the numbered line starts and read their headings.

Why hand-written: no library parses this grammar on web text. The open-source candidates
(ragflow's BULLET_PATTERN, docx formatters; shared/docs/domain.md §2.4) know no 一是 leads, no
run-in headings ("1.优化政府机构职能。动态调整…") and no enclosed forms (① ⑴ ㈠ ⒈), and they
normalise first, which loses the level information. The grammar itself is data in
rules/headings.yaml; this module compiles it once and applies it to the raw text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import cn2an

from govreports import rules as rulebook
from govreports.text.textfold import drop_glosses

ENUM = "enum"
_CIRCLED_ONE = 0x2460  # ①


@dataclass(frozen=True, slots=True)
class Family:
    """One marker family: its canonical rank, regex and label format."""

    id: str
    rank: int
    regex: re.Pattern[str]
    label: str
    enclosed_first: int | None


@dataclass(frozen=True, slots=True)
class Grammar:
    """The compiled heading grammar (rules/headings.yaml)."""

    families: tuple[Family, ...]
    enum: Family
    not_headings: re.Pattern[str]
    table_row: re.Pattern[str]
    heading_end: re.Pattern[str]
    heading_trim: str
    inline_after: re.Pattern[str]
    inline_blank: re.Pattern[str]
    sibling_after: re.Pattern[str]
    inline_min_line_chars: int
    inline_min_mean_line_chars: int
    inline_max_heading_chars: int
    max_gap: int
    lead_after: re.Pattern[str]
    glued_not_after: re.Pattern[str]
    tag_bracketed: re.Pattern[str]
    tag_line: re.Pattern[str]
    tag_role: re.Pattern[str]
    tag_split: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class Marker:
    """A marker found at `start` with the heading that follows it (offsets into the body)."""

    family: str
    rank: int          # canonical rank; -1 for 一是 leads
    ordinal: int
    label: str         # normalised: 第一部分, 一、, (一), 1., (1), ①, 一是
    label_raw: str
    start: int         # offset of the label
    heading: str
    heading_end: int
    line_start: int
    line_end: int
    inline: bool       # found after a sentence end inside a line, not at the line start
    glued: bool = False  # a 一是 lead glued to the word before it (its clause end left out)

    @property
    def boundary(self) -> int:
        """Where the text before this heading ends: its line start, or its label when run-in."""
        return self.start if self.inline else self.line_start

    @property
    def stand_alone(self) -> bool:
        """True when the heading fills the rest of its line (no run-in body text)."""
        return self.heading_end >= self.line_end


def _family(fid: str, spec: dict, cn: str) -> Family:
    pattern = spec["pattern"].replace("{cn}", cn)
    first = None
    if "enclosed" in spec:
        lo, hi = spec["enclosed"]
        pattern = f"(?:{pattern}|(?P<enc>[{lo}-{hi}])\\s*[、.．]?)"
        first = ord(lo)
    return Family(fid, int(spec.get("rank", -1)), re.compile(pattern), spec["label"], first)


@cache
def grammar() -> Grammar:
    """Load and compile rules/headings.yaml (once per process)."""
    spec = rulebook.headings()
    cn = spec["numeral"]
    tags = spec["owner_tags"]
    role = tags["role"]
    families = tuple(_family(f["id"], f, cn) for f in spec["families"])
    return Grammar(
        families=families,
        enum=_family(ENUM, spec["enum"], cn),
        not_headings=re.compile("|".join(f"(?:{p})" for p in spec["not_headings"])),
        table_row=re.compile(spec["table_row"]),
        heading_end=re.compile(spec["heading_end"]),
        heading_trim=spec["heading_trim"],
        inline_after=re.compile(spec["inline"]["after"]),
        inline_blank=re.compile(spec["inline"]["blank"]),
        sibling_after=re.compile(spec["inline"]["sibling_after"]),
        inline_min_line_chars=int(spec["inline"]["min_line_chars"]),
        inline_min_mean_line_chars=int(spec["inline"]["min_mean_line_chars"]),
        inline_max_heading_chars=int(spec["inline"]["max_heading_chars"]),
        max_gap=int(spec["max_gap"]),
        lead_after=re.compile(spec["enum"]["lead_after"]),
        glued_not_after=re.compile(spec["enum"]["glued_not_after"]),
        tag_bracketed=re.compile(tags["bracketed"].replace("{role}", role)),
        tag_line=re.compile(tags["line"].replace("{role}", role)),
        tag_role=re.compile(role + r"\s*[:：]"),
        tag_split=re.compile(tags["split"]),
    )


@cache
def cn_ordinal(numeral: str) -> int:
    """一 → 1, 十二 → 12 (cn2an: the one library that reads these numerals correctly)."""
    return int(cn2an.cn2an(numeral, "normal"))


@cache
def cn_numeral(ordinal: int) -> str:
    """1 → 一, 12 → 十二: the normalised form of a Chinese ordinal in labels."""
    return str(cn2an.an2cn(ordinal))


def _label(family: Family, ordinal: int, match: re.Match[str]) -> str:
    groups = {k: v for k, v in match.groupdict().items() if v is not None}
    return family.label.format(cn=cn_numeral(ordinal), n=ordinal,
                               circled=chr(_CIRCLED_ONE + ordinal - 1) if 1 <= ordinal <= 20 else str(ordinal),
                               **{k: v for k, v in groups.items() if k not in {"cn", "n", "circled"}})


def _ordinal(family: Family, match: re.Match[str]) -> int:
    enc = match.groupdict().get("enc")
    if enc:
        return ord(enc) - (family.enclosed_first or 0) + 1
    num = match.group("num")
    return int(num) if num[0].isdigit() else cn_ordinal(num)


def read_heading(body: str, text_start: int, line_end: int) -> tuple[str, int]:
    """Heading text after a label: up to the first sentence end or the line end, owner tags removed.

    Returns the heading and the offset just after it (before any trailing tag or punctuation).
    """
    g = grammar()
    stop = g.heading_end.search(body, text_start, line_end)
    end = stop.start() if stop else line_end
    raw = body[text_start:end]
    while True:  # peel trailing punctuation and a trailing owner tag, repeatedly
        raw = raw.rstrip(g.heading_trim)
        tail = [t for t in g.tag_bracketed.finditer(raw) if t.end() == len(raw)]
        if not tail:
            break
        raw = raw[: tail[0].start()]
    heading = drop_glosses(g.tag_bracketed.sub("", raw)).strip(g.heading_trim)
    return heading, text_start + len(raw)


def match_marker(body: str, pos: int, line_start: int, line_end: int, *, inline: bool = False,
                 enum: bool = False, dense: bool = False) -> Marker | None:
    """The marker starting exactly at `pos`, or None. `enum` asks for a 一是 lead instead; `dense`
    says the line is a flattened run of paragraphs, where a blank ends a heading."""
    g = grammar()
    if g.not_headings.match(body, pos, line_end):
        return None
    for family in (g.enum,) if enum else g.families:
        m = family.regex.match(body, pos, line_end)
        if not m:
            continue
        text_start = m.end()
        while text_start < line_end and body[text_start] in " \t\u3000\xa0":
            text_start += 1
        end = line_end
        if dense and (blank := g.inline_blank.search(body, text_start, line_end)):
            end = blank.start()
        heading, heading_end = read_heading(body, text_start, end)
        if not heading or g.table_row.search(heading):
            return None
        if inline and not enum and len(heading) > g.inline_max_heading_chars:
            return None
        try:
            ordinal = _ordinal(family, m)
        except ValueError:  # a numeral cn2an refuses is no ordinal (the grammar should not let one by)
            return None
        return Marker(family.id, family.rank, ordinal, _label(family, ordinal, m),
                      body[pos:m.end()].strip(), pos, heading, heading_end, line_start, line_end, inline)
    return None


def iter_lines(body: str, stop: int | None = None) -> list[tuple[int, int]]:
    """(start, end) of every line of `body` that starts before `stop` (end excludes the newline)."""
    stop = len(body) if stop is None else stop
    lines, start = [], 0
    while start < stop:
        nl = body.find("\n", start)
        end = len(body) if nl < 0 else nl
        lines.append((start, end))
        start = end + 1
    return lines


def first_char(body: str, start: int, end: int) -> int:
    """Offset of the first non-blank character of a line (its paragraph start)."""
    while start < end and body[start] in " \t\u3000\xa0\r•·":
        start += 1
    return start


def owner_units(text: str) -> list[str]:
    """Unit names from owner tags (〔责任机构:宣传处、法规处〕, 责任单位：… lines), in order, unique."""
    g = grammar()
    units: list[str] = []
    tags = sorted([*g.tag_bracketed.finditer(text), *g.tag_line.finditer(text)], key=lambda m: m.start())
    for m in tags:
        inner = g.tag_role.sub(" ", m.group(0)).strip("〔〕（）()【】[] \t\u3000")
        for name in g.tag_split.split(inner):
            name = name.strip("〔〕（）()【】[]。.:：")
            if name and name not in units:
                units.append(name)
    return units
