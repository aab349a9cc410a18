"""The shopping cart."""

from shop.formatting import format_price


class Cart:
    def __init__(self):
        self._lines = []  # (product, quantity)

    def add(self, product, quantity=1):
        """Add quantity units of product."""
        if quantity <= 0:
            raise ValueError("quantity must be positive")
        self._lines.append((product, quantity))

    def total_cents(self):
        return sum(p.price_cents * q for p, q in self._lines)

    def receipt(self):
        """Printable lines: one per cart line, then the total."""
        lines = [
            f"{q} x {p.name} @ {format_price(p.price_cents)}" for p, q in self._lines
        ]
        lines.append(f"TOTAL {format_price(self.total_cents())}")
        return lines
