"""The defaults that are right for the demo and unsafe in production, listed
once. Two places refuse them and both read this list: hub/settings.py (with
DEBUG off the process does not start) and hub/checks.py (`check --deploy`,
which also sees a settings module that changes values after importing ours,
as tests/settings.py does). Plain Python: the settings module imports it
before Django is set up.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# Backends that print mail (the dev mail box prints and keeps it).
CONSOLE_EMAIL_BACKENDS = frozenset(
    {"django.core.mail.backends.console.EmailBackend", "hub.devmail.DevMailBackend"}
)


@dataclass(frozen=True)
class UnsafeDefault:
    check_id: str  # the `check --deploy` error id
    problem: str  # what is unsafe, in the operator's words
    fix: str  # what to set instead
    applies: Callable[[Any], bool]  # given the settings (any object with their names)


UNSAFE_DEFAULTS = (
    # A slow SMTP server holds up the answer, and the access form's timing
    # tells known emails apart.
    UnsafeDefault(
        "hub.E001",
        "tasks run eagerly in the web process",
        "set REDIS_URL for a broker and a worker, or ALLOW_EAGER_TASKS=1",
        lambda s: s.CELERY_TASK_ALWAYS_EAGER and not s.ALLOW_EAGER_TASKS,
    ),
    # Each worker process would allow the full limit.
    UnsafeDefault(
        "hub.E002",
        "rate limits are counted per process (local-memory cache)",
        "set REDIS_URL, or ALLOW_LOCMEM_RATE_LIMITS=1",
        lambda s: (
            s.CACHES["default"]["BACKEND"].endswith("LocMemCache")
            and not s.ALLOW_LOCMEM_RATE_LIMITS
        ),
    ),
    UnsafeDefault(
        "hub.E003",
        "mail is printed to the log: access links would end up there",
        "set EMAIL_URL=smtp://..., or ALLOW_CONSOLE_EMAIL=1",
        lambda s: s.EMAIL_BACKEND in CONSOLE_EMAIL_BACKENDS and not s.ALLOW_CONSOLE_EMAIL,
    ),
    # The demo key is public (it is in our source): secrets encrypted with
    # it are as good as plain text.
    UnsafeDefault(
        "hub.E004",
        "FIELD_ENCRYPTION_KEYS is not set (or holds the public demo key)",
        "set FIELD_ENCRYPTION_KEYS to your own Fernet key(s)",
        lambda s: (
            not s.FIELD_ENCRYPTION_KEYS or s.FIELD_ENCRYPTION_DEMO_KEY in s.FIELD_ENCRYPTION_KEYS
        ),
    ),
)


def unsafe_defaults(settings: Any) -> list[UnsafeDefault]:
    """The unsafe defaults `settings` holds (django.conf.settings, or the
    settings module's namespace while it is being read)."""
    return [unsafe for unsafe in UNSAFE_DEFAULTS if unsafe.applies(settings)]
