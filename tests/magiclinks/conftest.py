from .fixtures import _rate_limits_isolated, clock  # noqa: F401
