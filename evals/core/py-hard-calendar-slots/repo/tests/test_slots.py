from slots import fmt, merge_busy


def test_fmt():
    assert fmt(570) == "09:30"


def test_merge_overlapping():
    assert merge_busy([(60, 120), (90, 150)]) == [(60, 150)]
