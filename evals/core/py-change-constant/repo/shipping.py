"""Shipping cost rules for the web shop."""

# Orders at or above this subtotal (in euros) ship for free.
FREE_SHIPPING_THRESHOLD = 50

FLAT_RATE = 4.90
EXPRESS_SURCHARGE = 7.50


def shipping_cost(subtotal, express=False):
    """Return the shipping cost in euros for an order."""
    cost = 0.0 if subtotal >= FREE_SHIPPING_THRESHOLD else FLAT_RATE
    if express:
        cost += EXPRESS_SURCHARGE
    return round(cost, 2)
