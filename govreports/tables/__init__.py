"""Stage 6, tables: parsed pages → the curated tables, and their validation.

schemas (the published Arrow contract) → rows (PageResults → table rows, deterministic order) →
validate (expectations/*.json through GX) with checks (cross-row and cross-table checks) and
validation_merge (one record for a run validated batch by batch). datadict renders
docs/datasets.md from the schemas and rules.
"""
