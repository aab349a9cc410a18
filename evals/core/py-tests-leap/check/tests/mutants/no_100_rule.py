"""Gregorian calendar helpers for the booking system."""

_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


def is_leap(year):
    """True for Gregorian leap years: divisible by 4, except centuries,
    which are leap years only when divisible by 400."""
    return year % 4 == 0


def days_in_month(year, month):
    """Number of days in month (1-12) of year. Raises ValueError for a
    month outside 1-12."""
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1-12, got {month}")
    if month == 2 and is_leap(year):
        return 29
    return _DAYS[month - 1]
