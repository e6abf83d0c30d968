"""Stage 7, report: what one run did and what its release holds, as a model and one HTML page.

build (the report model) → plots (inline SVG figures) → template.html.
"""
