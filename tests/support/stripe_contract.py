"""What stripe-python (the pinned SDK) declares about Stripe's objects, for
the contract tests: a field path exists on an object when the SDK's typed
resource declares it, following nested classes, expandable fields, lists and
list objects. Upgrading the SDK changes these declarations and re-runs the
tests against them.

The SDK imports most of its annotations' types only under TYPE_CHECKING, so
`typing.get_type_hints` is given them from the module's own import lines.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import sys
import types
import typing
from functools import cache
from typing import Any

import stripe
from stripe import ListObject, StripeObject


class _Names(dict):
    """The names an annotation may use: the class's own, then the module's
    TYPE_CHECKING imports, then the `stripe` package."""

    def __init__(self, own: dict[str, Any], imports: dict[str, tuple[str, str]]) -> None:
        super().__init__(own)
        self.imports = imports

    def __missing__(self, name: str) -> Any:
        if name in self.imports:
            module, attribute = self.imports[name]
            return getattr(importlib.import_module(module), attribute)
        try:
            return getattr(stripe, name)
        except AttributeError:
            raise KeyError(name) from None


@cache
def _imports(module_name: str) -> dict[str, tuple[str, str]]:
    tree = ast.parse(inspect.getsource(sys.modules[module_name]))
    return {
        alias.asname or alias.name: (node.module, alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
        for alias in node.names
    }


@cache
def declared(cls: type) -> dict[str, Any]:
    """Field name -> type, as the SDK declares them on `cls`."""
    module = sys.modules[cls.__module__]
    return {
        name: hint
        for name, hint in typing.get_type_hints(
            cls,
            globalns=dict(vars(module)),
            localns=_Names(dict(vars(cls)), _imports(cls.__module__)),
        ).items()
        if not name.startswith("_") and name != "OBJECT_NAME"
    }


ANY = object()  # a free-form hash (metadata, an event's object): anything below


def _kinds(hint: Any) -> list[Any]:
    """What a value of type `hint` may hold that has fields: SDK classes,
    ("list", item type) for list objects, ANY for free-form dicts."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return [kind for arg in typing.get_args(hint) for kind in _kinds(arg)]
    if origin is list:
        return _kinds(typing.get_args(hint)[0])
    if origin is dict or (origin is not None and origin.__name__ == "UntypedStripeObject"):
        return [ANY]
    if origin is ListObject:
        return [("list", typing.get_args(hint)[0])]
    if isinstance(hint, type) and issubclass(hint, StripeObject):
        return [hint]
    return []


def path_problem(cls: type, path: str) -> str:
    """ "" when `path` (Stripe's expand notation: a list object's items are
    under `data`) exists on `cls` in the pinned SDK; else what is missing."""
    kinds: list[Any] = [cls]
    walked = cls.__name__
    for segment in path.split("."):
        if not kinds:
            return f"{walked} is a scalar in stripe-python {stripe.VERSION}"
        following: list[Any] = []
        for kind in kinds:
            if kind is ANY:
                following.append(ANY)
            elif isinstance(kind, tuple):
                if segment == "data":
                    following.extend(_kinds(kind[1]))
                elif segment in declared(ListObject):
                    following.append("leaf")  # a list object's own has_more, url
            elif segment in declared(kind):
                following.extend(_kinds(declared(kind)[segment]) or ["leaf"])
        if not following:
            return f"{walked} has no `{segment}` in stripe-python {stripe.VERSION}"
        kinds = [kind for kind in following if kind != "leaf"]
        walked += "." + segment
    return ""


def undeclared(cls: type, data: dict[str, Any], prefix: str = "") -> list[str]:
    """The keys of `data` (an object as JSON) that the SDK does not declare
    on `cls`, at any depth it can follow."""
    found = []
    fields = declared(cls)
    for key, value in data.items():
        path = f"{prefix}{key}"
        if key not in fields:
            found.append(path)
            continue
        for kind in _kinds(fields[key]):
            if isinstance(value, dict) and isinstance(kind, type):
                found.extend(undeclared(kind, value, path + "."))
                break
            if isinstance(value, dict) and isinstance(kind, tuple):
                for item in value.get("data") or []:
                    if isinstance(item, dict) and isinstance(kind[1], type):
                        found.extend(undeclared(kind[1], item, path + ".data."))
                break
            if isinstance(value, list) and isinstance(kind, type):
                for item in value:
                    if isinstance(item, dict):
                        found.extend(undeclared(kind, item, path + "."))
                break
    return sorted(set(found))


class Recorded(dict):
    """A Stripe object (as a dict) that notes every field path read from it,
    for checking what a reader reads."""

    def __init__(self, data: dict[str, Any], seen: set[str], path: str = "") -> None:
        super().__init__(data)
        self._seen = seen
        self._path = path

    def _wrap(self, key: str, value: Any) -> Any:
        path = f"{self._path}.{key}" if self._path else key
        self._seen.add(path)
        if isinstance(value, dict):
            return Recorded(value, self._seen, path)
        if isinstance(value, list):
            return [Recorded(v, self._seen, path) if isinstance(v, dict) else v for v in value]
        return value

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        return self._wrap(key, super().get(key, default))

    def __getitem__(self, key: str) -> Any:
        return self._wrap(key, super().__getitem__(key))


def reads(reader: Any, data: dict[str, Any], *args: Any) -> set[str]:
    """Every field path `reader` reads from `data`."""
    seen: set[str] = set()
    reader(Recorded(data, seen), *args)
    return seen


def prefixes(paths: typing.Iterable[str]) -> set[str]:
    """The paths and every path above them ("a.b.c" -> a, a.b, a.b.c)."""
    out = set()
    for path in paths:
        parts = path.split(".")
        out.update(".".join(parts[: i + 1]) for i in range(len(parts)))
    return out
