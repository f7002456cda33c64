"""The package's architecture, checked: subpackages import one way, and no module imports itself in a circle.

Layers, lowest first (a module may import its own layer and the layers below it, never one above):

    errors, text → io → modeling → evaluation → postfit → model → reporting → estimator → jobs → api → cli

Every import counts, including those inside functions (lazy imports keep start-up fast; they are still
dependencies), so a cycle cannot hide in a function body."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "clickpred"
LAYERS = [
    "errors",
    "text",
    "io",
    "modeling",
    "evaluation",
    "postfit",
    "model",
    "reporting",
    "estimator",
    "jobs",
    "api",
    "cli",
]
FOUNDATION = {"errors", "text"}  # importable from every layer


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """The clickpred modules a file imports (absolute names)."""
    name = _module_name(path)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.split(".")[0] != "clickpred":
                continue
            for alias in node.names:  # `from . import x` may import a module x
                candidate = f"{module}.{alias.name}"
                found.add(candidate if _exists(candidate) else module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "clickpred")
    return {m for m in found if m != "clickpred"}


def _exists(module: str) -> bool:
    rel = Path(*module.split(".")[1:])
    return (PACKAGE / rel).with_suffix(".py").exists() or (PACKAGE / rel / "__init__.py").exists()


GRAPH = {_module_name(p): _imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def _layer(module: str) -> int:
    top = module.split(".")[1] if module != "clickpred" else "api"
    return LAYERS.index(top)


def test_every_module_is_in_a_layer():
    tops = {m.split(".")[1] for m in GRAPH if m != "clickpred"}
    assert tops <= set(LAYERS), tops - set(LAYERS)


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_imports_point_down(module):
    if module == "clickpred":  # the public API re-exports from every layer, lazily
        return
    up = [m for m in GRAPH[module] if m.split(".")[1] not in FOUNDATION and _layer(m) > _layer(module)]
    assert not up, f"{module} imports a higher layer: {up}"


def test_no_import_cycles():
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(m):
        state[m] = 1
        path.append(m)
        for n in sorted(GRAPH.get(m, ())):
            if n == m or n not in GRAPH:
                continue
            if state.get(n) == 1:
                raise AssertionError("import cycle: " + " → ".join(path[path.index(n) :] + [n]))
            if n not in state:
                visit(n)
        path.pop()
        state[m] = 2

    for m in sorted(GRAPH):
        if m not in state and m != "clickpred":
            visit(m)


def test_no_private_names_imported_from_other_modules():
    bad = []
    for p in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("clickpred")):
                bad += [
                    f"{_module_name(p)}: {a.name}"
                    for a in node.names
                    if a.name.startswith("_") and a.name != "__version__"
                ]
    assert not bad, bad


def test_the_command_line_enters_the_library_only_through_the_api():
    """cli.py is a thin shell: it calls clickpred.api (one front door, so a feature is built once for every
    door) and uses only the errors, user-text helpers and the reporting layer's terminal tables besides."""
    allowed_tops = {"api", "errors", "text", "reporting"}
    imported = {m for m in GRAPH["clickpred.cli"] if m != "clickpred"}
    assert {m.split(".")[1] for m in imported} <= allowed_tops, imported
    reporting = {m for m in imported if m.startswith("clickpred.reporting")}
    tree = ast.parse((PACKAGE / "cli.py").read_text())
    names = {
        a.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("reporting")
        for a in node.names
    }
    assert reporting and names <= {
        "summary_table",
        "score_table",
        "leaderboard_table",
        "eliminated_table",
        "train_command",
        "importance_lines",
        "decision_lines",
        "drift_table",
        "drift_warning",
        "choice_note",
    }
