"""Settings for the test suite: the real settings, with test-only values for
what production would have to provide."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-0d3e8f7a6b5c4d3e2f1a0b9c8d7e6f5a")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")
os.environ.setdefault("SITE_URL", "http://testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SESSION_COOKIE_SECURE", "false")
os.environ.setdefault("CSRF_COOKIE_SECURE", "false")
os.environ.setdefault("SECURE_HSTS_SECONDS", "0")
os.environ.setdefault("EMAIL_URL", "consolemail://")
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "dGVzdHMtb25seS1maWVsZC1lbmNyeXB0aW9uLWtleTE=")
# The suite runs without DEBUG, as production does, and opts in to what it
# replaces below or runs without services (tasks eager, per-process limits).
os.environ.setdefault("ALLOW_EAGER_TASKS", "1")
os.environ.setdefault("ALLOW_LOCMEM_RATE_LIMITS", "1")
os.environ.setdefault("ALLOW_CONSOLE_EMAIL", "1")

from hub.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests change vendors with .update() and expect the next request to see it;
# tests/vendors/test_vendor_cache.py turns the cache on where it is the subject.
HUB_VENDOR_CACHE_SECONDS = 0
# Shared with the worker subprocesses this run starts (they inherit the env).
MEDIA_ROOT = os.environ.setdefault(
    "HUB_TEST_MEDIA_ROOT", tempfile.mkdtemp(prefix="hub-test-media-")
)
STATIC_ROOT = tempfile.mkdtemp(prefix="hub-test-static-")
WHITENOISE_USE_FINDERS = True
DEV_MAIL_DIR = tempfile.mkdtemp(prefix="hub-test-mail-")
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405

# Each pytest process gets its own queue and cache prefix, so two runs on one
# machine (or a run beside the demo) never take each other's tasks or limits.
_RUN_ID = os.environ.setdefault("HUB_TEST_RUN_ID", str(os.getpid()))
CELERY_TASK_DEFAULT_QUEUE = f"hub-test-{_RUN_ID}"
CELERY_PDF_QUEUE = f"hub-test-{_RUN_ID}-pdf"
CELERY_WEBHOOKS_QUEUE = f"hub-test-{_RUN_ID}-webhooks"
CELERY_TASK_ROUTES = {
    "billing.tasks.invoice_pdf_render_task": {"queue": CELERY_PDF_QUEUE},
    "billing.tasks.credit_note_pdf_render_task": {"queue": CELERY_PDF_QUEUE},
    "billing.tasks.webhook_event_process_task": {"queue": CELERY_WEBHOOKS_QUEUE},
}
if REDIS_URL:  # noqa: F405
    CACHES["default"]["KEY_PREFIX"] = f"hub-test-{_RUN_ID}"  # noqa: F405
# Events are processed at once (no window to gather a renewal's events);
# tests/billing/test_webhook_reads.py turns the window on where it is the subject.
WEBHOOK_COALESCE_SECONDS = 0.0
# Tasks run eagerly unless a test starts a real worker (the celery_worker
# fixture switches the app to the broker for that test).
# A worker subprocess may ask for the broker too (HUB_TEST_EAGER=0): then a
# task it queues (a retry, a re-queued event, a receipt) goes through Redis
# as in production instead of running inline in the worker.
CELERY_TASK_ALWAYS_EAGER = os.environ.get("HUB_TEST_EAGER", "1") != "0"
# The diagnostic task lives with the tests; the worker subprocess loads it too.
CELERY_IMPORTS = ["tests.support.tasks"]

if os.environ.get("HUB_TEST_MAIL_DIR"):
    # The worker subprocess of the real-worker tests writes mail to files.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = os.environ["HUB_TEST_MAIL_DIR"]
else:
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# make mutation starts one pytest session per mutant, hundreds in all: with
# HUB_TEST_SQLITE_FILE and pytest's --reuse-db they share one migrated SQLite
# file instead of building the schema in memory for every session.
if os.environ.get("HUB_TEST_SQLITE_FILE") and DATABASES["default"]["ENGINE"].endswith("sqlite3"):  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": os.environ["HUB_TEST_SQLITE_FILE"]}  # noqa: F405
