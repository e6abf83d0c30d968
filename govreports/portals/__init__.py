"""Which portals the pipeline may fetch and how their column pages read (pure: no network).

sources (sources.yaml, validated) → list_families (what each CMS family's list page holds) →
links (report links and further list pages of a column page); retry_policy (when a failed page
is tried again).
"""
