"""The house rules a reader of any one module should be able to rely on:
the apps depend on each other one way (vendors <- billing <- magiclinks <-
rights <- hub); an app reaches another app's data through its services and
selectors, never through its views; no view talks to a payment processor's
adapter; a service enqueues a task without importing it at module level; and
nothing that ships imports the tests."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The layers, lowest first: an app may import the apps before it, never one
# after it. `rights` (the consumer-law pages) sits between the access links
# it uses and the hub that links to it; an app not written yet is no breach.
LAYERS = ["vendors", "billing", "magiclinks", "rights", "hub"]
APPS = [app for app in LAYERS if (ROOT / app).is_dir()]
# Everything that runs in production: the apps, the benchmark (run against
# production settings) and the top-level entry points.
SHIPPED = [*APPS, "bench"]
ENTRY_POINTS = ["manage.py"]


def _modules_of(node: ast.Import | ast.ImportFrom, here: tuple[str, ...]) -> set[str]:
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names}
    if node.level:
        parent = here[: len(here) - node.level]
        base = ".".join([*parent, node.module] if node.module else parent)
    else:
        base = node.module or ""
    return {base, *(f"{base}.{alias.name}" for alias in node.names)}


def imported_modules(path: Path, root: Path = ROOT, *, top_level_only: bool = False) -> set[str]:
    """Every module `path` imports, relative imports made absolute, and for
    `from x import y` both `x` and `x.y` (y may be a module). With
    `top_level_only`, only the imports that run when the module is imported
    (not those inside a function or a class)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    here = path.relative_to(root).with_suffix("").parts
    found: set[str] = set()
    pending: list[ast.AST] = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            found |= _modules_of(node, here)
        skipped = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
        if not (top_level_only and isinstance(node, skipped)):
            pending.extend(ast.iter_child_nodes(node))
    return found


def python_files(names: list[str], root: Path = ROOT):
    for name in names:
        target = root / name
        if target.is_file():
            yield target
        elif target.is_dir():
            yield from sorted(target.rglob("*.py"))


def layer_breaches(root: Path = ROOT, layers: list[str] = LAYERS) -> list[str]:
    """Every import in an app of `layers` of an app above it."""
    rank = {app: index for index, app in enumerate(layers)}
    return [
        f"{path.relative_to(root).as_posix()} imports {module}"
        for app in layers
        for path in python_files([app], root)
        for module in sorted(imported_modules(path, root))
        if rank.get(module.split(".")[0], -1) > rank[app]
    ]


def task_imports_at_module_level(root: Path = ROOT, apps: list[str] = APPS) -> list[str]:
    """Modules other than the tasks modules (and the Celery app) that import
    a tasks module when they are imported. Tasks import the services they
    wrap at the top; a service imports its task inside the function that
    enqueues it, so the two never form an import circle."""
    return [
        f"{path.relative_to(root).as_posix()} imports {module}"
        for path in python_files(apps, root)
        if path.name != "tasks.py" and path.relative_to(root).as_posix() != "hub/celery.py"
        for module in sorted(imported_modules(path, root, top_level_only=True))
        if "tasks" in module.split(".")
    ]


# The adapters' registry and implementations: what talks to a processor.
# The interface's own types (`adapters.base`: ProcessorError, the dataclasses)
# are what a view catches and shows, so they stay open to views.
ADAPTERS = "billing.processors.adapters"
ADAPTER_TYPES = "billing.processors.adapters.base"


def is_view_module(path: Path) -> bool:
    return path.stem == "api" or path.stem.endswith("views")


def views_importing_adapters(root: Path = ROOT, apps: list[str] = APPS) -> list[str]:
    return [
        f"{path.relative_to(root).as_posix()} imports {module}"
        for path in python_files(apps, root)
        if is_view_module(path)
        for module in sorted(imported_modules(path, root))
        if (module == ADAPTERS or module.startswith(f"{ADAPTERS}."))
        and not (module == ADAPTER_TYPES or module.startswith(f"{ADAPTER_TYPES}."))
    ]


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


def test_the_apps_import_only_the_layers_below_them():
    assert layer_breaches() == []


def test_no_view_calls_a_processor_adapter():
    # Views ask a billing service (billing.cards, billing.cancellation...),
    # which picks and calls the adapter.
    assert views_importing_adapters() == []


def test_no_module_imports_a_tasks_module_when_it_is_imported():
    assert task_imports_at_module_level() == []


# --- the rules fail when the code breaks them --------------------------------------


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize(
    "app, line, upper",
    [
        ("vendors", "from billing.models import Customer", "billing.models"),
        ("billing", "import magiclinks.services", "magiclinks.services"),
        ("billing", "from hub import settings", "hub"),
        ("magiclinks", "from rights.services import declaration_record", "rights.services"),
        ("rights", "from hub.forms import ProfileForm", "hub.forms"),
    ],
)
def test_an_import_running_back_up_is_a_breach(tmp_path, app, line, upper):
    # Even one tucked inside a function, deep in the app.
    root = _tree(tmp_path, {f"{app}/deep/module.py": f"def f():\n    {line}\n"})
    assert f"{app}/deep/module.py imports {upper}" in layer_breaches(root)


def test_imports_down_the_layers_and_missing_apps_are_fine(tmp_path):
    root = _tree(
        tmp_path,
        {
            "hub/views.py": "from rights import services\nfrom vendors.models import Vendor\n",
            "magiclinks/services.py": "from billing.models import Customer\nimport vendors\n",
            "billing/models.py": "from .audit import audit_record\nfrom vendors import models\n",
        },
    )
    assert layer_breaches(root) == []  # and `rights/`, absent here, is no error


def test_a_view_importing_an_adapter_is_caught(tmp_path):
    root = _tree(
        tmp_path,
        {
            "hub/subscription_views.py": (
                "from billing.processors.adapters import adapter_for\n"
                "from billing.processors.adapters.base import ProcessorError\n"
            ),
            "hub/api.py": "from billing.processors.adapters.stripe import StripeAdapter\n",
            "hub/forms.py": "from billing.processors.adapters import adapter_for\n",
        },
    )
    assert views_importing_adapters(root, ["hub"]) == [
        "hub/api.py imports billing.processors.adapters.stripe",
        "hub/api.py imports billing.processors.adapters.stripe.StripeAdapter",
        "hub/subscription_views.py imports billing.processors.adapters",
        "hub/subscription_views.py imports billing.processors.adapters.adapter_for",
    ]


def test_a_module_level_task_import_is_caught_and_one_inside_a_function_is_not(tmp_path):
    guarded = "try:\n    from .tasks import a_task\nexcept ImportError:\n    a_task = None\n"
    root = _tree(
        tmp_path,
        {
            "billing/documents/invoices.py": "from billing.tasks import invoice_pdf_render_task\n",
            "billing/refunds.py": guarded,
            "billing/cards.py": "def f():\n    from .tasks import card_updated_notify_task\n",
            "billing/tasks.py": "from .cards import f\n",
        },
    )
    assert task_imports_at_module_level(root, ["billing"]) == [
        "billing/documents/invoices.py imports billing.tasks",
        "billing/documents/invoices.py imports billing.tasks.invoice_pdf_render_task",
        "billing/refunds.py imports billing.tasks",
        "billing/refunds.py imports billing.tasks.a_task",
    ]
