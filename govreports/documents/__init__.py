"""Stage 2, documents: a page's clean lines → the documents on it, each with its metadata.

split (document boundaries; 第一篇/第二篇 pages carry several) → metadata (title, agency, region,
doc_type, report_year, dates) with agency (who issued it, which area); duplicates gives each body
the fingerprint that counts one report once.
"""
