"""PayPal's shapes as the pinned `paypal-server-sdk` declares them.

The SDK's response models are generated from PayPal's OpenAPI specifications:
each model lists its JSON members in `_names` and their types in its
docstring ("billing_info (SubscriptionBillingInformation): ..."), and each enum
class holds its values as upper-case attributes. From these this module
answers two questions for the contract tests:

- does a field path the adapter reads (`billing_info.last_payment.amount.value`,
  `[]` for a list's items) exist on a model (`path_exists`)?
- which members of a JSON answer (the fake PayPal's) does the model not
  declare, and which enum values are not the SDK's (`undeclared`)?

The error bodies are not models in the SDK but exceptions
(`SubscriptionErrorException`, `OAuthProviderException`); their members are
read from the keys their `unbox` takes out of the body.

Upgrading the SDK re-runs every check against the new declarations.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from functools import cache
from typing import Any

import paypalserversdk.models
from paypalserversdk.exceptions.error_exception import ErrorException
from paypalserversdk.exceptions.o_auth_provider_exception import OAuthProviderException
from paypalserversdk.exceptions.subscription_error_exception import SubscriptionErrorException

ATTRIBUTE = re.compile(r"^\s{8}(\w+) \(([^)]+)\):", re.MULTILINE)
LIST = re.compile(r"^List\[(.+)\]$")
SCALARS = {"str", "int", "bool", "float", "object", "Any", "dict"}

# (JSON member -> type) of the error bodies, which the SDK reads in exceptions.
ERROR_SHAPES = {
    "SubscriptionError": (
        SubscriptionErrorException,
        {"details": "List[ErrorDetails]", "links": "List[LinkDescription]"},
    ),
    "OAuthError": (OAuthProviderException, {}),
    # The payments API's errors (a refund's 404 and 422).
    "PaymentsError": (
        ErrorException,
        {"details": "List[ErrorDetails]", "links": "List[LinkDescription]"},
    ),
}


@cache
def _classes() -> dict[str, type]:
    found: dict[str, type] = {}
    package = paypalserversdk.models
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for name, obj in vars(module).items():
            if inspect.isclass(obj) and obj.__module__ == module.__name__:
                found[name] = obj
    return found


@cache
def members(model: str) -> dict[str, str]:
    """JSON member name -> declared type name, for a model or error shape."""
    if model in ERROR_SHAPES:
        exception, types = ERROR_SHAPES[model]
        keys = re.findall(r'dictionary\.get\("(\w+)"\)', inspect.getsource(exception.unbox))
        return {key: types.get(key, "str") for key in keys}
    cls = _classes()[model]
    names: dict[str, str] = getattr(cls, "_names", {})
    types = dict(ATTRIBUTE.findall(cls.__doc__ or ""))
    return {api: types.get(python, "object") for python, api in names.items()}


def enum_values(type_name: str) -> set[str] | None:
    """The values of an SDK enum, or None when `type_name` is not one."""
    cls = _classes().get(type_name)
    if cls is None or hasattr(cls, "_names"):
        return None
    values = {v for k, v in vars(cls).items() if k.isupper() and isinstance(v, str)}
    return values or None


def _is_model(type_name: str) -> bool:
    return type_name in ERROR_SHAPES or (
        type_name in _classes() and hasattr(_classes()[type_name], "_names")
    )


def path_exists(model: str, path: str) -> bool:
    """Whether `path` ("a.b[].c") names a member chain the model declares."""
    current = model
    for step in path.split("."):
        is_list_step = step.endswith("[]")
        name = step[:-2] if is_list_step else step
        if not _is_model(current):
            return False
        declared = members(current).get(name)
        if declared is None:
            return False
        inner = LIST.match(declared)
        if is_list_step != bool(inner):
            return False
        current = inner.group(1) if inner else declared
    return True


def undeclared(model: str, data: Any, prefix: str = "") -> list[str]:
    """Members of `data` the model does not declare, and enum values it
    does not know, as readable paths (empty when the answer is PayPal's shape)."""
    problems: list[str] = []
    if not isinstance(data, dict):
        return [f"{prefix or model}: not an object"]
    declared = members(model)
    for key, value in data.items():
        path = f"{prefix}{key}"
        type_name = declared.get(key)
        if type_name is None:
            problems.append(f"{path}: not in {model}")
            continue
        inner = LIST.match(type_name)
        if inner:
            if not isinstance(value, list):
                problems.append(f"{path}: not a list")
                continue
            for item in value:
                problems += _value(inner.group(1), item, f"{path}[]")
        else:
            problems += _value(type_name, value, path)
    return problems


def _value(type_name: str, value: Any, path: str) -> list[str]:
    if _is_model(type_name):
        return undeclared(type_name, value, f"{path}.")
    values = enum_values(type_name)
    if values is not None and value not in values:
        return [f"{path}: {value!r} is not a {type_name}"]
    if type_name in SCALARS or values is not None:
        return []
    return [f"{path}: unknown type {type_name}"]
