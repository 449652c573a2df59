"""The house by floors: bivideo's modules on the floor each stands on, and how many imports
go from each floor to each floor below, as a Graphviz picture (docs/import-graph.svg, in the
README's development section):

    python tools/import_graph.py | dot -Tsvg -o docs/import-graph.svg

A module imports only from its own floor or the floors below (tests/test_import_graph.py
holds the house to that); FLOORS there is the one list of which module stands where. An
import going up would be drawn in red.
"""

from __future__ import annotations

import sys
import textwrap
from collections import Counter
from html import escape

import support  # noqa: F401 - puts this checkout on sys.path

from tests.test_import_graph import FLOORS, floor_of, import_graph


def dot(graph: dict[str, set[str]]) -> str:
    lines = ["digraph bivideo {", "  rankdir=TB; ranksep=0.3; nodesep=0.4;",
             '  node [shape=box, style="rounded,filled", fillcolor="#f4f4f4", color="#999999", '
             'fontname="Helvetica", fontsize=11];', '  edge [fontname="Helvetica", fontsize=10, color="#777777"];']
    for number, (name, modules) in enumerate(FLOORS):
        names = " ".join(m.removeprefix("bivideo.") for m in modules if m in graph)
        rows = "<br/>".join(escape(row) for row in textwrap.wrap(names, 70))
        lines.append(f'  floor{number} [label=<<b>{number + 1}. {escape(name)}</b><br/>'
                     f'<font point-size="10">{rows}</font>>];')
    between = Counter((floor_of(m), floor_of(t)) for m in graph for t in graph[m] if floor_of(m) != floor_of(t))
    for (low, high), count in sorted(between.items(), reverse=True):
        upward = high > low
        style = ', color="#d62728", fontcolor="#d62728", penwidth=2, constraint=false' if upward else ""
        lines.append(f'  floor{low} -> floor{high} [label="{count}"{style}];')
    lines.append("}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(dot(import_graph()))
