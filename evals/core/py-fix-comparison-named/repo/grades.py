"""Turns exam scores (0-100) into letter grades."""


def letter_grade(score):
    """Return 'A' for 90 and above, 'B' for 80-89, 'C' for 70-79,
    'D' for 60-69 and 'F' below 60."""
    if score > 90:
        return "A"
    if score >= 80:
        return "B"
    if score >= 70:
        return "C"
    if score >= 60:
        return "D"
    return "F"


def report(scores):
    """Return {name: letter} for a {name: score} dict."""
    return {name: letter_grade(score) for name, score in scores.items()}
