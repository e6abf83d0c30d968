"""One report, counted once: body fingerprints, repeats (`duplicate_of`) and corrections (`supersedes`).

Why: the same report arrives in several wrappers (a saved html page, its txt, the page with the
portal's menus) and portals re-upload corrected versions; each became its own document, so an
analyst summing an indicator counted one report two or three times (ENF_CERT_HOLDERS 70 and 71
for one agency and year). The body after chrome removal is what identifies a report, so:

* the fingerprint is a hash of the body's letters and digits only (NFKC, Traditional folded), so
  line breaks, spaces, punctuation and full/half width do not matter;
* a later document with the fingerprint of an earlier one is `duplicate_of` the first;
* a later document of the same agency and region, report year and type, with the same title (or
  the title plus a note such as 修订稿), whose body is nearly the same (shingle overlap,
  rules/duplicates.yaml) `supersedes` the earlier version.

Earlier means: published in an earlier release, then within one run by publish date, then doc_id
(deterministic). Pure: rows in, links out; govreports/io/dedupe.py applies them to staged rows.

Comparing bodies is the costly part (a 10,000-page run compared 8,000 pairs of ≈6,000-character
bodies: 7 of the flow process's CPU s as Python sets of shingle strings). The overlap is counted on
sorted numpy arrays of 64-bit shingle hashes instead, ≈10× faster, each body hashed once; a result
within RECOUNT_SHINGLES of the threshold (where a hash collision, ≈2^-64 per pair of shingles,
could tip it) is recounted exactly on the strings, so the links are those of `similarity`.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from govreports import rules as rulebook
from govreports.text.textfold import simplified


@functools.cache
def _rules() -> tuple[float, int]:
    data = rulebook.duplicates()
    return float(data["supersede_min_similarity"]), int(data["shingle_chars"])


#: what is not a letter or digit: `\\w` is str.isalnum() plus "_" (sre's definition of a word character);
#: the definition `normalized` implements with a table (tests check the two agree on every code point)
_NOT_ALNUM = re.compile(r"[\W_]+")
#: an overlap this many shingles or fewer from the threshold is recounted on the strings
RECOUNT_SHINGLES = 16
_HASH_BASE = np.uint64(0x9E3779B97F4A7C15)  # odd: the polynomial hash wraps modulo 2^64


@functools.cache
def _alnum_points() -> np.ndarray:
    """Per code point: is it a letter or digit (str.isalnum(), "_" excluded): what _NOT_ALNUM keeps."""
    table = np.fromiter((chr(i).isalnum() for i in range(0x110000)), dtype=bool, count=0x110000)
    table[ord("_")] = False
    return table


def normalized(body: str) -> str:
    """The body's letters and digits (NFKC, Simplified, lower case): what stays the same across wrappers.
    The letters and digits are picked from the text as UTF-32 with a flag per code point: exactly
    _NOT_ALNUM.sub("", ...) (checked on every code point), five times faster."""
    text = simplified(unicodedata.normalize("NFKC", body)).lower()
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    return points[_alnum_points()[points]].tobytes().decode("utf-32-le")


def fingerprint(body: str) -> str:
    """sha256 (32 hex) of the normalized body."""
    return hashlib.sha256(normalized(body).encode("utf-8")).hexdigest()[:32]


def _shingles(text: str, size: int) -> set[str]:
    return {text[i:i + size] for i in range(max(1, len(text) - size + 1))}


def similarity(a: str, b: str) -> float:
    """Jaccard overlap of the character shingles of two normalized bodies (0..1)."""
    size = _rules()[1]
    sa, sb = _shingles(a, size), _shingles(b, size)
    return len(sa & sb) / len(sa | sb) if sa or sb else 1.0


def shingle_hashes(text: str, size: int) -> np.ndarray:
    """Sorted distinct 64-bit hashes of the text's `size`-character shingles (empty if shorter)."""
    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    count = len(points) - size + 1
    if count <= 0:
        return np.empty(0, dtype=np.uint64)
    hashes = np.zeros(count, dtype=np.uint64)
    for offset in range(size):
        hashes = hashes * _HASH_BASE + points[offset:offset + count]
    hashes.sort()  # then drop repeats: 10-20x faster than np.unique, which hashes before it sorts (numpy 2.4)
    return hashes[np.concatenate(([True], hashes[1:] != hashes[:-1]))]


def similar_enough(a: str, hashes_a: np.ndarray, b: str, hashes_b: np.ndarray, threshold: float) -> bool:
    """similarity(a, b) >= threshold, counted on the shingle hashes (module docstring)."""
    if not len(hashes_a) or not len(hashes_b):
        return similarity(a, b) >= threshold
    common = len(np.intersect1d(hashes_a, hashes_b, assume_unique=True))
    union = len(hashes_a) + len(hashes_b) - common
    if abs(common - threshold * union) <= RECOUNT_SHINGLES:
        return similarity(a, b) >= threshold
    return common > threshold * union


@dataclass
class Candidate:
    """What linking needs of a document: identity, grouping keys and its normalized body."""

    doc_id: str
    fingerprint: str
    agency: str | None
    report_year: int | None
    doc_type: str
    text: str
    duplicate_of: str | None = None
    supersedes: str | None = None
    region: str | None = None
    title: str = ""  # normalized

    @property
    def key(self) -> tuple:
        """Same agency (with its region: 市教育局 alone names many), report year and type."""
        return (self.agency, self.region, self.report_year, self.doc_type)

    @classmethod
    def from_row(cls, row: dict[str, Any], *, with_text: bool = True) -> Candidate:
        """From a documents row; `with_text=False` leaves the normalized body out (text ""): the
        caller fills it in for the few candidates `compared` names."""
        body = row.get("body")
        printed = row.get("fingerprint") or (fingerprint(body) if body is not None else "")  # "": not known yet
        body = body or ""
        return cls(row["doc_id"], printed, row.get("agency"),
                   row.get("report_year"), row.get("doc_type") or "", normalized(body) if with_text else "",
                   row.get("duplicate_of"), row.get("supersedes"), row.get("region"),
                   normalized(row.get("title") or ""))


def _same_title(a: str, b: str) -> bool:
    """The same title, or one is the other plus a note such as (修订稿)."""
    return a == b or (bool(a) and bool(b) and (a in b or b in a))


def compared(candidates: Iterable[Candidate]) -> set[str]:
    """The doc_ids whose bodies `link` may compare: it compares two documents only when they share
    agency, region, report year and type, differ in fingerprint and have the same title (`_same_title`).
    Everything else is decided on fingerprints and keys, so the bodies of all other documents need
    not be held: linking then holds a few small fields per document, not every normalized body."""
    groups: dict[tuple, list[Candidate]] = {}
    for c in candidates:
        if c.agency:
            groups.setdefault(c.key, []).append(c)
    out: set[str] = set()
    for group in groups.values():
        if len({c.fingerprint for c in group}) < 2:
            continue
        for a in group:
            if any(b.fingerprint != a.fingerprint and _same_title(a.title, b.title) for b in group):
                out.add(a.doc_id)
    return out


def repeats(known: Iterable[Candidate], new: Iterable[Candidate]
            ) -> tuple[dict[str, tuple[str | None, str | None]], dict[tuple, Candidate], dict[tuple, list[Candidate]]]:
    """The first half of `link`, on fingerprints and keys only (no bodies): the links with every
    `duplicate_of` decided; the version in force per key among `known`; and per key, in order, the
    new documents that are not repeats (what `supersessions` compares)."""
    first_of: dict[str, str] = {}        # fingerprint -> doc_id of its first document
    current: dict[tuple, Candidate] = {}  # (agency, region, year, type) -> the version in force
    earlier: list[Candidate] = list(known)
    superseded = {c.supersedes or "" for c in earlier}
    for c in earlier:
        first_of.setdefault(c.fingerprint, c.doc_id)
        if c.duplicate_of is None and c.doc_id not in superseded and c.agency:
            current[c.key] = c
    out: dict[str, tuple[str | None, str | None]] = {}
    versions: dict[tuple, list[Candidate]] = {}
    for c in new:
        if c.fingerprint in first_of and first_of[c.fingerprint] != c.doc_id:
            out[c.doc_id] = (first_of[c.fingerprint], None)
            continue
        first_of.setdefault(c.fingerprint, c.doc_id)
        out[c.doc_id] = (None, None)
        if c.agency:
            versions.setdefault(c.key, []).append(c)
    return out, current, versions


def supersessions(in_force: Candidate | None, docs: list[Candidate]) -> dict[str, str]:
    """The second half of `link`, for one key: doc_id -> the version it supersedes. Which version
    is in force depends on that key's documents only, in their order, so keys can be taken in any
    order and one at a time; the version in force is hashed once. Needs the bodies (`text`) of the
    documents `compared` names."""
    threshold, size = _rules()
    out: dict[str, str] = {}
    previous, previous_hashes = in_force, None
    for c in docs:
        if previous is None:
            previous = c
        elif previous.doc_id != c.doc_id and _same_title(previous.title, c.title):
            if previous_hashes is None:
                previous_hashes = shingle_hashes(previous.text, size)
            hashes = shingle_hashes(c.text, size)
            if similar_enough(previous.text, previous_hashes, c.text, hashes, threshold):
                out[c.doc_id] = previous.doc_id
                previous, previous_hashes = c, hashes
    return out


def link(known: Iterable[Candidate], new: Iterable[Candidate]) -> dict[str, tuple[str | None, str | None]]:
    """(duplicate_of, supersedes) for each of `new`, in order, against `known` (already published) and
    the new documents before it."""
    out, current, versions = repeats(known, new)
    for key, docs in versions.items():
        for doc_id, earlier in supersessions(current.get(key), docs).items():
            out[doc_id] = (None, earlier)
    return out
