from buildorder.graph import parse_deps
from buildorder.order import build_order


def test_simple_chain():
    graph = parse_deps("app: lib\nlib: core\n")
    assert build_order(graph) == ["core", "lib", "app"]
