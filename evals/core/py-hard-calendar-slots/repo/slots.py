"""Meeting scheduler helpers. Times are minutes since midnight; an interval
(start, end) is half-open: it covers start <= t < end."""


def merge_busy(intervals):
    """Merge overlapping or touching busy intervals into a sorted list of
    disjoint ones. The input list is not modified."""
    merged = []
    for start, end in intervals:
        if merged and start < merged[-1][1]:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def free_slots(busy, day_start, day_end, min_length=1):
    """The free intervals between day_start and day_end."""
    raise NotImplementedError


def fmt(minutes):
    """'09:30' for 570."""
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
