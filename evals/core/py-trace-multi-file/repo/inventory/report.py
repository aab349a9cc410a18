"""Prints the value of the stock: python3 -m inventory.report FILE.csv"""

import sys

from inventory.loader import load_items


def stock_value_cents(items):
    return sum(item["qty"] * item["price_cents"] for item in items)


def main(path):
    with open(path, encoding="utf-8") as f:
        items = load_items(f.read())
    for item in items:
        print(f"{item['sku']:<8}{item['name']:<20}{item['qty']:>8}")
    value = stock_value_cents(items)
    print(f"stock value: {value // 100}.{value % 100:02d} EUR")


if __name__ == "__main__":
    main(sys.argv[1])
