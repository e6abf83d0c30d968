"""Stage 5, indicators: quantity mentions → comparable indicators, one value per document.

catalog (rules/indicators.yaml, checked once) → binding (mentions mapped to catalog entries) →
values (one value per document, indicator and sub) → panel (one indicator across regions and years,
for analysts; pure, over rows already read).
"""
