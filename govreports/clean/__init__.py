"""Stage 1, clean: the bytes of one fetched page → its content lines, portal chrome removed.

decode (bytes → text, the encoding it was read in) → html_text (HTML → lines in reading order,
plus what the markup says) → chrome (breadcrumbs, bylines, toolbars, footers out) → pagetext (the
stage's entry point). fetched_page tells a real report from an empty or error page.
"""
