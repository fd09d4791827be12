"""Processor SDKs are imported by their adapter and nowhere else."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ["hub", "billing", "vendors", "magiclinks"]


def importers_of(module: str) -> set[str]:
    """The files under our packages that import `module` (absolute imports)."""
    found = set()
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                if any(name.split(".")[0] == module for name in names):
                    found.add(path.relative_to(ROOT).as_posix())
    return found


def test_only_the_stripe_adapter_imports_stripe():
    assert importers_of("stripe") == {"billing/processors/adapters/stripe.py"}


def test_only_the_paypal_adapter_imports_the_paypal_sdk():
    assert importers_of("paypalserversdk") == {"billing/processors/adapters/paypal.py"}


def test_it_sees_relative_imports_as_ours():
    # `from .stripe import StripeAdapter` in the registry is our module.
    assert "billing/processors/adapters/__init__.py" not in importers_of("stripe")
