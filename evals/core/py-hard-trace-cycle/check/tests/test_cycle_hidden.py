import subprocess
import sys

import pytest

from buildorder.graph import parse_deps
from buildorder.order import CycleError, build_order


def assert_is_cycle(cycle, graph, members):
    assert cycle[0] == cycle[-1]
    assert set(cycle) == set(members)
    assert len(cycle) == len(members) + 1
    for a, b in zip(cycle, cycle[1:]):
        assert b in graph.get(a, []), f"{a} does not depend on {b}"


def test_order_without_cycles_unchanged():
    graph = parse_deps("app: http db ui\nhttp: core\ndb: core\nui: widgets\nwidgets: core\n")
    assert build_order(graph) == ["core", "db", "http", "widgets", "ui", "app"]
    assert build_order({}) == []


def test_cycle_in_repo_deps():
    with open("DEPS", encoding="utf-8") as f:
        graph = parse_deps(f.read())
    with pytest.raises(CycleError) as info:
        build_order(graph)
    cycle = info.value.cycle
    assert_is_cycle(cycle, graph, {"ui", "widgets", "theme"})
    assert str(info.value) == "dependency cycle: " + " -> ".join(cycle)
    assert isinstance(info.value, Exception)


def test_self_dependency():
    graph = parse_deps("a: a\n")
    with pytest.raises(CycleError) as info:
        build_order(graph)
    assert info.value.cycle == ["a", "a"]
    assert str(info.value) == "dependency cycle: a -> a"


def test_two_node_cycle_beside_good_packages():
    graph = parse_deps("z: y\ny: z\nb: c\n")
    with pytest.raises(CycleError) as info:
        build_order(graph)
    assert_is_cycle(info.value.cycle, graph, {"y", "z"})


def test_deep_chain():
    n = 5000
    text = "".join(f"p{i:05d}: p{i + 1:05d}\n" for i in range(n))
    order = build_order(parse_deps(text))
    assert order == [f"p{i:05d}" for i in range(n, -1, -1)]


def test_deep_cycle():
    n = 3000
    text = "".join(f"p{i:05d}: p{(i + 1) % n:05d}\n" for i in range(n))
    with pytest.raises(CycleError) as info:
        build_order(parse_deps(text))
    assert len(info.value.cycle) == n + 1


def test_cli_reports_cycle():
    done = subprocess.run(
        [sys.executable, "-m", "buildorder", "DEPS"], capture_output=True, text=True
    )
    assert done.returncode == 1
    assert done.stderr.startswith("error: dependency cycle: ")
    assert "Traceback" not in done.stderr
    for name in ("ui", "widgets", "theme"):
        assert name in done.stderr


def test_cli_prints_order(tmp_path):
    deps = tmp_path / "DEPS"
    deps.write_text("app: lib\nlib: core\n")
    done = subprocess.run(
        [sys.executable, "-m", "buildorder", str(deps)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["core", "lib", "app"]
