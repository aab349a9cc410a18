from shop.cart import Cart
from shop.formatting import format_price
from shop.models import Product


def test_format_price():
    assert format_price(1250) == "€12.50"
    assert format_price(5) == "€0.05"


def test_receipt():
    cart = Cart()
    cart.add(Product("A1", "Mug", 799), 2)
    assert cart.receipt() == ["2 x Mug @ €7.99", "TOTAL €15.98"]
