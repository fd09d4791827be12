"""Run Django in a fresh Python process with an environment we choose, for
tests about what happens at start-up or when a service is unreachable."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent

# Everything the settings read from the environment; a child process starts
# from none of the parent's values for these (tests/settings.py sets some).
HUB_SETTINGS_ENV = {
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "SITE_URL",
    "CSRF_TRUSTED_ORIGINS",
    "DATABASE_URL",
    "DATABASE_POOL",
    "DATABASE_POOL_TIMEOUT",
    "DATABASE_CONNECT_TIMEOUT",
    "HUB_PROCESS",
    "TASK_RETRY_BROKER_MAX_DELAY",
    "TASK_RETRY_SWEEP_SECONDS",
    "WEBHOOK_SWEEP_AFTER",
    "WEBHOOK_SWEEP_SECONDS",
    "ACCESS_LINK_SEND_LEASE",
    "CELERY_VISIBILITY_TIMEOUT",
    "CELERY_UNACKED_RESTORE_INTERVAL",
    "REDIS_URL",
    "EMAIL_URL",
    "DEV_MAIL_DIR",
    "MEDIA_ROOT",
    "STATIC_ROOT",
    "SECURE_SSL_REDIRECT",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
    "FIELD_ENCRYPTION_KEYS",
    "ALLOW_EAGER_TASKS",
    "ALLOW_LOCMEM_RATE_LIMITS",
    "ALLOW_CONSOLE_EMAIL",
    "TRUSTED_PROXIES",
    "HUB_ACCESS_RATE_PER_EMAIL",
    "HUB_ACCESS_RATE_PER_IP",
    "HUB_CODE_RATE_PER_IP",
    "HUB_CODE_WRONG_RATE_PER_EMAIL",
    "DJANGO_SETTINGS_MODULE",
    "HUB_TEST_MAIL_DIR",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # set by tests/conftest.py for Playwright
}


def clean_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in HUB_SETTINGS_ENV}
    env.update(values)
    return env


def run_python(
    code: str, *, env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_manage(*args: str, env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
