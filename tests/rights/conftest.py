from tests.magiclinks.fixtures import _rate_limits_isolated  # noqa: F401 (autouse)
