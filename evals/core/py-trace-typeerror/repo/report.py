"""Prints a disk usage report for a few directories."""

from sizes import human_size


def format_row(path, num_bytes, width=20):
    """One report line: the path padded to width, then the size."""
    return path.ljust(width) + human_size(num_bytes)


def format_report(usage):
    """usage: list of (path, bytes). Returns the report text with a total."""
    lines = [format_row(path, size) for path, size in usage]
    total = sum(size for _, size in usage)
    lines.append("total: " + total)
    return "\n".join(lines)


if __name__ == "__main__":
    print(format_report([("/var/log", 52_428_800), ("/home", 3_221_225_472)]))
