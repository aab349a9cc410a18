"""How prices are shown to customers."""


def format_price(cents):
    """Return e.g. '€12.50' for 1250 cents."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}€{cents // 100}.{cents % 100:02d}"
