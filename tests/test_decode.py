"""decode_bytes: BOMs, declared vs actual charsets, GB18030 beyond GB2312, binary and empty input."""

from __future__ import annotations

from pathlib import Path

import pytest

from govreports.clean.decode import DecodeError, decode_bytes, decode_bytes_ex

FIXTURES = Path(__file__).parent / "fixtures" / "html"
TEXT = "法治政府建设年度报告：一、主要举措和成效。①学法不少于4次。"
#: 镕/喆/堃 are in GBK/GB18030 but not in GB2312: a strict gb2312 codec fails on them.
BEYOND_GB2312 = "王洪镕、李喆、张堃参加法治培训。"


def html(charset_meta: str, body: str) -> str:
    return f"<html><head>{charset_meta}<title>t</title></head><body><p>{body}</p></body></html>"


@pytest.mark.parametrize(("bom", "codec"), [
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
])
def test_bom_wins_over_declarations(bom, codec):
    data = bom + TEXT.encode(codec)
    text, enc = decode_bytes(data, content_type="text/html; charset=gbk")
    assert text == TEXT
    assert enc == codec


def test_header_charset_is_used_when_the_bytes_agree():
    data = html('<meta charset="utf-8">', TEXT).encode("gb18030")
    text, enc, warnings = decode_bytes_ex(data, content_type="text/html; charset=GBK")
    assert TEXT in text
    assert enc == "gb18030"
    assert warnings == []


def test_meta_charset_used_without_header_and_gb2312_read_as_gb18030():
    data = html('<meta http-equiv="Content-Type" content="text/html; charset=gb2312">',
                TEXT + BEYOND_GB2312).encode("gb18030")
    with pytest.raises(UnicodeDecodeError):
        data.decode("gb2312")
    text, enc = decode_bytes(data)
    assert BEYOND_GB2312 in text
    assert enc == "gb18030"


def test_wrong_header_charset_is_overruled_with_a_warning():
    data = html('<meta charset="gb2312">', TEXT).encode("gb18030")
    text, enc, warnings = decode_bytes_ex(data, content_type="text/html; charset=utf-8")
    assert TEXT in text
    assert enc == "gb18030"
    assert any(w.startswith("charset_mismatch") for w in warnings)


def test_utf8_body_labelled_gbk_is_read_as_utf8():
    data = html('<meta charset="gbk">', TEXT).encode("utf-8")
    text, enc, warnings = decode_bytes_ex(data)
    assert TEXT in text
    assert enc == "utf-8"
    assert any("UTF-8" in w for w in warnings)


def test_latin1_header_on_chinese_bytes_is_not_believed():
    data = html("", TEXT).encode("gb18030")
    text, enc, warnings = decode_bytes_ex(data, content_type="text/html; charset=ISO-8859-1")
    assert TEXT in text and enc == "gb18030" and warnings


def test_undeclared_pages_are_sniffed_utf8_then_gb18030():
    assert decode_bytes(TEXT.encode("utf-8")) == (TEXT, "utf-8")
    assert decode_bytes((TEXT + BEYOND_GB2312).encode("gb18030")) == (TEXT + BEYOND_GB2312, "gb18030")


def test_a_few_damaged_utf8_bytes_do_not_flip_the_page_to_gb18030():
    data = ("<p>" + TEXT * 200 + "</p>").encode("utf-8")
    data = data[:300] + b"\xe6" + data[300:]  # a cut character inside the page
    text, enc, warnings = decode_bytes_ex(data, content_type="text/html; charset=utf-8")
    assert enc == "utf-8"
    assert text.count("\ufffd") == 1
    assert any(w.startswith("damaged_bytes") for w in warnings)


def test_unknown_label_is_ignored_with_a_warning():
    text, enc, warnings = decode_bytes_ex(TEXT.encode("utf-8"), content_type="text/html; charset=foo-9")
    assert (text, enc) == (TEXT, "utf-8")
    assert warnings == ["unknown_charset: header declares 'foo-9'"]


def test_gbk_fixture_decodes():
    text, enc = decode_bytes((FIXTURES / "gbk_zoom.html").read_bytes())
    assert enc == "gb18030"
    assert "王洪镕" in text and "①" in text and "（一）" in text


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "empty: no bytes"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "not_text: PNG image"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF", "not_text: JPEG image"),
    (b"GIF89a\x01\x00", "not_text: GIF image"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3", "not_text: PDF document"),
    (b"PK\x03\x04\x14\x00\x06\x00", "not_text: ZIP archive (or Office document)"),
])
def test_empty_and_binary_inputs_raise_specific_reasons(data, reason):
    with pytest.raises(DecodeError) as info:
        decode_bytes(data, content_type="text/html")
    assert info.value.reason == reason
    assert isinstance(info.value, ValueError)


def test_png_saved_as_html_is_rejected(tmp_path):
    page = tmp_path / "report.html"
    page.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(DecodeError, match="not_text: PNG image"):
        decode_bytes(page.read_bytes(), content_type="text/html; charset=utf-8")


def test_nul_bytes_mean_binary():
    with pytest.raises(DecodeError, match="not_text: binary data"):
        decode_bytes("报告".encode() + b"\x00\x01\x02" + "正文".encode())


def test_undecodable_bytes_raise():
    # invalid in UTF-8 and in GB18030 (0x80 and 0xFF are never lead bytes) and too damaged to repair
    data = bytes([0x80, 0xFF]) * 500
    with pytest.raises(DecodeError, match="undecodable"):
        decode_bytes(data)  # a single-byte code page would "decode" it; that is not Chinese text


def test_declared_big5_is_honoured():
    trad = "法治政府建設年度報告。依法行政工作要點。"
    data = html('<meta charset="big5">', trad).encode("big5")
    text, enc = decode_bytes(data)
    assert trad in text and enc == "big5"


def test_undeclared_big5_is_read_as_big5_and_gbk_stays_gb18030():
    trad = "關於2023年度法治政府建設情況的報告。一、主要舉措和成效。本局堅持依法行政，深入推進嚴格規範公正文明執法，" * 3
    text, enc = decode_bytes(html("", trad).encode("big5"))
    assert enc == "big5" and trad in text
    simp = "关于2023年度法治政府建设情况的报告。一、主要举措和成效。本局坚持依法行政，深入推进严格规范公正文明执法，" * 3
    text, enc = decode_bytes(html("", simp).encode("gbk"))
    assert enc == "gb18030" and simp in text


def test_gb18030_page_cut_mid_character_is_repaired_with_a_warning():
    simp = "关于二〇二三年度法治政府建设情况的报告。本局坚持依法行政，深入推进严格规范公正文明执法。" * 5
    data = simp.encode("gbk")[:-1]  # a CMS cut the page inside its last two-byte character
    text, enc, warnings = decode_bytes_ex(data)
    assert enc == "gb18030" and text == simp[:-1]  # the cut character is dropped
    assert warnings == ["damaged_bytes: 1 invalid gb18030 sequences replaced"]
