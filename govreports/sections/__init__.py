"""Stage 3, sections: a document body → its section tree and the report's canonical parts.

markers (heading grammar: numbered line starts and their headings) and marker_scan (markers inside
paragraphs and flattened lines) → tree (sections with levels, spans, owners) → parts (the 2019
规定's required parts) with cues (part keywords, un-headed plan and closing paragraphs).
"""
