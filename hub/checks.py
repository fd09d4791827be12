"""`manage.py check --deploy`: the unsafe defaults that hub/settings.py
refuses outside DEBUG, reported as errors for any settings module (a
settings file that imports ours and changes values afterwards included)."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def unsafe_defaults_check(app_configs, **kwargs) -> list[Error]:
    errors = []
    if settings.CELERY_TASK_ALWAYS_EAGER and not settings.ALLOW_EAGER_TASKS:
        errors.append(
            Error(
                "Tasks run eagerly in the web process.",
                hint="Set REDIS_URL (a broker and a worker), or ALLOW_EAGER_TASKS=1.",
                id="hub.E001",
            )
        )
    if settings.CACHES["default"]["BACKEND"].endswith("LocMemCache") and not (
        settings.ALLOW_LOCMEM_RATE_LIMITS
    ):
        errors.append(
            Error(
                "Rate limits are counted per process (local-memory cache).",
                hint="Set REDIS_URL, or ALLOW_LOCMEM_RATE_LIMITS=1.",
                id="hub.E002",
            )
        )
    if settings.EMAIL_BACKEND in settings.CONSOLE_EMAIL_BACKENDS and not (
        settings.ALLOW_CONSOLE_EMAIL
    ):
        errors.append(
            Error(
                "Mail is printed to the log: access links would end up there.",
                hint="Set EMAIL_URL=smtp://..., or ALLOW_CONSOLE_EMAIL=1.",
                id="hub.E003",
            )
        )
    keys = settings.FIELD_ENCRYPTION_KEYS
    if not keys or settings.FIELD_ENCRYPTION_DEMO_KEY in keys:
        errors.append(
            Error(
                "FIELD_ENCRYPTION_KEYS is not set (or holds the public demo key).",
                hint="Set FIELD_ENCRYPTION_KEYS to your own Fernet key(s).",
                id="hub.E004",
            )
        )
    return errors
