"""Evaluates a token list strictly from left to right."""

from calc.tokens import tokenize


def evaluate(text):
    """Evaluate an arithmetic expression and return a float."""
    tokens = tokenize(text)
    result = tokens[0]
    i = 1
    while i < len(tokens):
        op, rhs = tokens[i], tokens[i + 1]
        if op == "+":
            result += rhs
        elif op == "-":
            result -= rhs
        elif op == "*":
            result *= rhs
        elif op == "/":
            result /= rhs
        i += 2
    return result
