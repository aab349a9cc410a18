from grades import letter_grade, report


def test_boundary_90_is_a():
    assert letter_grade(90) == "A"
    assert letter_grade(100) == "A"


def test_other_bands_unchanged():
    assert letter_grade(89) == "B"
    assert letter_grade(80) == "B"
    assert letter_grade(70) == "C"
    assert letter_grade(60) == "D"
    assert letter_grade(59) == "F"


def test_report():
    assert report({"ann": 90, "bo": 61}) == {"ann": "A", "bo": "D"}
