"""The package reads top to bottom: deploy/, parts/, lambdas/, queries/ and transaction.py at the
bottom, stacks/ above them, reference/ and the builder on top. No module imports one of a higher
layer, and no modules import one another in a circle (imports inside functions count). deploy/ uses the standard library only,
as `make deploy` runs it without a virtual environment."""

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "patch_templates"
# Top-level folder or module of the package -> its layer; a module may import its own layer or lower.
LAYERS = {
    "deploy": 0,
    "parts": 0,
    "lambdas": 0,
    "queries": 0,
    "transaction": 0,
    "stacks": 1,
    "reference": 2,
    "builder": 3,
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path) for path in PACKAGE.rglob("*.py")}


def imports(path: Path) -> set[str]:
    """Every module this file imports (at module level or inside a function), relative ones resolved:
    `from package import name` is the module package.name where there is one, else package."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            found.update(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names)
    return found


def package_graph() -> dict[str, set[str]]:
    """Module of the package -> the modules of the package it imports."""
    return {
        name: {other for other in imports(path) if other in MODULES and other != name}
        for path in PACKAGE.rglob("*.py")
        if (name := module_name(path))
    }


def layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.get(parts[1]) if len(parts) > 1 else None


def upward(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    return sorted(
        (module, other)
        for module, others in graph.items()
        for other in others
        if layer(module) is not None and layer(other) is not None and layer(other) > layer(module)
    )


def cycle(graph: dict[str, set[str]]) -> list[str]:
    """One circle of imports, or [] when there is none (depth-first search)."""
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(module: str) -> list[str]:
        state[module] = "open"
        path.append(module)
        for other in sorted(graph.get(module, ())):
            if state.get(other) == "open":
                return path[path.index(other) :] + [other]
            if other not in state and (found := visit(other)):
                return found
        state[module] = "done"
        path.pop()
        return []

    for module in sorted(graph):
        if module not in state and (found := visit(module)):
            return found
    return []


def test_every_folder_and_top_module_has_a_layer():
    tops = {path.stem if path.is_file() else path.name for path in PACKAGE.iterdir() if not path.name.startswith("_")}
    assert tops == set(LAYERS)


def test_no_import_goes_up_a_layer():
    graph = package_graph()
    assert sum(len(others) for others in graph.values()) > 50  # the graph was read
    assert upward(graph) == []


def test_no_modules_import_each_other_in_a_circle():
    assert cycle(package_graph()) == []


def test_deploy_uses_the_standard_library_only():
    for path in (PACKAGE / "deploy").rglob("*.py"):
        outside = {
            name
            for name in imports(path)
            if not name.startswith("patch_templates.deploy") and name.split(".")[0] not in sys.stdlib_module_names
        }
        assert outside == set(), path.name


@pytest.mark.parametrize(
    "graph, up, circle",
    [
        (
            {"patch_templates.parts.a": {"patch_templates.stacks.b"}},
            [("patch_templates.parts.a", "patch_templates.stacks.b")],
            [],
        ),
        (
            {
                "patch_templates.stacks.a": {"patch_templates.stacks.b"},
                "patch_templates.stacks.b": {"patch_templates.stacks.a"},
            },
            [],
            ["patch_templates.stacks.a", "patch_templates.stacks.b", "patch_templates.stacks.a"],
        ),
        ({"patch_templates.builder": {"patch_templates.reference.docs"}}, [], []),
    ],
)
def test_the_checks_find_an_upward_import_and_a_circle(graph, up, circle):
    assert upward(graph) == up
    assert cycle(graph) == circle


def test_relative_imports_resolve_to_the_modules_of_the_package():
    assert {
        "patch_templates.parts.parameters",  # from ..parts import parameters as p
        "patch_templates.parts.common",  # from ..parts.common import ...
        "patch_templates.stacks.record",  # from .record import Record
    } <= imports(PACKAGE / "stacks" / "collector.py")
    # from .stacks import RECORDS: a name of the registry, the package's __init__
    assert "patch_templates.stacks" in imports(PACKAGE / "builder.py")
