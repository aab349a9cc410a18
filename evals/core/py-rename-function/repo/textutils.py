"""Helpers for summarising plain-text documents."""


def cnt_words(text):
    """Return the number of whitespace-separated words in text."""
    return len(text.split())


def cnt_lines(text):
    """Return the number of lines in text (a trailing newline adds none)."""
    if not text:
        return 0
    return text.count("\n") + (0 if text.endswith("\n") else 1)


def summary(text):
    """Return a one-line summary such as '3 lines, 12 words'."""
    return f"{cnt_lines(text)} lines, {cnt_words(text)} words"
