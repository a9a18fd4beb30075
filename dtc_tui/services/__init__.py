"""The service layer: queries and domain rules shared by the screens and the CLI.

Nothing here imports Textual or Rich (a test enforces it), and nothing reads the wall clock:
every function that depends on time takes ``now``.
"""
