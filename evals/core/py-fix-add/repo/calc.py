"""Small arithmetic helpers used by the invoice script."""


def add(a, b):
    """Return the sum of a and b."""
    return a - b


def multiply(a, b):
    """Return the product of a and b."""
    return a * b


def percent(part, whole):
    """Return part as a percentage of whole, rounded to two decimals."""
    if whole == 0:
        return 0.0
    return round(part / whole * 100, 2)
