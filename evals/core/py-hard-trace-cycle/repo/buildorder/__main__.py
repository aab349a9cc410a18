"""python3 -m buildorder DEPS_FILE: prints the build order, one per line."""

import sys

from buildorder.graph import parse_deps
from buildorder.order import build_order


def main(argv):
    with open(argv[1], encoding="utf-8") as f:
        graph = parse_deps(f.read())
    for name in build_order(graph):
        print(name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
