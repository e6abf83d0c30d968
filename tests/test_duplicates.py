"""One report in three wrappers, then a corrected re-upload: published once, counted once (issue 19).

Real pages (html, txt, html with portal menus) through the real parser, staged as a run stages them,
linked (io/dedupe.py) and published to real Delta tables; the default reads count the report once
and with the corrected value, `all_versions=True` shows every document with its links.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.dataset as pads

from govreports.config import DataPaths
from govreports.documents.duplicates import Candidate, fingerprint, link, normalized, similarity
from govreports.io import curated, dedupe, staging
from govreports.io.publish_inputs import tables_to_publish
from govreports.parse import parse_page
from govreports.tables.rows import results_to_tables
from tests.fakeportal import report_html

TITLE = "宁波市教育局2022年法治政府建设年度报告"
PARAS = ["2022年,市教育局坚持以习近平法治思想为指引,持续推进教育系统法治建设,现将工作情况报告如下:",
         "一、加强依法行政领导", "一是落实第一责任人职责。全局持证人员70人,组织集体学法12次。",
         "二、存在的不足", "法治宣传教育形式还不够丰富,部分干部运用法治思维的能力还有待提高。",
         "三、下一步工作计划", "继续深化依法治校,完善学校章程建设。", "宁波市教育局", "2023年2月20日"]
MENUS = ("<div class=nav><a href='/'>首页</a> <a href='/zwgk'>政务公开</a> <a href='/bsfw'>办事服务</a></div>"
         "<div class=search>站内搜索</div>")
FOOTER = "<div class=footer>主办单位:宁波市教育局 | 网站标识码:3302000001</div><div>网站地图 | 联系我们</div>"


def _wrappers(paras: list[str]) -> list[bytes]:
    html = report_html(TITLE, paras)
    return [html.encode(), ("\n".join([TITLE, *paras]) + "\n").encode(),
            html.replace("<body>", "<body>" + MENUS).replace("</body>", FOOTER + "</body>").encode()]


def _run(paths: DataPaths, pages: list[bytes], run_id: str, stage: Path) -> None:
    """What a nightly run does with these pages: parse, stage, link, publish."""
    results = [parse_page(p, "inbox", keywords=False) for p in pages]
    valid = stage / "batch-00000" / "valid"
    staging.write_tables(valid, results_to_tables(results, code_version="v", run_id=run_id), "part")
    tables = tables_to_publish(paths, [str(valid)], backfill=False)  # links the documents as it publishes
    assert curated.publish(paths, tables, run_id=run_id, code_version="v",
                           raw_hashes=[r.raw_sha256 for r in results]) is not None


def test_three_wrappers_and_a_correction_count_once(tmp_path: Path):
    paths = DataPaths.from_dir(tmp_path / "data", env={})
    _run(paths, _wrappers(PARAS), "run-1", tmp_path / "s1")
    every = curated.read_arrow("documents", data_dir=paths, all_versions=True).to_pylist()
    assert len(every) == 3 and len({d["fingerprint"] for d in every}) == 1
    (first,) = [d for d in every if d["duplicate_of"] is None]
    assert sorted(d["duplicate_of"] for d in every if d["duplicate_of"]) == [first["doc_id"]] * 2
    assert [d["doc_id"] for d in curated.read_arrow("documents", data_dir=paths).to_pylist()] == [first["doc_id"]]
    holders = curated.read("indicators", data_dir=paths, filters=[("indicator_id", "=", "ENF_CERT_HOLDERS")])
    assert list(holders["value"]) == [70.0]
    assert len(curated.read("indicators", data_dir=paths, all_versions=True,
                            filters=[("indicator_id", "=", "ENF_CERT_HOLDERS")])) == 3

    corrected = [p.replace("持证人员70人", "持证人员71人") for p in PARAS]
    _run(paths, _wrappers(corrected)[:1], "run-2", tmp_path / "s2")
    (new,) = [d for d in curated.read_arrow("documents", data_dir=paths).to_pylist()]
    assert new["supersedes"] == first["doc_id"] and new["duplicate_of"] is None
    holders = curated.read("indicators", data_dir=paths, filters=[("indicator_id", "=", "ENF_CERT_HOLDERS")])
    assert list(holders["value"]) == [71.0]  # the corrected figure, once
    ds = curated.dataset("indicators", data_dir=paths)
    assert ds.to_table(filter=pads.field("indicator_id") == "ENF_CERT_HOLDERS").column("value").to_pylist() == [71.0]
    assert len(curated.read("documents", 1, data_dir=paths)) == 1  # release 1 still counts the report once
    assert len(curated.read("documents", data_dir=paths, all_versions=True)) == 4


def test_different_reports_of_one_agency_are_not_linked():
    base = "".join(PARAS)
    other = "2022年,市教育局在行政复议、行政应诉、普法宣传方面开展了大量工作。" * 8
    a = Candidate("a", fingerprint(base), "宁波市教育局", 2022, "annual_report", base)
    b = Candidate("b", fingerprint(other), "宁波市教育局", 2022, "annual_report", other)
    assert similarity(a.text, b.text) < 0.5
    assert link([a], [b]) == {"b": (None, None)}
    c = Candidate("c", fingerprint(base), "宁波市教育局", 2023, "annual_report", base)
    assert link([a], [c]) == {"c": ("a", None)}  # the same body is the same report, whatever the metadata


def test_bodies_only_for_the_compared_documents_give_the_same_links():
    """io/dedupe.py keeps the normalized bodies of `compared` documents only: on many random sets of
    versions, repeats and unrelated reports the links are those of linking with every body."""
    import random
    from dataclasses import replace

    from govreports.documents.duplicates import compared

    rng = random.Random(18)
    superseding = 0
    base = [normalized("".join(rng.choice("法治政府建设报告一二三四五六七八九十") for _ in range(400))) for _ in range(6)]
    for _ in range(200):
        docs = []
        for n in range(rng.randint(2, 14)):
            text = rng.choice(base)
            if rng.random() < 0.5:  # a corrected version: a few characters changed
                cut = rng.randrange(len(text) - 10)
                text = text[:cut] + "修订" * rng.randint(1, 6) + text[cut + 10:]
            docs.append(Candidate(f"d{n:02d}", fingerprint(text), rng.choice(["司法局", "教育局", None]),
                                  rng.choice([2022, 2023]), "annual_report", text,
                                  region="宁波市", title=rng.choice(["报告", "报告修订稿", "另一份"])))
        split = rng.randint(0, len(docs))
        full = link(docs[:split], docs[split:])
        wanted = compared(docs)
        light = [d if d.doc_id in wanted else replace(d, text="") for d in docs]
        assert link(light[:split], light[split:]) == full
        superseding += sum(1 for _, sup in full.values() if sup)
    assert superseding > 20, "the sets must exercise the body comparison"


def _link_on_strings(known: list[Candidate], new: list[Candidate]) -> dict[str, tuple[str | None, str | None]]:
    """The links as defined: every comparison by `similarity` on the strings, one document at a time."""
    from govreports.documents.duplicates import _rules, _same_title

    threshold = _rules()[0]
    first_of: dict[str, str] = {}
    current: dict[tuple, Candidate] = {}
    superseded = {c.supersedes or "" for c in known}
    for c in known:
        first_of.setdefault(c.fingerprint, c.doc_id)
        if c.duplicate_of is None and c.doc_id not in superseded and c.agency:
            current[c.key] = c
    out: dict[str, tuple[str | None, str | None]] = {}
    for c in new:
        if c.fingerprint in first_of and first_of[c.fingerprint] != c.doc_id:
            out[c.doc_id] = (first_of[c.fingerprint], None)
            continue
        first_of.setdefault(c.fingerprint, c.doc_id)
        previous = current.get(c.key) if c.agency else None
        supersedes = None
        if (previous is not None and previous.doc_id != c.doc_id and _same_title(previous.title, c.title)
                and similarity(previous.text, c.text) >= threshold):
            supersedes = previous.doc_id
        if c.agency and (previous is None or supersedes):
            current[c.key] = c
        out[c.doc_id] = (None, supersedes)
    return out


def test_hashed_comparisons_give_the_links_of_the_string_similarity():
    """`link` counts shingle overlaps on 64-bit hashes and recounts near the threshold: on random
    versions whose similarity spreads across the threshold (short and long bodies, repeats,
    several agencies, interleaved keys) the links are exactly those of comparing strings."""
    import random

    from govreports.documents.duplicates import _rules, shingle_hashes, similar_enough

    rng = random.Random(16)
    threshold = _rules()[0]
    alphabet = "法治政府建设报告一二三四五六七八九十年度工作推进依法行政执法监督"
    sides = {True: 0, False: 0}
    for round_no in range(150):
        bases = [normalized("".join(rng.choice(alphabet) for _ in range(rng.choice([3, 40, 300, 900]))))
                 for _ in range(3)]
        docs = []
        for n in range(rng.randint(2, 12)):
            text = rng.choice(bases)
            for _ in range(rng.choice([0, 1, 2, 4, 8, 16])):  # corrections: similarity from 1 down past 0.8
                at = rng.randrange(len(text) + 1)
                text = text[:at] + rng.choice(alphabet) + text[at + 1:]
            docs.append(Candidate(f"r{round_no}d{n:02d}", fingerprint(text), rng.choice(["司法局", "教育局", None]),
                                  rng.choice([2022, 2023]), "annual_report", text, region="宁波市",
                                  title=rng.choice(["报告", "报告修订稿"])))
            if n:
                a, b = docs[n - 1].text, text
                size = _rules()[1]
                exact = similarity(a, b) >= threshold
                assert similar_enough(a, shingle_hashes(a, size), b, shingle_hashes(b, size), threshold) == exact
                sides[exact] += 1
        split = rng.randint(0, len(docs))
        assert link(docs[:split], docs[split:]) == _link_on_strings(docs[:split], docs[split:])
    assert min(sides.values()) > 50, sides  # both outcomes, many times


def test_shingle_hashes_count_the_distinct_shingles():
    from govreports.documents.duplicates import _shingles, shingle_hashes

    for text in ("", "法治", "法治政府建", "法治政府建设法治政府建设年度报告", "ab" * 50):
        assert len(shingle_hashes(text, 5)) == (len(_shingles(text, 5)) if len(text) >= 5 else 0)


def test_linking_a_group_of_bodies_at_a_time_gives_the_links_of_linking_at_once(tmp_path: Path, monkeypatch):
    """io/body_spill.py: with the compared bodies spilled in groups (here one document per group,
    so every key is its own group and files are written and read back), a run links exactly as
    with every body in memory; the spill's files are gone afterwards."""
    import shutil

    import pyarrow.parquet as pq

    from govreports.io import body_spill

    agencies = ["宁波市教育局", "宁波市司法局", "宁波市民政局", "宁波市财政局"]

    def report(agency: str, holders: int, other: bool = False) -> bytes:
        paras = [p.replace("宁波市教育局", agency).replace("市教育局", agency[3:]) for p in PARAS]
        paras[2] = f"一是落实第一责任人职责。全局持证人员{holders}人,组织集体学法12次。"
        if other:  # the same title over a different report: compared, and not a correction
            paras = [paras[0], "一、其他工作", "全年办理行政复议案件多起,开展普法宣传活动多场。" * 6, *paras[-2:]]
        return report_html(f"{agency}2022年法治政府建设年度报告", paras).encode()

    paths = DataPaths.from_dir(tmp_path / "data", env={})
    _run(paths, [report(a, 70) for a in agencies], "run-1", tmp_path / "s1")
    results = [parse_page(p, "inbox", keywords=False)
               for p in [report(a, 71) for a in agencies] + [report(a, 72, other=True) for a in agencies[:2]]]
    valid = tmp_path / "s2" / "valid"
    staging.write_tables(valid, results_to_tables(results, code_version="v", run_id="run-2"), "part")
    shutil.copytree(valid, tmp_path / "s3" / "valid")

    def links(directory: Path) -> dict[str, tuple]:
        rows = [r for f in staging.parts(directory, "documents") for r in pq.read_table(f).to_pylist()]
        return {r["doc_id"]: (r["duplicate_of"], r["supersedes"]) for r in rows}

    dedupe.link_staged(paths, [str(valid)])
    at_once = links(valid)
    spills: list[body_spill.BodySpill] = []
    real = body_spill.BodySpill

    def watched(groups: list[set[str]]) -> body_spill.BodySpill:
        spills.append(real(groups))
        return spills[-1]

    monkeypatch.setattr(body_spill, "BODIES_PER_GROUP", 1)
    monkeypatch.setattr(body_spill, "BodySpill", watched)
    dedupe.link_staged(paths, [str(tmp_path / "s3" / "valid")])
    assert links(tmp_path / "s3" / "valid") == at_once
    assert sum(1 for _, sup in at_once.values() if sup) == 4  # every agency's correction, not the other reports
    (spill,) = spills
    assert spill.count == len(agencies) and spill.directory is not None and not spill.directory.exists()


def test_the_body_spill_reads_no_body_when_nothing_is_compared_and_keeps_only_the_compared():
    import pyarrow as pa

    from govreports.io.body_spill import BodySpill

    def never():
        raise AssertionError("bodies read with nothing to compare")
        yield  # pragma: no cover

    BodySpill([]).write(never())
    spill = BodySpill([{"b"}])
    spill.write(iter([pa.record_batch({"doc_id": ["a", "b", "c"], "body": ["甲 乙", "法治, 政府!", None]})]))
    assert spill.texts(0) == {"b": normalized("法治, 政府!")} == {"b": "法治政府"}


def test_staged_documents_without_a_fingerprint_are_fingerprinted_from_their_bodies(tmp_path: Path):
    """Linking reads no staged body for the candidates (the workers fingerprinted them); a staged
    part without fingerprints (written by an older version) is fingerprinted from its bodies and
    linked exactly as one with them."""
    import shutil

    import pyarrow as pa
    import pyarrow.parquet as pq

    other = report_html("宁波市司法局2022年法治政府建设年度报告",
                        [p.replace("教育", "司法").replace("依法治校", "依法治理") for p in PARAS]).encode()
    results = [parse_page(p, "inbox", keywords=False) for p in [*_wrappers(PARAS), other]]
    printed, unprinted = tmp_path / "a" / "valid", tmp_path / "b" / "valid"
    staging.write_tables(printed, results_to_tables(results, code_version="v", run_id="run-1"), "part")
    shutil.copytree(printed, unprinted)
    for part in staging.parts(unprinted, "documents"):
        table = pq.read_table(part)
        at = table.schema.get_field_index("fingerprint")
        pq.write_table(table.set_column(at, table.schema.field(at), pa.nulls(table.num_rows, pa.string())), part)

    def links(directory: Path) -> dict[str, tuple]:
        rows = [r for f in staging.parts(directory, "documents") for r in pq.read_table(f).to_pylist()]
        return {r["doc_id"]: (r["duplicate_of"], r["supersedes"]) for r in rows}

    for directory in (printed, unprinted):
        assert dedupe.link_staged(DataPaths.from_dir(tmp_path / directory.parent.name, env={}), [str(directory)]) == 2
    assert links(unprinted) == links(printed)
    assert len(links(printed)) == 4 and sum(1 for dup, _ in links(printed).values() if dup) == 2


def test_normalized_keeps_exactly_the_letters_and_digits_the_regex_keeps():
    import random
    import unicodedata

    from govreports.documents.duplicates import _NOT_ALNUM
    from govreports.text.textfold import simplified

    every = "".join(chr(i) for i in range(0x110000) if not 0xD800 <= i <= 0xDFFF)
    rng = random.Random(3)
    for text in [every, "法治_政府 2022年。A-b\udcff", *("".join(rng.sample(every, 300)) for _ in range(50))]:
        assert normalized(text) == _NOT_ALNUM.sub("", simplified(unicodedata.normalize("NFKC", text)).lower())
