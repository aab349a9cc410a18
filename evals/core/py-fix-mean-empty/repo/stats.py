"""Summary statistics for the response-time dashboard."""


def mean(values):
    """Arithmetic mean of values."""
    return sum(values) / len(values)


def median(values):
    """Median of values (the mean of the two middle ones for even counts)."""
    ordered = sorted(values)
    mid = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[mid]
    return (ordered[mid - 1] + ordered[mid]) / 2


def summarize(values):
    """Return {'count', 'mean', 'median', 'max'} for a list of numbers."""
    return {
        "count": len(values),
        "mean": mean(values),
        "median": median(values),
        "max": max(values),
    }
