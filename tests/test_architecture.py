"""The import graph of docs/architecture.md, read from the code: no module cycle, and outside the faces every
app imports only from the apps below it (the publishing module, realtime.events, aside)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Lowest first. A module may import its own app and the apps before it in this list.
LAYERS = ["ielts_site", "accounts", "exams", "classes", "attempts", "sessions_app", "realtime", "monitoring"]
# The faces sit on top of every app and may call any app's services: HTTP views and pages, the admin, the
# consumer, serializers and permissions of the REST face, URL and app wiring, commands, the process entry points.
FACE_MODULES = {
    "admin", "apps", "asgi", "consumers", "forms", "handshake", "page_urls", "pages", "permissions", "rest_urls",
    "routing", "serializers", "settings", "test_settings", "urls", "api_urls", "views", "wsgi", "admin_tools",
}  # fmt: skip
FACE_PACKAGES = {"management", "views"}
PUBLISHING = "realtime.events"


def project_modules() -> dict[str, Path]:
    modules = {}
    for app in LAYERS:
        for path in (ROOT / app).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if "migrations" in parts or "tests" in parts:
                continue
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path
    return modules


def imports_of(path: Path, known: set[str]) -> set[str]:
    """Project modules `path` imports, at the top or inside a function (a lazy import is still a dependency)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    return found


def graph() -> dict[str, set[str]]:
    modules = project_modules()
    known = set(modules)
    return {name: imports_of(path, known) - {name} for name, path in modules.items()}


def is_face(module: str) -> bool:
    parts = module.split(".")
    return parts[-1] in FACE_MODULES or any(part in FACE_PACKAGES for part in parts[1:])


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """A cycle of imports as a list of modules, or None. Packages importing their own submodules (re-exports)
    are not cycles: a package's __init__ runs before its submodules either way."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        stack.append(module)
        for target in sorted(edges.get(module, ())):
            if target.startswith(module + "."):
                continue
            if state.get(target) == 1:
                return stack[stack.index(target) :] + [target]
            if target not in state:
                cycle = visit(target)
                if cycle:
                    return cycle
        stack.pop()
        state[module] = 2
        return None

    for module in sorted(edges):
        if module not in state:
            cycle = visit(module)
            if cycle:
                return cycle
    return None


def upward_imports(edges: dict[str, set[str]]) -> list[str]:
    rank = {app: index for index, app in enumerate(LAYERS)}
    found = []
    for module, targets in sorted(edges.items()):
        if is_face(module):
            continue
        own = rank[module.split(".")[0]]
        for target in sorted(targets):
            if target != PUBLISHING and not is_face(target) and rank[target.split(".")[0]] > own:
                found.append(f"{module} → {target}")
            elif is_face(target) and target.split(".")[0] != module.split(".")[0]:
                found.append(f"{module} → {target} (a face)")
    return found


def test_the_graph_reads_the_whole_project():
    edges = graph()
    assert {"realtime.consumers", "attempts.services", "sessions_app.services.lifecycle"} <= set(edges)
    assert "realtime.events" in edges["attempts.services"], "the reader sees what attempts.services imports"


def test_no_module_imports_itself_round_a_cycle():
    assert find_cycle(graph()) is None


def test_models_services_and_selectors_import_only_downward():
    assert upward_imports(graph()) == []


def test_the_checks_catch_an_upward_import_and_a_cycle():
    edges = {"exams.models": {"exams.marking"}, "exams.marking": {"exams.models"}, "attempts.services": set()}
    assert find_cycle(edges) == ["exams.marking", "exams.models", "exams.marking"]
    assert upward_imports({"exams.selectors": {"sessions_app.models", PUBLISHING}}) == [
        "exams.selectors → sessions_app.models"
    ]


def test_no_javascript_file_is_over_500_lines():
    long = {
        str(path.relative_to(ROOT)): lines
        for path in (ROOT / "static").rglob("*.js")
        if (lines := len(path.read_text().splitlines())) > 500
    }
    assert long == {}
