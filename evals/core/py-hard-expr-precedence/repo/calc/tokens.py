"""Splits an expression into numbers and operator characters."""

from calc.errors import CalcError

OPERATORS = "+-*/"


def tokenize(text):
    """Return a list of tokens: floats for numbers, one-character strings
    for operators. Spaces are skipped."""
    tokens = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch.isdigit() or ch == ".":
            start = i
            while i < len(text) and (text[i].isdigit() or text[i] == "."):
                i += 1
            try:
                tokens.append(float(text[start:i]))
            except ValueError:
                raise CalcError(f"bad number {text[start:i]!r}") from None
        elif ch in OPERATORS:
            tokens.append(ch)
            i += 1
        else:
            raise CalcError(f"unexpected character {ch!r}")
    return tokens
