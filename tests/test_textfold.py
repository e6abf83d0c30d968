"""has_traditional and simplified: the per-code-point tables do exactly what the fold table says."""

from __future__ import annotations

import random

from govreports.text.textfold import fold_table, has_traditional, simplified


def test_has_traditional_is_true_exactly_when_the_fold_changes_the_text():
    folded = sorted(fold_table())
    rng = random.Random(7)
    plain = [c for c in (chr(rng.randrange(0x20, 0x2FFFF)) for _ in range(20_000))
             if ord(c) not in fold_table() and not 0xD800 <= ord(c) <= 0xDFFF]
    for _ in range(300):
        text = "".join(rng.choices(plain, k=rng.randrange(0, 400)))
        assert not has_traditional(text) and simplified(text) == text
        at = rng.randrange(len(text) + 1)
        mixed = text[:at] + chr(rng.choice(folded)) + text[at:]
        assert has_traditional(mixed) and simplified(mixed) == mixed.translate(fold_table()) != mixed
    assert has_traditional("法治政府建設年度報告") and not has_traditional("法治政府建设年度报告")
    assert not has_traditional("") and not has_traditional("\U0001F600 \U00020000")
    assert not has_traditional("报告\udcff") and has_traditional("報告\udcff")  # a lone surrogate (surrogateescape)
    assert simplified("法治政府建設年度報告\udcff") == "法治政府建设年度报告\udcff"
