"""The layout tells the architecture: imports go one way, from the edges down to the core.

Every import counts, including those under ``TYPE_CHECKING`` and inside functions: a cycle
hidden in a function body is still a cycle a reader has to untangle.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

from hub.config import PROJECT_ROOT

PACKAGES = ("hub", "connectors")
# What each layer may import, besides itself. The edges (the app's wiring and the `hub`
# command) may import anything; connectors are vendor mappings on top of the inbound interface.
LAYERS = {
    "core": set(),
    # Who may see what: partners, allowances, portal links; pure decisions over the core.
    "access": {"core"},
    # Log lines, request ids, metrics and issues (failures grouped, kept in the store): what
    # inbound, outbound and the API report through.
    "observe": {"core", "store"},
    "store": {"core"},
    "outbound": {"core", "store", "observe", "access"},
    "inbound": {"core", "store", "outbound", "observe"},
    "connectors": {"core", "inbound"},
    "state": {"core", "store", "inbound", "outbound"},
    # Low-code connectors, generated from the catalog, the message and the rules.
    "integrations": {"core", "outbound", "state"},
    "api": {"core", "store", "inbound", "outbound", "state", "integrations", "observe", "access"},
    # The console reads and acts through the API's handlers, in-process.
    "console": {"core", "api", "observe", "access"},
    "edge": {
        "access",
        "console",
        "core",
        "store",
        "inbound",
        "outbound",
        "state",
        "api",
        "connectors",
        "integrations",
        "observe",
    },
}
EDGES = {"hub.app", "hub.__main__"}
PACKAGE_LAYERS = {"store", "inbound", "outbound", "state", "api", "integrations", "observe",
                  "console", "access"}  # fmt: skip


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((PROJECT_ROOT / package).rglob("*.py")):
            found[module_name(path)] = path
    return found


def imports(path: Path, known: set[str]) -> Iterator[str]:
    """The project modules a file imports, wherever in the file the import is."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from hub.api import tokens` imports the module hub.api.tokens
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            if name in known:
                yield name


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: set(imports(path, known)) - {name} for name, path in found.items()}


def layer(module: str) -> str:
    if module in EDGES or module == "hub.cli" or module.startswith("hub.cli."):
        return "edge"
    parts = module.split(".")
    if parts[0] == "connectors":
        return "connectors"
    if len(parts) > 2 or (len(parts) == 2 and parts[1] in PACKAGE_LAYERS):
        return parts[1]
    return "core"


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in edges.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles_between_modules() -> None:
    assert cycles(graph()) == []


def test_imports_go_from_the_edges_to_the_core() -> None:
    wrong = [
        f"{module} ({layer(module)}) imports {target} ({layer(target)})"
        for module, targets in graph().items()
        for target in sorted(targets)
        if layer(target) != layer(module) and layer(target) not in LAYERS[layer(module)]
    ]
    assert wrong == []


# The shared core: what every package may import. Anything else belongs in a package of the
# path data takes (inbound, outbound, state, store, api, observe) or at an edge (cli, app).
CORE = {
    "background", "catalog", "clock", "config", "errors", "filters", "health", "heap", "ids",
    "jsontext", "masking", "model", "problem", "signing", "tally", "urls", "yamlfile",
}  # fmt: skip


def test_only_the_shared_core_sits_at_the_top_of_hub() -> None:
    top = {p.stem for p in (PROJECT_ROOT / "hub").glob("*.py")} - {"__init__", "__main__"}
    assert top - {"app"} == CORE  # app: the wiring, an edge


def test_every_package_says_what_it_holds() -> None:
    packages = [p for p in (PROJECT_ROOT / "hub").iterdir() if any(p.glob("*.py"))]
    missing = [
        p.name
        for p in packages
        if not (p / "__init__.py").is_file()
        or ast.get_docstring(ast.parse((p / "__init__.py").read_text())) is None
    ]
    assert len(packages) >= 8 and missing == []


def test_the_cycle_finder_finds_cycles() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
