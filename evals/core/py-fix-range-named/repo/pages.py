"""Pagination helpers for the article list."""

import math


def page_count(total_items, per_page):
    """Return how many pages are needed to show total_items."""
    if total_items <= 0:
        return 1
    return math.ceil(total_items / per_page)


def page_numbers(total_items, per_page):
    """Return the list of page numbers to show, starting at 1."""
    last = page_count(total_items, per_page)
    return list(range(1, last))


def page_slice(items, page, per_page):
    """Return the items shown on the given 1-based page."""
    start = (page - 1) * per_page
    return items[start:start + per_page]
