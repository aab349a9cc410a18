"""The order in which packages must be built."""


def build_order(graph):
    """Every package after all of its dependencies. Packages that are only
    mentioned as dependencies count as packages without dependencies.
    Among the choices, names are visited in alphabetical order, so the
    result is deterministic."""
    order = []
    done = set()

    def visit(name):
        if name in done:
            return
        for dep in sorted(graph.get(name, [])):
            visit(dep)
        done.add(name)
        order.append(name)

    for name in sorted(graph):
        visit(name)
    return order
