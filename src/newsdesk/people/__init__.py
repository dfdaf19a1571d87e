"""People: readers' accounts and sessions (later: follows, bookmarks, comments and their moderation).

A use-case package beside ``tasks/`` and ``queries/``: it takes the storage and the clock from the
facade, keeps the rules (names, passwords, tokens, limits), and stores through the storage port.
"""
