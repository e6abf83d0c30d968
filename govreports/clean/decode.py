"""Bytes of a fetched page → text, with the encoding it was read in.

Chinese portals declare charsets unreliably: no header charset (requests then assumes
ISO-8859-1), `gb2312` on pages holding characters outside GB2312, or a UTF-8 body labelled
`gbk`. So a declared label is a hypothesis that the bytes must confirm: we decode strictly and
fall back to the decoding the bytes support (UTF-8 validity is strong evidence; GB18030 decodes
every GBK/GB2312 page). Undeclared Big5 (Taiwan and Hong Kong mirrors of reports) also decodes as
GB18030 — as rare characters — so when both decode, the reading with more common characters wins.
charset-normalizer is only the last resort, because on short Chinese pages it sometimes guesses
Big5 or a single-byte code page.
"""

from __future__ import annotations

import codecs
import functools
import re

from charset_normalizer import from_bytes

from govreports.text.charclasses import CJK_TEXT_AND_PUNCT, HAN_BASIC
from govreports.text.textfold import simplified


class DecodeError(ValueError):
    """The bytes are not a text page; `reason` is recorded as the page's error."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


#: magic numbers of formats that are sometimes served under an .html name.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"%PDF-", "PDF document"),
    (b"PK\x03\x04", "ZIP archive (or Office document)"),
    (b"PK\x05\x06", "ZIP archive (empty)"),
    (b"\x1f\x8b", "gzip data"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "OLE2 document (doc/xls)"),
    (b"Rar!\x1a\x07", "RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "7z archive"),
)
_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
#: labels decoded as GB18030, a superset of them (WHATWG maps gb2312/gbk to the gb18030 decoder).
_GB_LABELS = {"gb2312", "gbk", "x-gbk", "cp936", "ms936", "gb_2312-80", "euc-cn", "euccn", "gb18030",
              "csgb2312", "iso-ir-58", "chinese", "windows-936", "x-euc-cn", "hz-gb-2312"}
_SINGLE_BYTE = {"latin-1", "iso8859-1", "cp1252", "ascii", "iso8859-15"}
_META_SCAN = 4096
_CT_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([A-Za-z0-9._:\-]+)", re.I)
_META_CHARSET = re.compile(
    rb"<meta[^>]{0,300}?charset\s*=\s*[\"']?\s*([A-Za-z0-9._:\-]+)", re.I)
#: UTF-8 with at most this share of invalid bytes is a UTF-8 page with a few damaged characters.
_UTF8_DAMAGE = 0.002
#: Big5 wins over GB18030 (which decodes almost any Big5 byte string, as rare characters) only when
#: its reading has clearly more common characters.
_BIG5_MARGIN = 0.2
_SHARE_SAMPLE = 20_000  # characters scored: plenty to tell the readings apart, cheap on big pages


def decode_bytes(data: bytes, *, content_type: str | None = None) -> tuple[str, str]:
    """Decode page bytes; return (text, python codec name). Raises DecodeError."""
    text, encoding, _ = decode_bytes_ex(data, content_type=content_type)
    return text, encoding


def decode_bytes_ex(data: bytes, *, content_type: str | None = None) -> tuple[str, str, list[str]]:
    """Like decode_bytes, plus warnings (declared charset overruled, damaged bytes replaced)."""
    if not data:
        raise DecodeError("empty: no bytes")
    warnings: list[str] = []
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(enc), enc, warnings
            except UnicodeDecodeError:
                warnings.append(f"bom_mismatch: {enc} BOM but invalid {enc}; damaged bytes replaced")
                return data[len(bom):].decode(enc, errors="replace"), enc, warnings
    _reject_binary(data)

    declared: list[tuple[str, str]] = []
    if content_type and (m := _CT_CHARSET.search(content_type)):
        declared.append(("header", m.group(1)))
    if m := _META_CHARSET.search(data[:_META_SCAN]):
        declared.append(("meta", m.group(1).decode("ascii", "replace")))
    for where, label in declared:
        enc = _canonical(label)
        if enc is None:
            warnings.append(f"unknown_charset: {where} declares {label!r}")
            continue
        result = _verify_declared(data, enc, where, label, warnings)
        if result is not None:
            return result[0], result[1], warnings
        break  # the first usable declaration was wrong: sniff instead of trusting a later one

    sniffed = _sniff(data, warnings)
    if sniffed is None:
        raise DecodeError("undecodable: bytes are neither UTF-8 nor GB18030 and no charset fits")
    return sniffed[0], sniffed[1], warnings


def _reject_binary(data: bytes) -> None:
    """Raise for images, archives, PDFs and other non-text served as a page."""
    head = data[:16]
    for magic, what in _MAGIC:
        if head.startswith(magic):
            raise DecodeError(f"not_text: {what}")
    if head.startswith(b"RIFF") and data[8:12] == b"WEBP":
        raise DecodeError("not_text: WEBP image")
    nul = data.count(b"\x00")
    if nul and (b"\x00" in data[:512] or nul > len(data) // 1000):
        raise DecodeError(f"not_text: binary data ({nul} NUL bytes)")


def _canonical(label: str) -> str | None:
    """Map a charset label to a Python codec name; GB family → gb18030; None when unknown."""
    low = label.strip().lower()
    if low in _GB_LABELS:
        return "gb18030"
    try:
        return codecs.lookup(low).name
    except LookupError:
        return None


def _verify_declared(data: bytes, enc: str, where: str, label: str,
                     warnings: list[str]) -> tuple[str, str] | None:
    """Decode with a declared charset if the bytes agree with it; else the clean alternative."""
    ascii_only = data.isascii()
    if enc != "utf-8" and not ascii_only:
        utf8 = _strict(data, "utf-8")
        if utf8 is not None:  # non-ASCII valid UTF-8 is essentially never GBK or Latin-1 text
            warnings.append(f"charset_mismatch: {where} declares {label!r} but bytes are UTF-8")
            return utf8, "utf-8"
        if enc in _SINGLE_BYTE:
            gb = _strict(data, "gb18030")
            if gb is not None:
                warnings.append(f"charset_mismatch: {where} declares {label!r}; decoded as gb18030")
                return gb, "gb18030"
    text = _strict(data, enc)
    if text is not None:
        return text, enc
    if enc == "utf-8":
        damaged = _damaged_utf8(data)
        if damaged is None:
            gb = _strict(data, "gb18030")
            if gb is not None:
                warnings.append(f"charset_mismatch: {where} declares {label!r}; decoded as gb18030")
                return gb, "gb18030"
        else:
            warnings.append(f"damaged_bytes: {damaged[1]} invalid UTF-8 sequences replaced")
            return damaged[0], "utf-8"
    else:
        utf8 = _damaged_utf8(data)
        if utf8 is not None:
            warnings.append(f"charset_mismatch: {where} declares {label!r} but bytes are UTF-8")
            return utf8[0], "utf-8"
        replaced = data.decode(enc, errors="replace")
        bad = replaced.count("\ufffd")
        if bad <= max(3, len(replaced) * _UTF8_DAMAGE):
            warnings.append(f"damaged_bytes: {bad} invalid {enc} sequences replaced")
            return _drop_cut_tail(replaced), enc
    warnings.append(f"charset_mismatch: {where} declares {label!r} but the bytes do not decode with it")
    return None


def _sniff(data: bytes, warnings: list[str]) -> tuple[str, str] | None:
    """No usable declaration: strict UTF-8, then GB18030 or Big5 (whichever reads as common
    Chinese), then a few damaged bytes repaired, then charset-normalizer."""
    text = _strict(data, "utf-8")
    if text is not None:
        return text, "utf-8"
    gb, big5 = _strict(data, "gb18030"), _strict(data, "big5")
    if big5 is not None and (gb is None or _common_share(big5) > _common_share(gb) + _BIG5_MARGIN):
        return big5, "big5"
    if gb is not None:
        return gb, "gb18030"
    damaged = _damaged_utf8(data)
    if damaged is not None:
        warnings.append(f"damaged_bytes: {damaged[1]} invalid UTF-8 sequences replaced")
        return damaged[0], "utf-8"
    for enc in ("gb18030", "big5"):  # a GB or Big5 page cut mid-character by a CMS
        repaired = _damaged(data, enc)
        if repaired is not None:
            warnings.append(f"damaged_bytes: {repaired[1]} invalid {enc} sequences replaced")
            return repaired[0], enc
    best = from_bytes(data).best()
    if best is None:
        return None
    text = str(best)
    non_ascii = sum(1 for ch in text if not ch.isascii())
    if non_ascii and len(CJK_TEXT_AND_PUNCT.findall(text)) < 0.3 * non_ascii:
        return None  # a guess that is not Chinese text is not a report page, just noise
    enc = _canonical(best.encoding) or best.encoding
    warnings.append(f"charset_guessed: {enc} (charset-normalizer)")
    return text, enc


def _strict(data: bytes, enc: str) -> str | None:
    try:
        return data.decode(enc)
    except (UnicodeDecodeError, LookupError):
        return None


def _common_share(text: str) -> float:
    """Share of the Han characters that are among the 3,755 most common (GB2312 level 1) once
    Traditional is folded to Simplified. Big5 bytes misread as GB18030 give rare characters and
    GBK bytes misread as Big5 give rare ones too; the right reading scores near 1."""
    han = HAN_BASIC.findall(simplified(text[:_SHARE_SAMPLE]))
    if not han:
        return 0.0
    return sum(1 for ch in han if _level1(ch)) / len(han)


@functools.lru_cache(maxsize=8192)
def _level1(ch: str) -> bool:
    try:
        return 0xB0 <= ch.encode("gb2312")[0] <= 0xD7
    except UnicodeEncodeError:
        return False


def _damaged(data: bytes, enc: str) -> tuple[str, int] | None:
    """Text in `enc` with only a few invalid sequences (a cut character): text and count, else None."""
    text = data.decode(enc, errors="replace")
    bad = text.count("\ufffd")
    if bad and bad <= max(2, len(data) * _UTF8_DAMAGE) and len(text) - bad > 4 * bad and _common_share(text) > 0.8:
        return _drop_cut_tail(text), bad
    return None


def _drop_cut_tail(text: str) -> str:
    """A page cut inside its last character ends in a replacement character: nothing to keep there."""
    return text.rstrip("\ufffd") if text.endswith("\ufffd") else text


def _damaged_utf8(data: bytes) -> tuple[str, int] | None:
    """UTF-8 with only a few invalid sequences (a CMS cut a character): text and count, else None."""
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    if bad and bad <= max(2, len(data) * _UTF8_DAMAGE) and len(text) - bad > 4 * bad:
        return text, bad
    return None
