from stats import mean, median, summarize


def test_empty_inputs():
    assert mean([]) is None
    assert median([]) is None
    assert summarize([]) == {"count": 0, "mean": None, "median": None, "max": None}


def test_non_empty_unchanged():
    assert mean([1, 2, 3, 4]) == 2.5
    assert median([5, 1, 3]) == 3
    assert median([4, 1, 3, 2]) == 2.5
    assert summarize([10, 30, 20]) == {"count": 3, "mean": 20, "median": 20, "max": 30}


def test_zero_values_are_not_empty():
    assert summarize([0]) == {"count": 1, "mean": 0, "median": 0, "max": 0}
