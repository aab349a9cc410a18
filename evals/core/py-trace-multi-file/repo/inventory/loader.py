"""Reads the supplier's stock export (CSV with a header line)."""

from inventory.parse import parse_price, parse_quantity


def load_items(text):
    """Return a list of {'sku', 'name', 'qty', 'price_cents'} dicts."""
    lines = [line for line in text.splitlines() if line.strip()]
    header = lines[0].split(",")
    items = []
    for line in lines[1:]:
        row = dict(zip(header, line.split(",")))
        items.append(
            {
                "sku": row["sku"],
                "name": row["name"],
                "qty": parse_quantity(row["qty"]),
                "price_cents": parse_price(row["price"]),
            }
        )
    return items
