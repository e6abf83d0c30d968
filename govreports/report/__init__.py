"""Stage 7, report: what one run did and what its release holds, as a model and one HTML page.

model (its inputs and the model, typed) → build (the model, pure: no file I/O, no io/ import)
→ plots (inline SVG figures) → template.html. govreports/io/report_inputs.py reads the inputs and
govreports/io/runs.py writes report.html and report.json.
"""
