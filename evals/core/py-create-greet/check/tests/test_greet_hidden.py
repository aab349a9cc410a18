from greet import greet


def test_greet_ada():
    assert greet("Ada") == "Hello, Ada!"


def test_greet_other_names():
    assert greet("world") == "Hello, world!"
    assert greet("Grace Hopper") == "Hello, Grace Hopper!"
