"""Human-readable byte sizes."""

UNITS = ["B", "KiB", "MiB", "GiB", "TiB"]


def human_size(num_bytes):
    """Return e.g. '1.5 KiB' for 1536; whole bytes are shown without decimals."""
    size = float(num_bytes)
    for unit in UNITS:
        if size < 1024 or unit == UNITS[-1]:
            if unit == "B":
                return f"{int(size)} B"
            return f"{size:.1f} {unit}"
        size /= 1024
