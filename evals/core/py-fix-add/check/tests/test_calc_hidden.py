import calc


def test_add_small_numbers():
    assert calc.add(2, 3) == 5


def test_add_negative_and_float():
    assert calc.add(-4, 1) == -3
    assert calc.add(0.5, 0.25) == 0.75


def test_other_helpers_unchanged():
    assert calc.multiply(3, 4) == 12
    assert calc.percent(1, 4) == 25.0
    assert calc.percent(1, 0) == 0.0
