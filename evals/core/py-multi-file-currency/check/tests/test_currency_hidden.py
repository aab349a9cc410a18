import pytest

from shop.cart import Cart
from shop.formatting import format_price
from shop.models import Product


def test_product_currency_default_and_explicit():
    assert Product("A", "Mug", 100).currency == "EUR"
    assert Product("B", "Cap", 100, "USD").currency == "USD"
    assert Product("C", "Hat", 100, currency="GBP").currency == "GBP"


def test_format_price_symbols():
    assert format_price(1250) == "€12.50"
    assert format_price(1250, "EUR") == "€12.50"
    assert format_price(1250, "USD") == "$12.50"
    assert format_price(7, "GBP") == "£0.07"
    assert format_price(-100, "USD") == "-$1.00"


def test_format_price_unknown_currency():
    with pytest.raises(ValueError):
        format_price(100, "XYZ")


def test_cart_currency_and_receipt():
    cart = Cart()
    assert cart.currency == "EUR"
    cart.add(Product("B", "Cap", 1500, "USD"), 2)
    cart.add(Product("D", "Pin", 99, "USD"))
    assert cart.currency == "USD"
    assert cart.receipt() == ["2 x Cap @ $15.00", "1 x Pin @ $0.99", "TOTAL $30.99"]


def test_cart_refuses_mixed_currencies():
    cart = Cart()
    cart.add(Product("E", "Scarf", 2000, "GBP"))
    with pytest.raises(ValueError):
        cart.add(Product("A", "Mug", 799))
    assert cart.total_cents() == 2000
    assert cart.receipt() == ["1 x Scarf @ £20.00", "TOTAL £20.00"]


def test_cart_refuses_unknown_currency():
    cart = Cart()
    with pytest.raises(ValueError):
        cart.add(Product("X", "Thing", 100, "XYZ"))
    assert cart.receipt() == ["TOTAL €0.00"]


def test_euro_cart_unchanged():
    cart = Cart()
    cart.add(Product("A1", "Mug", 799), 2)
    assert cart.receipt() == ["2 x Mug @ €7.99", "TOTAL €15.98"]
