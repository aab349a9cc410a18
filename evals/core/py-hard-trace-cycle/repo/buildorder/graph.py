"""Reads a DEPS file: one `package: dependency dependency ...` per line,
`#` comments and blank lines ignored."""


def parse_deps(text):
    """Return {package: [dependencies]} in file order."""
    graph = {}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, _, deps = line.partition(":")
        graph.setdefault(name.strip(), []).extend(deps.split())
    return graph
