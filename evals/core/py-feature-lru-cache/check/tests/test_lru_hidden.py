import pytest

from lru import LRUCache
from thumbs import Thumbnailer


def test_bad_capacity():
    for bad in (0, -1, 1.5, "3"):
        with pytest.raises(ValueError):
            LRUCache(bad)


def test_get_and_default():
    c = LRUCache(2)
    assert c.capacity == 2
    assert c.get("a") is None
    assert c.get("a", 7) == 7
    c.put("a", 1)
    assert c.get("a") == 1
    assert len(c) == 1


def test_eviction_order_follows_use():
    c = LRUCache(2)
    c.put("a", 1)
    c.put("b", 2)
    assert c.get("a") == 1  # a is now the most recent
    c.put("c", 3)  # evicts b
    assert "b" not in c
    assert c.keys() == ["a", "c"]
    assert c.evictions == 1


def test_overwrite_refreshes_and_does_not_grow():
    c = LRUCache(2)
    c.put("a", 1)
    c.put("b", 2)
    c.put("a", 10)
    assert len(c) == 2
    assert c.evictions == 0
    c.put("c", 3)  # evicts b, not a
    assert c.get("a") == 10
    assert c.keys() == ["c", "a"]


def test_membership_is_not_a_use():
    c = LRUCache(2)
    c.put("a", 1)
    c.put("b", 2)
    assert "a" in c
    c.put("c", 3)  # still evicts a
    assert "a" not in c
    assert c.keys() == ["b", "c"]


def test_falsy_values_are_cached():
    c = LRUCache(1)
    c.put("zero", 0)
    assert c.get("zero", "missing") == 0


def test_many_evictions():
    c = LRUCache(3)
    for i in range(10):
        c.put(i, i * i)
    assert c.keys() == [7, 8, 9]
    assert c.evictions == 7


def test_thumbnailer_renders_once():
    calls = []

    def render(path):
        calls.append(path)
        return f"thumb:{path}"

    t = Thumbnailer(render, capacity=1)
    assert t.thumbnail("x.png") == "thumb:x.png"
    assert t.thumbnail("x.png") == "thumb:x.png"
    assert calls == ["x.png"]
