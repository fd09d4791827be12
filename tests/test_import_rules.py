"""The house rules a reader of any one module should be able to rely on:
an app reaches another app's data through its services and selectors, never
through its views, and nothing that ships imports the tests."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPS = ["hub", "billing", "vendors", "magiclinks", "rights"]
# Everything that runs in production: the apps, the benchmark (run against
# production settings) and the top-level entry points.
SHIPPED = [*APPS, "bench"]
ENTRY_POINTS = ["manage.py"]


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, relative imports made absolute, and for
    `from x import y` both `x` and `x.y` (y may be a module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    here = path.relative_to(ROOT).with_suffix("").parts
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parent = here[: len(here) - node.level]
                base = ".".join([*parent, node.module] if node.module else parent)
            else:
                base = node.module or ""
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def python_files(names: list[str]):
    for name in names:
        target = ROOT / name
        yield from ([target] if target.is_file() else sorted(target.rglob("*.py")))


def test_no_app_imports_another_apps_views():
    offenders = []
    for app in APPS:
        for path in python_files([app]):
            for module in imported_modules(path):
                parts = module.split(".")
                if parts[0] in APPS and parts[0] != app and "views" in parts[-1]:
                    offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offenders == []


def test_nothing_that_ships_imports_the_tests():
    offenders = [
        f"{path.relative_to(ROOT)} imports {module}"
        for path in python_files([*SHIPPED, *ENTRY_POINTS])
        for module in imported_modules(path)
        if module.split(".")[0] == "tests"
    ]
    assert offenders == []


def test_the_rules_see_the_imports_they_forbid():
    # A rule that finds nothing must be finding nothing for the right reason.
    modules = imported_modules(ROOT / "hub" / "dashboard_views.py")
    assert "magiclinks.pages.access_form_page" in modules
    assert "hub.forms" in modules  # `from .forms import ...`
    assert "vendors.http.VendorRequest" in modules


# vendors <- billing <- magiclinks <- rights <- hub: an app imports only the
# apps before it (docs/architecture.md).
LAYERS = ["vendors", "billing", "magiclinks", "rights", "hub"]


def test_dependencies_point_one_way():
    offenders = []
    for position, app in enumerate(LAYERS):
        above = set(LAYERS[position + 1 :])
        for path in python_files([app]):
            for module in imported_modules(path):
                if module.split(".")[0] in above:
                    offenders.append(f"{path.relative_to(ROOT)} imports {module}")
    assert offenders == []
