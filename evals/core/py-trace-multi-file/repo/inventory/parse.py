"""Parsing of single CSV fields."""


def parse_quantity(text):
    """A whole number of units, e.g. '12'."""
    return int(text.strip())


def parse_price(text):
    """A price in euros such as '3.50' or '3', returned in cents."""
    text = text.strip()
    euros, _, cents = text.partition(".")
    cents = (cents + "00")[:2]
    return int(euros) * 100 + int(cents)
