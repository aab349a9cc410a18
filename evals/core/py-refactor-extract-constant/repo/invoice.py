"""Invoice arithmetic. Prices are in cents (integers)."""


def vat_amount(net_cents):
    """The VAT on a net amount, rounded to the nearest cent."""
    return round(net_cents * 0.21)


def gross(net_cents):
    """Net amount plus VAT."""
    return net_cents + round(net_cents * 0.21)


def net_from_gross(gross_cents):
    """The net amount contained in a gross amount."""
    return round(gross_cents / (1 + 0.21))


def invoice_lines(items):
    """items: list of (description, net_cents). Returns printable lines."""
    lines = []
    for description, net in items:
        lines.append(f"{description}: {net} + VAT {round(net * 0.21)}")
    return lines
