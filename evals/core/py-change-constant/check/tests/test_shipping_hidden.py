import shipping


def test_threshold_constant():
    assert shipping.FREE_SHIPPING_THRESHOLD == 75


def test_costs_around_new_threshold():
    assert shipping.shipping_cost(60) == 4.90
    assert shipping.shipping_cost(74.99) == 4.90
    assert shipping.shipping_cost(75) == 0.0
    assert shipping.shipping_cost(120) == 0.0


def test_express_unchanged():
    assert shipping.shipping_cost(100, express=True) == 7.50
    assert shipping.shipping_cost(10, express=True) == 12.40
