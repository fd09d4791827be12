"""Production settings: with DEBUG off the app refuses to start without
SECRET_KEY, ALLOWED_HOSTS, SITE_URL, EMAIL_URL and FIELD_ENCRYPTION_KEYS (naming
each one missing) or with an unsafe default, and with them `manage.py check
--deploy` reports nothing at all."""

import json
import secrets
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection
from django.test import override_settings

from tests.conftest import database_url
from tests.support.subprocesses import clean_env, run_manage, run_python

IMPORT_SETTINGS = "import hub.settings as s; print('started', s.DEBUG)"
REQUIRED = ("SECRET_KEY", "ALLOWED_HOSTS", "SITE_URL", "EMAIL_URL", "FIELD_ENCRYPTION_KEYS")
PRODUCTION = {
    "SECRET_KEY": "x",  # replaced per test by a long random key
    "ALLOWED_HOSTS": "hub.example.com",
    "SITE_URL": "https://hub.example.com",
    "EMAIL_URL": "smtp://mail.example.com:25",
    "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    # Read at start-up, never connected to by these tests.
    "REDIS_URL": "redis://127.0.0.1:9/0",
}


def production_env(tmp_path, **values) -> dict[str, str]:
    env = clean_env(
        DEBUG="0",
        DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        **{**PRODUCTION, "SECRET_KEY": secrets.token_urlsafe(64)},
    )
    env.update(values)
    return {k: v for k, v in env.items() if v is not None}


def test_it_refuses_to_start_without_debug_naming_every_missing_setting(tmp_path):
    env = production_env(tmp_path, **dict.fromkeys(REQUIRED))
    result = run_python(IMPORT_SETTINGS, env=env)
    assert result.returncode != 0
    assert "started" not in result.stdout
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY, ALLOWED_HOSTS, SITE_URL, EMAIL_URL, FIELD_ENCRYPTION_KEYS" in result.stderr


@pytest.mark.parametrize("missing", REQUIRED)
def test_it_names_exactly_the_one_setting_that_is_missing(tmp_path, missing):
    result = run_python(IMPORT_SETTINGS, env=production_env(tmp_path, **{missing: None}))
    assert result.returncode != 0
    message = result.stderr.strip().splitlines()[-1]
    assert missing in message
    for present in set(REQUIRED) - {missing}:
        assert present not in message


@pytest.mark.parametrize("missing", REQUIRED)
def test_an_empty_value_counts_as_missing(tmp_path, missing):
    result = run_python(IMPORT_SETTINGS, env=production_env(tmp_path, **{missing: ""}))
    assert result.returncode != 0
    assert missing in result.stderr.strip().splitlines()[-1]


def test_it_starts_with_every_production_setting(tmp_path):
    result = run_python(IMPORT_SETTINGS, env=production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "started False"


def test_the_demo_starts_with_debug_on_and_nothing_set(tmp_path):
    env = production_env(tmp_path, DEBUG="1", **dict.fromkeys(REQUIRED))
    result = run_python(IMPORT_SETTINGS, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "started True"


def test_check_deploy_reports_nothing_with_production_settings(tmp_path, db):
    env = production_env(tmp_path)
    if connection.vendor == "postgresql":
        env["DATABASE_URL"] = database_url()  # with the connection pool, as deployed
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNINGS" not in result.stdout + result.stderr


def test_check_deploy_does_warn_about_an_insecure_setup(tmp_path):
    # The control: the same command does report what production must not have.
    env = production_env(tmp_path, SECRET_KEY="short", SECURE_SSL_REDIRECT="false")
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "security.W009" in result.stderr + result.stdout  # weak SECRET_KEY
    assert "security.W008" in result.stderr + result.stdout  # no SSL redirect


def test_production_cookies_and_headers_are_secure(tmp_path):
    code = (
        "import hub.settings as s; print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS > 0, s.CSRF_TRUSTED_ORIGINS)"
    )
    result = run_python(code, env=production_env(tmp_path))
    assert result.stdout.strip() == "True True True True ['https://hub.example.com']"


def test_the_migrations_match_the_models(db):
    # A model change without its migration would pass on a test database
    # built from the models, then fail in production.
    call_command("makemigrations", "--check", "--dry-run", stdout=StringIO())


SHOW = (
    "import json, hub.settings as s; print(json.dumps({"
    "'engine': s.DATABASES['default']['ENGINE'],"
    "'name': str(s.DATABASES['default']['NAME']),"
    "'pool': 'pool' in s.DATABASES['default'].get('OPTIONS', {}),"
    "'eager': s.CELERY_TASK_ALWAYS_EAGER, 'broker': s.CELERY_BROKER_URL,"
    "'cache': s.CACHES['default']['BACKEND'].rsplit('.', 1)[-1],"
    "'email': s.EMAIL_BACKEND.rsplit('.', 2)[-2], 'tz': s.TIME_ZONE}))"
)


def show_settings(tmp_path, **values) -> dict:
    env = production_env(tmp_path, **{"DATABASE_URL": None, **values})
    result = run_python(SHOW, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_embedded_defaults_need_no_service(tmp_path):
    shown = show_settings(tmp_path, DEBUG="1", EMAIL_URL=None, REDIS_URL=None)
    assert shown["engine"] == "django.db.backends.sqlite3"
    assert shown["name"].endswith("var/db.sqlite3")
    assert (shown["eager"], shown["broker"], shown["cache"]) == (True, "memory://", "LocMemCache")
    assert shown["email"] == "devmail"  # printed and kept for /_dev/mail/
    assert shown["tz"] == "UTC"


def test_services_come_from_the_environment(tmp_path):
    shown = show_settings(
        tmp_path,
        DATABASE_URL="postgres://hub@db.internal:5432/hub",
        REDIS_URL="redis://cache.internal:6379/0",
        EMAIL_URL="smtp://mail.internal:25",
        TIME_ZONE="Europe/Berlin",
    )
    assert shown["engine"] == "django.db.backends.postgresql"
    assert shown["pool"] is True  # Django's psycopg pool
    assert (shown["eager"], shown["broker"]) == (False, "redis://cache.internal:6379/0")
    assert shown["cache"] == "HubRedisCache"
    assert shown["email"] == "smtp"
    assert shown["tz"] == "Europe/Berlin"


def test_the_pool_can_be_switched_off(tmp_path):
    shown = show_settings(
        tmp_path,
        DATABASE_URL="postgres://hub@db.internal:5432/hub",
        DATABASE_POOL="false",
    )
    assert shown["pool"] is False


def test_sessions_are_read_from_redis_first_when_there_is_redis(tmp_path):
    code = "import hub.settings as s; print(s.SESSION_ENGINE, s.CELERY_PDF_QUEUE)"
    with_redis = run_python(
        code, env=production_env(tmp_path, REDIS_URL="redis://127.0.0.1:6379/9")
    )
    assert with_redis.stdout.split() == ["django.contrib.sessions.backends.cached_db", "pdf"]
    without = run_python(
        code,
        env=production_env(
            tmp_path, REDIS_URL=None, ALLOW_EAGER_TASKS="1", ALLOW_LOCMEM_RATE_LIMITS="1"
        ),
    )
    assert without.stdout.split()[0] == "django.contrib.sessions.backends.db"


UNSAFE = {
    "eager tasks": ({"REDIS_URL": None, "ALLOW_LOCMEM_RATE_LIMITS": "1"}, "tasks run eagerly"),
    "locmem rate limits": ({"REDIS_URL": None, "ALLOW_EAGER_TASKS": "1"}, "rate limits are"),
    "console mail": ({"EMAIL_URL": "consolemail://"}, "mail is printed"),
}


@pytest.mark.parametrize("unsafe", UNSAFE, ids=list(UNSAFE))
def test_it_refuses_to_start_with_an_unsafe_default(tmp_path, unsafe):
    values, message = UNSAFE[unsafe]
    result = run_python(IMPORT_SETTINGS, env=production_env(tmp_path, **values))
    assert result.returncode != 0
    assert message in result.stderr
    # check --deploy fails on it too.
    result = run_manage("check", "--deploy", env=production_env(tmp_path, **values))
    assert result.returncode != 0
    assert message in result.stderr


def test_it_starts_with_every_unsafe_default_explicitly_allowed(tmp_path):
    env = production_env(
        tmp_path,
        REDIS_URL=None,
        EMAIL_URL="consolemail://",
        ALLOW_EAGER_TASKS="1",
        ALLOW_LOCMEM_RATE_LIMITS="1",
        ALLOW_CONSOLE_EMAIL="1",
    )
    result = run_python(IMPORT_SETTINGS, env=env)
    assert result.returncode == 0, result.stderr


def test_it_refuses_a_field_encryption_key_that_is_not_a_fernet_key(tmp_path):
    result = run_python(
        IMPORT_SETTINGS, env=production_env(tmp_path, FIELD_ENCRYPTION_KEYS="not-a-key")
    )
    assert result.returncode != 0
    assert "FIELD_ENCRYPTION_KEYS must be Fernet keys" in result.stderr


def test_check_deploy_reports_each_unsafe_default_of_a_settings_module(db, settings):
    # A settings module that imports ours and changes values afterwards (as
    # tests/settings.py does) is caught by the deploy checks.
    with (
        override_settings(
            CELERY_TASK_ALWAYS_EAGER=True,
            ALLOW_EAGER_TASKS=False,
            CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
            ALLOW_LOCMEM_RATE_LIMITS=False,
            EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend",
            ALLOW_CONSOLE_EMAIL=False,
            FIELD_ENCRYPTION_KEYS=[settings.FIELD_ENCRYPTION_DEMO_KEY],
        ),
        pytest.raises(SystemCheckError) as raised,
    ):
        call_command("check", "--deploy", "--tag", "security", stdout=StringIO())
    for check_id in ("hub.E001", "hub.E002", "hub.E003", "hub.E004"):
        assert check_id in str(raised.value)


def test_the_settings_docstring_names_every_setting_production_requires():
    import hub.settings

    assert set(hub.settings._DEMO_DEFAULTS) == set(REQUIRED)
    for name in REQUIRED:
        assert f"- {name}" in hub.settings.__doc__


def test_the_start_up_refusal_and_the_deploy_check_read_one_list(tmp_path, monkeypatch):
    from hub import unsafe_defaults

    env = production_env(tmp_path, REDIS_URL=None, EMAIL_URL="consolemail://")
    result = run_python(IMPORT_SETTINGS, env=env)
    assert result.returncode != 0
    for unsafe in unsafe_defaults.UNSAFE_DEFAULTS[:3]:
        assert f"{unsafe.problem} ({unsafe.fix})" in result.stderr
    # An entry added to the list is refused by check --deploy with no other
    # change: the check has no list of its own.
    extra = unsafe_defaults.UnsafeDefault("hub.E099", "a new danger", "set X", lambda s: True)
    monkeypatch.setattr(
        unsafe_defaults, "UNSAFE_DEFAULTS", (*unsafe_defaults.UNSAFE_DEFAULTS, extra)
    )
    with pytest.raises(SystemCheckError) as raised:
        call_command("check", "--deploy", "--tag", "security", stdout=StringIO())
    assert "hub.E099" in str(raised.value) and "A new danger." in str(raised.value)


def test_it_refuses_to_start_with_the_public_demo_encryption_key(tmp_path):
    from hub.unsafe_defaults import UNSAFE_DEFAULTS

    demo_key = "ZGVtby1vbmx5LWZpZWxkLWVuY3J5cHRpb24ta2V5LTE="
    result = run_python(
        IMPORT_SETTINGS, env=production_env(tmp_path, FIELD_ENCRYPTION_KEYS=demo_key)
    )
    assert result.returncode != 0
    assert UNSAFE_DEFAULTS[3].problem in result.stderr
