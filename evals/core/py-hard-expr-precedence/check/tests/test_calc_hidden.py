import pytest

from calc import CalcError, evaluate


@pytest.mark.parametrize(
    "text, value",
    [
        ("2 + 3 * 4", 14),
        ("2 * 3 + 4", 10),
        ("8 - 3 - 2", 3),
        ("8 / 4 / 2", 1),
        ("2 * (3 + 4)", 14),
        ("((1 + 2) * (3 - 1)) / 4", 1.5),
        ("-3", -3),
        ("2 * -3", -6),
        ("-(1 + 2) * 2", -6),
        ("--4", 4),
        ("+5 - -5", 10),
        (".5 + 2.25", 2.75),
        ("  7  ", 7),
        ("1+2*3-4/2", 5),
        ("10 - 2 * 3 - 1", 3),
        ("(((2)))", 2),
    ],
)
def test_values(text, value):
    result = evaluate(text)
    assert isinstance(result, float)
    assert result == pytest.approx(value)


@pytest.mark.parametrize(
    "text",
    ["", "   ", "1 +", "* 2", "1 2", "(1", "1)", "()", "2 $ 3", "1 / 0",
     "4 / (2 - 2)", "1..2", "(1 + 2", "3 * (4))"],
)
def test_errors(text):
    with pytest.raises(CalcError):
        evaluate(text)


def test_error_is_an_exception_with_a_message():
    with pytest.raises(CalcError) as info:
        evaluate("1 / 0")
    assert str(info.value)
