"""Thumbnail rendering with a cache in front of the slow renderer."""

from lru import LRUCache


class Thumbnailer:
    def __init__(self, render, capacity=64):
        self._render = render
        self._cache = LRUCache(capacity)

    def thumbnail(self, path):
        cached = self._cache.get(path)
        if cached is None:
            cached = self._render(path)
            self._cache.put(path, cached)
        return cached
