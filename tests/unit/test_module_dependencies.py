"""The rule of dependency between chalicelib's modules (docs/architecture.md), read from the source.

Every import counts: at the top, inside a function, and under `TYPE_CHECKING`.
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "chalicelib"
WIRING = "chalicelib.services"
EDGE = "chalicelib.routes"
"""The routes, and the Lambda entry point among them (`routes/tasks.py`)."""


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path, modules: set[str]) -> set[str]:
    """The chalicelib modules that one file imports, however it imports them."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            target = ".".join([*base, node.module] if node.module else base)
            if not node.level:
                target = node.module or ""
            candidates = [target, *(f"{target}.{alias.name}" for alias in node.names)]
        else:
            continue
        found.update(candidate for candidate in candidates if candidate in modules)
    found.discard(name)
    return found


def import_graph() -> dict[str, set[str]]:
    files = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    return {name: imported(path, set(files)) for name, path in files.items()}


def test_the_graph_is_read_from_the_source() -> None:
    graph = import_graph()

    assert "chalicelib.report_store" in graph["chalicelib.intake.reports"]
    assert "chalicelib.services" in graph["chalicelib.routes.tasks"]


def test_no_module_imports_itself_back_through_others() -> None:
    try:
        order = list(TopologicalSorter(import_graph()).static_order())
    except CycleError as error:
        raise AssertionError(f"import cycle: {' -> '.join(error.args[1])}") from None
    assert order


def test_only_the_routes_import_the_wiring() -> None:
    importers = {name for name, imports in import_graph().items() if WIRING in imports}

    assert importers
    assert {name for name in importers if not name.startswith(f"{EDGE}.")} == set()


def test_the_domain_knows_no_http() -> None:
    for name, imports in import_graph().items():
        if name.startswith(EDGE) or name == WIRING:
            continue
        assert not {module for module in imports if module.startswith(EDGE)}, name


def test_only_the_report_store_writes_the_reports_table() -> None:
    writers = {
        module_name(path)
        for path in PACKAGE.rglob("*.py")
        if "Report._get_connection()" in path.read_text()
        or "Report.status.set(" in path.read_text()
    }

    assert writers == {"chalicelib.report_store"}
