"""Stage 4, quantities: every quantity mention of a body, with value, unit, approximation,
redaction and its context.

numerals (number literals as regex pieces and values) → grammar (a number with the measure word it
counts) → mentions (each mention's sentence, section, subject, modality and change).
"""
