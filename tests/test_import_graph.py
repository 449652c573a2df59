"""The bivideo package's modules: all import in a fresh interpreter, the imports between them
(read from the source, including those inside functions) form no cycle, and each module
imports only from its own floor of the house or the floors below (tools/import_graph.py
draws it)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "bivideo"
# The floors, bottom up: what a module may build on is on its own floor or below.
FLOORS = [
    ("foundations", "bivideo datatypes errors settings standard ui artifacts toolchain background"),
    ("pure cores: text, times, frames", "srtio subtitles edits jieba_words segmentation highlight hallucinations "
     "sync_check translation_units glossary soundalike transcript_md vocab platforms review"),
    ("stages: media, models, translators", "probe audio weights model_choice convert engines word_timing transcribe "
     "translation_cache translators translators.deep translators.openai_chat whisper_translation translate "
     "burn proofread standard_report"),
    ("a talk's files", "outputs job subtitle_files given_subtitles render preview post_texts"),
    ("the flow", "flow"),
    ("runs: batch, cluster, studio", "batch_state batch cluster studio studio_http doctor"),
    ("the command line", "cli"),
]
FLOORS = [(name, [m if m == "bivideo" else f"bivideo.{m}" for m in modules.split()]) for name, modules in FLOORS]


def floor_of(module: str) -> int:
    return next(number for number, (_, modules) in enumerate(FLOORS) if module in modules)


def modules() -> dict[str, Path]:
    """Module name -> source file (a package is its __init__); __main__ runs the CLI, so not."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__main__":
            continue
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The bivideo modules that `name` imports anywhere in its source."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: from . import x, from ..y import z
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            # `from a import b` imports the module a.b when there is one, else a name from a
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:  # import a.b.c: the deepest bivideo module named
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def import_graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imports(name, path, set(known)) for name, path in known.items()}


def test_the_graph_reader_sees_every_kind_of_import():
    graph = import_graph()
    assert "bivideo.cli" in graph and "bivideo.translators.deep" in graph
    assert "bivideo.subtitles" in graph["bivideo.edits"]  # from bivideo import subtitles
    assert "bivideo.datatypes" in graph["bivideo.edits"]  # from bivideo.datatypes import LANGUAGES, Cue, ...
    assert "bivideo.flow" in graph["bivideo.cli"]  # inside a function
    assert "bivideo.translators.deep" in graph["bivideo.translators"]  # a submodule, inside a function
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_every_module_imports_in_a_fresh_interpreter():
    # one interpreter for all (a second each): with no cycle between them (below), the order
    # they are imported in cannot matter
    script = ("import importlib, sys, traceback\n"
              "for name in sys.argv[1:]:\n"
              "    try: importlib.import_module(name)\n"
              "    except BaseException: print(name, traceback.format_exc().splitlines()[-1])\n")
    done = subprocess.run([sys.executable, "-c", script, *modules()], capture_output=True, text=True,
                          cwd=PACKAGE.parent)
    assert done.returncode == 0 and done.stdout == "", done.stdout + done.stderr


def test_imports_between_bivideo_modules_have_no_cycle():
    found = cycles(import_graph())
    assert not found, "import cycles: " + "; ".join(" <-> ".join(c) for c in found)


def test_every_module_stands_on_a_floor_and_imports_nothing_from_above():
    graph = import_graph()
    placed = [m for _, modules in FLOORS for m in modules]
    assert sorted(placed) == sorted(graph), "FLOORS must name every module once"
    upward = [f"{m} (floor {floor_of(m) + 1}) imports {t} (floor {floor_of(t) + 1})"
              for m in sorted(graph) for t in sorted(graph[m]) if floor_of(t) > floor_of(m)]
    assert not upward, "; ".join(upward)
