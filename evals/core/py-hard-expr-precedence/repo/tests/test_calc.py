from calc import evaluate


def test_simple_sums():
    assert evaluate("1 + 2") == 3
    assert evaluate("10 - 4 - 3") == 3
