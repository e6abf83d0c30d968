"""Deterministic generator of realistic portal pages, with the truth of what each page holds.

Report bodies are recombined from the structure and vocabulary of the seed pages (heading texts
from the gold annotations, number-free sentences from the seed bodies) with varied regions,
agencies, years and numbers, then wrapped in portal templates (TRS-style article page with
政府网站发展指引 meta tags, an info-disclosure table page, plain text), a share of them GBK-encoded
and some carrying two reports. Every quantity is inserted from a template whose value is known,
so a benchmark can check its output while it measures speed.

    python -m benchmarks.corpus OUT_DIR --pages 1000 --seed 7
"""

from __future__ import annotations

import argparse
import json
import random
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "samples" / "inbox"
GOLD = ROOT / "tests" / "golden" / "gold"

REGIONS = ["宁波市", "杭州市", "温州市", "嘉兴市", "湖州市", "绍兴市", "金华市婺城区", "衢州市", "舟山市", "台州市",
           "丽水市", "鞍山市", "大连市", "沈阳市", "苏州市", "无锡市", "常州市", "南通市", "合肥市", "芜湖市",
           "福州市", "厦门市", "济南市", "青岛市", "郑州市", "洛阳市", "武汉市", "宜昌市", "长沙市", "株洲市"]
AGENCIES = ["教育局", "司法局", "市场监督管理局", "生态环境局", "人力资源和社会保障局", "交通运输局", "卫生健康委员会",
            "自然资源和规划局", "住房和城乡建设局", "应急管理局"]
CN_ORD = "一二三四五六七八九十"
#: (lead-in, unit, low, high, multiplier word, qualifier word placement) — values are known, so truth is exact.
QTY_TEMPLATES = [
    ("全局现有行政执法证持证人员", "人", 5, 400, "", ""),
    ("完成合同审查", "件", 10, 900, "", ""),
    ("全年开展行政执法检查", "次", 20, 3000, "", ""),
    ("双随机抽查", "次", 5, 800, "", ""),
    ("立案", "起", 1, 90, "", ""),
    ("没收违法所得", "元", 1000, 99000, "", ""),
    ("处罚金额", "元", 2, 90, "万", ""),
    ("受益师生", "人次", 1, 30, "万", "余"),
    ("开展各类法治教育讲座", "场", 5, 200, "", ""),
    ("梳理政策文件", "项", 10, 300, "", ""),
    ("受理群众来信来访", "件", 20, 500, "", "余"),
    ("有效持证率", "%", 80, 100, "", ""),
    ("信访件办结率", "%", 90, 100, "", ""),
    ("上传电子证照", "个", 1000, 9000, "", "近"),
    ("清理行政规范性文件", "件", 3, 90, "", ""),
    ("聘请法律顾问", "名", 1, 30, "", ""),
]
QUALIFIER = {"余": "more_than", "近": "nearly", "": None}
MULT = {"": 1, "万": 10_000}
#: portal templates and their shares (TRS and info-disclosure pages dominate real portals).
TEMPLATES = ["trs", "table", "gov", "bare", "text"]
TEMPLATE_WEIGHTS = [30, 30, 20, 10, 10]


@dataclass
class TruthDoc:
    title: str
    agency: str
    region: str
    report_year: int
    headings: list[dict] = field(default_factory=list)
    quantities: list[dict] = field(default_factory=list)


@dataclass
class TruthPage:
    name: str
    template: str
    encoding: str
    documents: list[TruthDoc]


def _number_free(sentence: str) -> bool:
    return not re.search(r"[0-9０-９xX%]|[一二两三四五六七八九十百千万亿几][多余]?[十百千万]?[多余]?"
                         r"[个项件次场名人所家位条起批类门期篇份余多]", sentence)


def load_vocabulary() -> tuple[list[str], list[str]]:
    """Heading texts from gold, and number-free body sentences from the seed pages."""
    headings: set[str] = set()
    for gold in sorted(GOLD.glob("*.json")):
        for doc in json.loads(gold.read_text(encoding="utf-8"))["documents"]:
            headings.update(h["text"] for h in doc["headings"] if 4 <= len(h["text"]) <= 30 and _number_free(h["text"]))
    sentences: set[str] = set()
    for seed in sorted(SEEDS.glob("*.txt")):
        for sent in re.findall(r"[^。\n]{12,120}。", seed.read_text(encoding="utf-8")):
            sent = sent.strip().lstrip(",，、;；:：”\"")
            if _number_free(sent) and not re.match(r"^[(（]?[一二三四五六七八九十0-9]", sent) and "是" not in sent[:3]:
                sentences.add(sent)
    return sorted(headings), sorted(sentences)


def _quantity(rng: random.Random) -> tuple[str, dict]:
    lead, unit, low, high, mult, qual = rng.choice(QTY_TEMPLATES)
    number = rng.randint(low, high)
    if unit == "%" and rng.random() < 0.5:
        number = round(rng.uniform(low, min(high, 99.9)), 1)
    surface = f"{'近' if qual == '近' else ''}{number}{mult}{'余' if qual == '余' else ''}{unit}"
    value = number * MULT[mult]
    return f"{lead}{surface}", {"surface": surface, "value": value, "unit": unit, "qualifier": QUALIFIER[qual]}


#: the closing parts real reports carry (2019 规定): shortcomings, then next year's plan.
SHORTCOMING_HEADS = ["存在的不足和原因", "存在的问题和不足", "工作中存在的困难和问题", "存在的主要问题"]
PLAN_HEADS = ["{next}年工作安排", "下一步工作打算", "{next}年度法治政府建设工作计划", "下一年度主要安排"]


def _paragraph(rng: random.Random, sentences: list[str], truth: TruthDoc, opener: str) -> str:
    """One paragraph: an opening (run-in heading) and 3–7 prose sentences, ~60% followed by a quantity."""
    paragraph = [opener]
    for _ in range(rng.randint(3, 6)):
        paragraph.append(rng.choice(sentences))
        if rng.random() < 0.6:
            phrase, qty = _quantity(rng)
            paragraph.append(phrase + "。")
            truth.quantities.append(qty)
    return "".join(paragraph)


def make_document(rng: random.Random, headings: list[str], sentences: list[str], year: int) -> tuple[str, TruthDoc]:
    """One report body and its truth: 一、 parts, (一) run-in sub-headings, some 1. items, signature."""
    region = rng.choice(REGIONS)
    agency = region + rng.choice(AGENCIES)
    title = f"{agency}{year}年度法治政府建设情况报告"
    truth = TruthDoc(title=title, agency=agency, region=region, report_year=year)
    lines = [f"{year}年,{agency.removeprefix(region)}坚持以习近平法治思想为指引,全面推进法治政府建设,现将有关情况报告如下。"]
    tops = [rng.choice(headings) for _ in range(rng.randint(2, 4))]
    if rng.random() < 0.7:
        tops += [rng.choice(SHORTCOMING_HEADS), rng.choice(PLAN_HEADS).format(next=year + 1)]
    for i, head in enumerate(tops):
        lines.append(f"{CN_ORD[i]}、{head}")
        truth.headings.append({"label": f"{CN_ORD[i]}、", "text": head, "level": 1})
        for j in range(rng.randint(2, 3)):
            sub = rng.choice(headings)
            truth.headings.append({"label": f"({CN_ORD[j]})", "text": sub, "level": 2})
            if rng.random() < 0.2:  # a sub-section listing numbered items, each its own paragraph
                lines.append(f"({CN_ORD[j]}){sub}")
                for k in range(rng.randint(2, 3)):
                    item = rng.choice(headings)
                    truth.headings.append({"label": f"{k + 1}.", "text": item, "level": 3})
                    lines.append(_paragraph(rng, sentences, truth, f"{k + 1}.{item}。"))
            else:
                lines.append(_paragraph(rng, sentences, truth, f"({CN_ORD[j]}){sub}。"))
    lines += [agency, f"{year + 1}年{rng.randint(1, 3)}月{rng.randint(1, 28)}日"]
    return "\n".join(lines), truth


def wrap(template: str, title: str, body: str, rng: random.Random, year: int, charset: str) -> str:
    """Put a body inside one of the portal templates, chrome included."""
    date = f"{year + 1}-0{rng.randint(1, 3)}-{rng.randint(10, 28)}"
    paragraphs = "".join(f"<p>{line}</p>" for line in body.splitlines())
    if template == "text":
        return f"首页 > 政务公开 > 法治政府建设\n{title}\n发布时间:{date}\n{body}\n【打印本页】【关闭窗口】\n"
    head = (f'<head><meta charset="{charset}"><title>{title}</title><meta name="ArticleTitle" content="{title}">'
            f'<meta name="PubDate" content="{date} 09:30"><meta name="ContentSource" content="本站"></head>')
    nav = '<div class="nav">首页 &gt; 政务公开 &gt; 法治政府建设年度报告</div>'
    foot = '<div class="footer">主办单位:人民政府办公室 版权所有 ICP备00000000号</div>'
    if template == "trs":
        return (f"<html>{head}<body>{nav}<h1>{title}</h1><div class='info'>发布时间:{date} 来源:本站 "
                f"字号:大 中 小 【打印】【关闭】</div><div class='TRS_Editor'>{paragraphs}</div>{foot}</body></html>")
    if template == "gov":  # a provincial CMS: sidebar, <br> paragraphs, counters, share widget, prev/next
        side = "".join(f"<li><a href='/art/{year}/{k}.html'>{rng.choice(REGIONS)}政务公开工作要点</a></li>"
                       for k in range(rng.randint(4, 8)))
        lines = "<br>".join(f"　　{line}" for line in body.splitlines())
        return (f"<html>{head}<body>{nav}<div class='main'><div class='sidebar'><h3>相关链接</h3><ul>{side}</ul>"
                f"</div><div class='article'><h2>{title}</h2><div class='source'>来源:本站 发布时间:{date} "
                f"浏览次数:{rng.randint(10, 9999)}</div><div class='pages_content'>{lines}</div>"
                f"<div class='share'>分享到:</div><div class='prevnext'>上一篇:关于开展法治宣传教育的通知<br>"
                f"下一篇:{year + 1}年政务公开工作要点</div></div></div>{foot}</body></html>")
    if template == "bare":  # an old hand-made page: no CMS container, <font> and inline styles
        paragraphs = "".join(f"<p style='text-indent:2em'><font size='3'>{line}</font></p>"
                             for line in body.splitlines())
        return (f"<html>{head}<body><table width='100%'><tr><td>{nav}</td></tr><tr><td align='center'>"
                f"<font size='5'><b>{title}</b></font></td></tr><tr><td>发布日期:{date}</td></tr><tr><td>"
                f"{paragraphs}</td></tr><tr><td>【打印本页】【关闭窗口】</td></tr></table>{foot}</body></html>")
    table = (f"<table class='xxgk'><tr><td>索引号:</td><td>1133070000000000X/{year + 1}-00{rng.randint(100, 999)}</td>"
             f"<td>发布机构:</td><td>本机关</td></tr><tr><td>成文日期:</td><td>{date}</td><td>公开方式:</td>"
             f"<td>主动公开</td></tr></table>")
    return f"<html>{head}<body>{nav}{table}<h1>{title}</h1><div id='zoom'>{paragraphs}</div>{foot}</body></html>"


def generate(out_dir: Path, pages: int, seed: int = 7) -> list[TruthPage]:
    """Write `pages` pages into out_dir and truth.jsonl beside them; return the truth."""
    rng = random.Random(seed)
    headings, sentences = load_vocabulary()
    out_dir.mkdir(parents=True, exist_ok=True)
    truths: list[TruthPage] = []
    for n in range(pages):
        template = rng.choices(TEMPLATES, weights=TEMPLATE_WEIGHTS)[0]
        gbk = template != "text" and rng.random() < 0.3
        year = 2015 + n % 10
        docs = [make_document(rng, headings, sentences, year)]
        if rng.random() < 0.1:
            docs.append(make_document(rng, headings, sentences, year - 1 if year > 2015 else year + 1))
        if len(docs) == 1:
            title, body = docs[0][1].title, docs[0][0]
        else:
            title = docs[0][1].title
            body = "\n".join(f"第{CN_ORD[k]}篇:{truth.title}\n{text}" for k, (text, truth) in enumerate(docs))
        charset = "gb2312" if gbk else "utf-8"
        page = wrap(template, title, body, rng, year, charset)
        suffix = ".txt" if template == "text" else ".html"
        name = f"page-{n:06d}{suffix}"
        (out_dir / name).write_bytes(page.encode("gb18030" if gbk else "utf-8"))
        truths.append(TruthPage(name, template, "gb18030" if gbk else "utf-8", [t for _, t in docs]))
    with (out_dir.parent / f"{out_dir.name}.truth.jsonl").open("w", encoding="utf-8") as fh:
        for truth in truths:
            fh.write(json.dumps(asdict(truth), ensure_ascii=False) + "\n")
    return truths


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--pages", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    truths = generate(args.out_dir, args.pages, args.seed)
    size = sum(p.stat().st_size for p in args.out_dir.iterdir())
    print(f"{len(truths)} pages, {size / 1e6:.1f} MB in {args.out_dir}")


if __name__ == "__main__":
    main()
