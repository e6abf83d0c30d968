"""Where parse time goes, function by function: cProfile over parse_page on a corpus sample.

The stage table says *which* stage is slow; proposing a change to a core module needs the
function and its share. This prints the govreports functions with the most own time (tottime)
and the most cumulative time, plus the share of time spent inside the tokenizer itself
(rjieba) versus our Python around it, and writes the raw profile for snakeviz/pstats.

    python -m benchmarks.profile [--pages 300] [--seed 7] [--out benchmarks/out/parse.prof]
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def profile_pages(paths: list[Path], out: Path | None = None) -> dict[str, Any]:
    """Profile parse_page over `paths` (warmed on the first); top functions by own and cumulative time."""
    from govreports.parse import parse_page

    parse_page(paths[0].read_bytes(), "warm")
    prof = cProfile.Profile()
    datas = [(p.name, p.read_bytes()) for p in paths]
    prof.enable()
    for name, data in datas:
        parse_page(data, name)
    prof.disable()
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        prof.dump_stats(str(out))
    stats = pstats.Stats(prof)
    raw: dict[tuple[str, int, str], tuple] = stats.stats  # type: ignore[attr-defined]
    total = sum(tt for (_, _, tt, _, _) in raw.values())

    def label(key: tuple[str, int, str]) -> str:
        path, line, func = key
        short = path.split("/govreports/")[-1] if "/govreports/" in path else Path(path).name
        return f"{short}:{line}({func})" if line else func

    rows = [(label(k), cc, tt, ct) for k, (cc, _, tt, ct, _) in raw.items()]
    ours = [r for r in rows if "site-packages" not in r[0] and ("py:" in r[0])]
    by_cum = sorted((r for r in ours if r[0].split(":")[0].endswith(".py")), key=lambda r: -r[3])[:25]
    by_own = sorted(rows, key=lambda r: -r[2])[:25]
    tokenizer = sum(tt for (path, _, func), (_, _, tt, _, _) in raw.items()
                    if path == "~" and ("Jieba" in func or "rjieba" in func))
    return {"pages": len(paths), "profiled_seconds": round(total, 3),
            "ms_per_page": round(total * 1000 / len(paths), 2),
            "tokenizer_share": round(tokenizer / total, 4) if total else 0.0,
            "top_cumulative": [{"function": f, "calls": c, "cum_s": round(ct, 3), "share": round(ct / total, 4)}
                               for f, c, _, ct in by_cum],
            "top_own": [{"function": f, "calls": c, "own_s": round(tt, 3), "share": round(tt / total, 4)}
                        for f, c, tt, _ in by_own]}


def main(argv: list[str] | None = None) -> None:
    from benchmarks.corpus import generate
    from benchmarks.run import every

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=300)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "parse.prof")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="govreports-prof-") as tmp:
        generate(Path(tmp) / "pages", args.pages, args.seed)
        paths = every(sorted((Path(tmp) / "pages").iterdir()), args.pages)
        result = profile_pages(paths, args.out)
    print(f"{result['pages']} pages, {result['ms_per_page']} ms/page under cProfile; "
          f"inside the tokenizer (rjieba): {result['tokenizer_share']:.1%}")
    print("\ncumulative (govreports functions)            calls    cum s   share")
    for r in result["top_cumulative"]:
        print(f"  {r['function']:<44}{r['calls']:>8}{r['cum_s']:>9.3f}{r['share']:>8.1%}")
    print("\nown time (any function)                      calls    own s   share")
    for r in result["top_own"]:
        print(f"  {r['function'][:44]:<44}{r['calls']:>8}{r['own_s']:>9.3f}{r['share']:>8.1%}")
    print(f"\nprofile: {args.out}")


if __name__ == "__main__":
    main()
