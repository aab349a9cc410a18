"""Settings for the sync client: defaults merged with user overrides."""

DEFAULTS = {
    "host": "localhost",
    "port": 8080,
    "retries": 3,
}


def load(overrides=None):
    """Return the defaults updated with the given overrides."""
    settings = dict(DEFAULTS)
    settings.update(overrides or {})
    return settings
