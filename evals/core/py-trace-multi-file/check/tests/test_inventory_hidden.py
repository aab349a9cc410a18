import subprocess
import sys

from inventory.loader import load_items
from inventory.parse import parse_quantity
from inventory.report import stock_value_cents


def test_parse_quantity_thousands():
    assert parse_quantity("1,200") == 1200
    assert parse_quantity(" 12 ") == 12
    assert parse_quantity("1,000,000") == 1000000


def test_load_quoted_fields():
    text = 'sku,name,qty,price\nB-1,"Bolts, M4","1,200",0.12\nN-2,Nut,950,0.04\n'
    assert load_items(text) == [
        {"sku": "B-1", "name": "Bolts, M4", "qty": 1200, "price_cents": 12},
        {"sku": "N-2", "name": "Nut", "qty": 950, "price_cents": 4},
    ]


def test_quoted_quote_and_blank_lines():
    text = 'sku,name,qty,price\n\nP-9,"Pipe 1/2"" wide",3,2.5\n\n'
    assert load_items(text) == [
        {"sku": "P-9", "name": 'Pipe 1/2" wide', "qty": 3, "price_cents": 250}
    ]


def test_report_on_supplier_file():
    done = subprocess.run(
        [sys.executable, "-m", "inventory.report", "stock.csv"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "stock value: 197.00 EUR"
    assert "Bolts, M4" in done.stdout


def test_stock_value():
    assert stock_value_cents([{"qty": 3, "price_cents": 250}]) == 750
