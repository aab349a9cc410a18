"""A least-recently-used cache for rendered thumbnails."""


class LRUCache:
    """Holds at most `capacity` entries; adding one more evicts the entry
    that was used least recently."""

    def __init__(self, capacity):
        raise NotImplementedError

    def get(self, key, default=None):
        raise NotImplementedError

    def put(self, key, value):
        raise NotImplementedError
