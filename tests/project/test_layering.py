"""The package is a one-way stack: each layer imports only layers below it, no cycles,
and no module reads another module's private names.

The stack (bottom to top) is drawn in docs/architecture.md; this test is its
definition. Every import counts, including imports inside functions.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "pairmatch"

# Bottom to top. A unit is a top-level module or subpackage of pairmatch.
LAYERS: list[set[str]] = [
    {
        "exceptions",
        "text",
        "version",
        "display",
        "availability",
        "vocabulary_documents",
        "geography",
        "taxonomy",
    },  # vocabularies
    {"datasets"},  # vocabulary data (never people or problems)
    {
        "certificates",
        "objectives",
        "params",
        "custom_scores",
        "models",
    },  # inputs, the solver tables, certificate models
    {"scoring", "constraints", "examples", "generators"},  # scores, hard rules, ready-made problems
    {"solver"},  # backends, certificates, diagnosis: the Outcome contract
    {"unmatched", "result", "matching"},  # MatchResult and the public solve()
    {
        "explanations",
        "checks",
        "analysis",
        "stability",
        "contract",
        "rematching",
        "diffs",
        "consent",
    },  # reading results, JSON
    {"io", "report", "maps", "store", "introductions"},  # files, reports, maps, programme store
    {"cli", "service"},  # command line, HTTP service
    {"__init__", "__main__"},
]
LAYER_OF = {unit: k for k, layer in enumerate(LAYERS) for unit in layer}


def modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        name = ".".join(("pairmatch", *parts))
        out[name.removesuffix(".__init__") if parts[-1] == "__init__" and len(parts) > 1 else name] = path
    return out


def unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imports(module: str, path: Path) -> list[tuple[str, list[str], int]]:
    """``(imported module, names imported from it, line)`` for every pairmatch import in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(a.name, [], node.lineno) for a in node.names if a.name.split(".")[0] == "pairmatch"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "pairmatch":
                continue
            names = [a.name for a in node.names]
            # `from . import x` may import submodule x itself.
            found.append((target, names, node.lineno))
    return found


MODULES = modules()


def resolve(target: str, names: list[str]) -> list[str]:
    """The modules an import statement reaches (a package's submodules named in `from p import m`)."""
    out = [target] if target in MODULES else []
    out += [f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES]
    return out or [target]


def graph() -> nx.DiGraph:
    g = nx.DiGraph()
    for module, path in MODULES.items():
        g.add_node(module)
        for target, names, _ in imports(module, path):
            for reached in resolve(target, names):
                if reached != module:
                    g.add_edge(module, reached)
    return g


def test_every_unit_has_a_layer():
    units = {unit(m) for m in MODULES}
    assert units <= set(LAYER_OF), f"give these modules a layer: {sorted(units - set(LAYER_OF))}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_only_go_down(module):
    here = LAYER_OF[unit(module)]
    for target, names, line in imports(module, MODULES[module]):
        for reached in resolve(target, names):
            there = LAYER_OF.get(unit(reached), -1)
            assert there <= here, (
                f"{module} (layer {here}) imports {reached} (layer {there}) at line {line}: "
                "imports must go down the stack"
            )


def test_no_import_cycles():
    cycles = list(nx.simple_cycles(graph()))
    assert not cycles, f"import cycles: {cycles[:5]}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_private_names_read_across_modules(module):
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for target, names, line in imports(module, path):
        private = [n for n in names if n.startswith("_") and not n.startswith("__")]
        assert not private, f"{module} imports private names {private} from {target} at line {line}"
        # A private module (solve._flow) belongs to its package: only siblings may import it.
        for reached in resolve(target, names):
            hidden = [p for p in reached.split(".")[1:] if p.startswith("_") and not p.startswith("__")]
            if hidden:
                owner = reached.rsplit(".", 1)[0]
                assert module.startswith(owner + ".") or module == owner, (
                    f"{module} reaches into private module {reached} at line {line}"
                )
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            owner = node.value
            assert isinstance(owner, ast.Name), node.lineno
            assert owner.id in ("self", "cls"), (
                f"{module} reads private attribute .{node.attr} of another object at line {node.lineno}"
            )
