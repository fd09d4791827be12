"""Settings for Customer Hub, read from the environment (twelve-factor).

Every setting has a safe default for the demo. With DEBUG off the process
refuses to start without the five settings production cannot guess
(_DEMO_DEFAULTS below, naming every one missing):

- SECRET_KEY
- ALLOWED_HOSTS
- SITE_URL (every link in an email is built from it, never from Host)
- EMAIL_URL (the demo prints mail, and access links must not reach a log)
- FIELD_ENCRYPTION_KEYS (Fernet keys for the processor secrets at rest; the
  public demo key is refused too)

and, unless an ALLOW_ setting says the operator chose it, without REDIS_URL
(tasks would run in the web process and rate limits per process): the
unsafe defaults, listed once in hub/unsafe_defaults.py and reported by
`manage.py check --deploy` as well.
"""

from pathlib import Path
from types import SimpleNamespace

import environ
from django.core.exceptions import ImproperlyConfigured

from hub import unsafe_defaults as _unsafe

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

DEBUG = env.bool("DEBUG", default=False)

# In DEBUG (the demo) these fall back to local values; in production a
# missing one stops the process with a message naming every missing setting.
# EMAIL_URL too: the fallback prints mail, and access links must never end up
# in a production log.
_DEMO_DEFAULTS: dict[str, str] = {
    "SECRET_KEY": "demo-insecure-key-do-not-use-in-production-3c7f1b2e9a",
    "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
    "SITE_URL": "http://127.0.0.1:8000",
    "EMAIL_URL": "",
    # The demo's own key, public like the demo SECRET_KEY; production sets
    # its own (secrets are no longer derived from SECRET_KEY).
    "FIELD_ENCRYPTION_KEYS": "ZGVtby1vbmx5LWZpZWxkLWVuY3J5cHRpb24ta2V5LTE=",
}
_missing = [name for name in _DEMO_DEFAULTS if not env.str(name, default="")]
if _missing and not DEBUG:
    raise ImproperlyConfigured(
        "Customer Hub refuses to start with DEBUG off while these settings are missing: "
        + ", ".join(_missing)
        + ". Set them in the environment (see README.md)."
    )

SECRET_KEY = env.str("SECRET_KEY", default=_DEMO_DEFAULTS["SECRET_KEY"])
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=_DEMO_DEFAULTS["ALLOWED_HOSTS"].split(","))
# Links in emails and API answers are built from SITE_URL, never from the
# Host header, so a forged Host cannot redirect a customer's access link.
SITE_URL = env.str("SITE_URL", default=_DEMO_DEFAULTS["SITE_URL"]).rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[SITE_URL])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "vendors",
    "billing",
    "magiclinks",
    "rights",
    "hub",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "hub.middleware.ControlCharacterMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "hub.middleware.ContentSecurityPolicyMiddleware",
    # Inside the CSP middleware: the page it renders gets the nonce and header.
    "hub.middleware.HubNotFoundMiddleware",
    "hub.middleware.VendorMiddleware",
    "hub.middleware.ServiceUnavailableMiddleware",
]

ROOT_URLCONF = "hub.urls"
WSGI_APPLICATION = "hub.wsgi.application"
ASGI_APPLICATION = "hub.asgi.application"

# No "loaders" option: with it unset Django caches compiled templates in
# each process (the cached loader) and, with DEBUG on, reloads changed ones.
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "hub.context_processors.hub",
            ],
        },
    },
]

# Database: PostgreSQL through DATABASE_URL in production, an embedded SQLite
# file under var/ otherwise.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if not env.str("DATABASE_URL", default=""):
    VAR_DIR.mkdir(exist_ok=True)  # the embedded database's folder, on a fresh clone
_postgres = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded demo serves requests on threads and runs tasks (webhook
    # processing among them) in them. SQLite's defaults lock it up under
    # that: readers wait for writers without WAL, and a transaction that
    # read first and then writes gets "database is locked" at once, without
    # waiting, when another holds the write lock (no busy handler can help a
    # deferred transaction). So: WAL on every connection (readers never
    # block the writer), transactions take the write lock when they begin
    # (IMMEDIATE: then they queue instead of failing), and a queued one waits
    # up to 20 s (the busy timeout) rather than the default 5.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
            "transaction_mode": "IMMEDIATE",
            "timeout": env.int("SQLITE_BUSY_TIMEOUT", default=20),
        }
    )
if _postgres:
    # Database down: fail within seconds (a readiness probe and a person
    # waiting for a page both need an answer), not after the OS's minutes.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = env.int(
        "DATABASE_CONNECT_TIMEOUT", default=3
    )
# [issue 20] No statement waits without limit: a locked table held sync
# workers (and /healthz with them) for 30-43 s. A web request gets short
# limits and answers 503 when one fires (hub.outages); Celery tasks and
# management commands get longer ones. The process says what it is
# (HUB_PROCESS, set by hub.wsgi/hub.asgi and hub.celery); anything else
# (manage.py, scripts, the test runner) counts as a command.
HUB_PROCESS = env.str("HUB_PROCESS", default="command")
_DB_LIMITS = {  # (statement_timeout, lock_timeout) in milliseconds
    "web": (5_000, 2_000),
    "worker": (60_000, 10_000),
    "command": (30 * 60_000, 60_000),
}
_role = HUB_PROCESS if HUB_PROCESS in _DB_LIMITS else "command"
DATABASE_STATEMENT_TIMEOUT_MS = env.int(
    f"DATABASE_STATEMENT_TIMEOUT_{_role.upper()}", default=_DB_LIMITS[_role][0]
)
DATABASE_LOCK_TIMEOUT_MS = env.int(
    f"DATABASE_LOCK_TIMEOUT_{_role.upper()}", default=_DB_LIMITS[_role][1]
)
if _postgres:
    DATABASES["default"]["OPTIONS"]["options"] = (
        f"-c statement_timeout={DATABASE_STATEMENT_TIMEOUT_MS}"
        f" -c lock_timeout={DATABASE_LOCK_TIMEOUT_MS}"
    )
if _postgres and env.bool("DATABASE_POOL", default=True):
    # Django's psycopg pool: connections are reused across requests
    # without CONN_MAX_AGE (which must stay 0 with a pool).
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": env.int("DATABASE_POOL_MIN", default=2),
        "max_size": env.int("DATABASE_POOL_MAX", default=10),
        "timeout": env.int("DATABASE_POOL_TIMEOUT", default=5),
    }
    # [issue 20] After a database restart every pooled connection is dead:
    # Django's health check makes the pool test one before handing it out
    # (an empty query, well under a millisecond on loopback), or each
    # request after the outage meets a broken connection until the pool has
    # cycled them all.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = env.bool("DATABASE_POOL_CHECK", default=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Redis: broker and cache when REDIS_URL is set; otherwise tasks run eagerly
# in-process and the cache lives in local memory (the embedded demo).
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "hub.redis_cache.HubRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="hub"),
            # Redis down must be a quick 503, not a request that hangs.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# WeasyPrint's memory grows with each render; recycle the worker process.
CELERY_WORKER_MAX_TASKS_PER_CHILD = env.int("CELERY_WORKER_MAX_TASKS_PER_CHILD", default=200)
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_QUEUE", default="hub")
# [bench, issue 14] PDF renders have their own queue (and their own worker in
# docker-compose.yml) so a burst of renders never delays mail or webhooks.
CELERY_PDF_QUEUE = env.str("CELERY_PDF_QUEUE", default="pdf")
CELERY_TASK_ROUTES = {"billing.tasks.invoice_pdf_render_task": {"queue": CELERY_PDF_QUEUE}}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Periodic work, run by `celery -A hub beat` (one beat process per deployment).
CELERY_BEAT_SCHEDULE = {
    # Subscriptions cancelled for the end of a period that has now passed.
    "subscriptions-finalize": {
        "task": "billing.tasks.subscriptions_finalize_task",
        "schedule": 60 * 60,
    },
    # Payments II: raw webhook bodies past WEBHOOK_BODY_RETENTION_DAYS.
    "webhook-bodies-purge": {
        "task": "billing.tasks.webhook_bodies_purge_task",
        "schedule": 24 * 60 * 60,
    },
}
# Payments II: webhook processing has its own queue, so a burst of events (or
# a slow processor) never delays mail, and PDFs or mail never delay webhooks.
# Run a worker with `-Q <default>,webhooks` (or one per queue).
CELERY_WEBHOOKS_QUEUE = env.str("CELERY_WEBHOOKS_QUEUE", default="webhooks")
CELERY_TASK_ROUTES["billing.tasks.webhook_event_process_task"] = {"queue": CELERY_WEBHOOKS_QUEUE}
# Credit note PDFs render beside invoice PDFs.
CELERY_TASK_ROUTES["billing.tasks.credit_note_pdf_render_task"] = {"queue": CELERY_PDF_QUEUE}
# Retries of a failing webhook event (30 s doubling to an hour) before it is
# marked failed for staff; raw bodies are kept this many days.
WEBHOOK_MAX_RETRIES = env.int("WEBHOOK_MAX_RETRIES", default=8)
WEBHOOK_BODY_RETENTION_DAYS = env.int("WEBHOOK_BODY_RETENTION_DAYS", default=90)
# A task whose worker was killed (unacked, acks_late) is handed out again
# after this many seconds; Redis's default is an hour. It must exceed the
# longest task (a PDF render or an import page), or a slow task runs twice.
# Workers look for such tasks every CELERY_UNACKED_RESTORE_INTERVAL seconds:
# kombu's default scans only every tenth tick (100 s), which made "5 minutes"
# up to 7; one scan (a ZRANGE) per worker every 10 s costs nothing.
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=5 * 60)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    "unacked_restore_interval": env.int("CELERY_UNACKED_RESTORE_INTERVAL", default=10),
    "unacked_restore_throttle": 1,
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
}
# Hardening: sign-in records past their use.
CELERY_BEAT_SCHEDULE |= {
    # Declarations on the public cancellation and withdrawal pages whose work
    # (processing, confirmation, the vendor's notice) was not queued or not done.
    "rights-declarations-sweep": {
        "task": "rights.tasks.declarations_sweep_task",
        "schedule": 5 * 60,
    },
    # Reminders before a trial converts, an annual renewal, a card expiring.
    "rights-reminders": {
        "task": "rights.tasks.reminders_task",
        "schedule": 24 * 60 * 60,
    },
    "purge-expired-sessions-and-old-links": {
        "task": "magiclinks.tasks.access_records_purge_task",
        "schedule": 24 * 60 * 60,
    },
    # Reminders recorded whose email was not queued or not sent (broker down).
    "rights-reminders-sweep": {
        "task": "rights.tasks.reminders_sweep_task",
        "schedule": 15 * 60,
    },
    # Cancellations, withdrawals, requests and reminders kept past three
    # years (California's automatic renewal law asks for at least three).
    "rights-records-purge": {
        "task": "rights.tasks.rights_records_purge_task",
        "schedule": 24 * 60 * 60,
    },
}
# [issue 20] A retry waiting on its countdown is an unacknowledged message,
# handed out again once the visibility timeout passes: a retry due later than
# this waits in the database instead (vendors.retries) and beat re-enqueues it
# every TASK_RETRY_SWEEP_SECONDS. Half the timeout leaves the other half for
# the task's own run.
TASK_RETRY_BROKER_MAX_DELAY = env.int(
    "TASK_RETRY_BROKER_MAX_DELAY", default=CELERY_VISIBILITY_TIMEOUT // 2
)
TASK_RETRY_SWEEP_SECONDS = env.float("TASK_RETRY_SWEEP_SECONDS", default=30.0)
# [issue 20] An event we answered 2xx for is processed: beat re-queues events
# left pending or retrying for WEBHOOK_SWEEP_AFTER seconds without a retry
# waiting for them (a broker outage at receipt, a task that died).
WEBHOOK_SWEEP_AFTER = env.int("WEBHOOK_SWEEP_AFTER", default=10 * 60)
WEBHOOK_SWEEP_SECONDS = env.float("WEBHOOK_SWEEP_SECONDS", default=60.0)
CELERY_BEAT_SCHEDULE |= {
    "scheduled-retries-enqueue": {
        "task": "vendors.tasks.scheduled_retries_enqueue_task",
        "schedule": TASK_RETRY_SWEEP_SECONDS,
    },
    "webhook-events-sweep": {
        "task": "billing.tasks.webhook_events_sweep_task",
        "schedule": WEBHOOK_SWEEP_SECONDS,
    },
}
# [issue 26] Receipts are batched in Redis by time of payment and sent
# RECEIPT_BATCH_SIZE per mail connection (billing.documents.receipts). A
# sender starts RECEIPT_BATCH_WAIT_SECONDS after the first receipt of a burst
# (the others join its batch), works at most RECEIPT_SENDER_SECONDS before
# handing over, and leases what it took for RECEIPT_CLAIM_SECONDS (longer than
# a batch takes; a dead sender's receipts come back after it). Beat starts a
# sender every RECEIPT_SWEEP_SECONDS when receipts wait without one. A
# recipient the mail server refuses is tried RECEIPT_MAX_ATTEMPTS times.
RECEIPT_BATCH_SIZE = env.int("RECEIPT_BATCH_SIZE", default=50)
RECEIPT_BATCH_WAIT_SECONDS = env.float("RECEIPT_BATCH_WAIT_SECONDS", default=1.0)
RECEIPT_SENDER_SECONDS = env.float("RECEIPT_SENDER_SECONDS", default=50.0)
RECEIPT_CLAIM_SECONDS = env.int("RECEIPT_CLAIM_SECONDS", default=5 * 60)
RECEIPT_SWEEP_SECONDS = env.float("RECEIPT_SWEEP_SECONDS", default=30.0)
RECEIPT_MAX_ATTEMPTS = env.int("RECEIPT_MAX_ATTEMPTS", default=10)
CELERY_BEAT_SCHEDULE["receipts-sweep"] = {
    "task": "billing.tasks.receipts_sweep_task",
    "schedule": RECEIPT_SWEEP_SECONDS,
}
# Publishing a task with Redis down fails within seconds instead of hanging
# the request (the caller answers 503, see hub.middleware).
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0.2, "interval_step": 0.5}

# Mail. In DEBUG without EMAIL_URL (production requires it), mail is printed
# and kept under var/mail so the demo's /_dev/mail/ page can show it.
EMAIL_URL = env.str("EMAIL_URL", default="")
if EMAIL_URL:
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "hub.devmail.DevMailBackend"
# [issue 20] An SMTP server that accepts the connection and then says
# nothing would hold a worker (and the task's claim) for good: give up after
# this many seconds and let the task retry.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEV_MAIL_DIR = Path(env.str("DEV_MAIL_DIR", default=str(VAR_DIR / "mail")))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Customer Hub <hub@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
# Exactly the languages with a catalog in locale/ (English is the source):
# tests/hub/test_catalogs.py fails for a language here without a complete
# one. Regional formats (dates, money) come from babel with the vendor's
# country, not from a regional variant here. docs/translating.md adds one.
LANGUAGES = [
    ("en", "English"),
    ("de", "Deutsch"),
    ("fr", "Français"),
    ("es", "Español"),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "hub.staticfiles.HubStaticFilesStorage"
        )
    },
}

# Sessions and cookies.
# [bench, issue 14] With Redis, sessions are read from the cache and written
# through to the database (cached_db): a signed-in page skips the session
# query, and a Redis flush or outage falls back to the database instead of
# signing everyone out. Every web process shares them, so any number of
# processes can serve one customer.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if REDIS_URL
    else "django.contrib.sessions.backends.db"
)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 12 * 60 * 60
HUB_SESSION_IDLE = env.int("HUB_SESSION_IDLE", default=30 * 60)
# How long a web process reuses a vendor it loaded (vendors.selectors); 0 = never.
HUB_VENDOR_CACHE_SECONDS = env.float("HUB_VENDOR_CACHE_SECONDS", default=5.0)
HUB_SESSION_MAX_AGE = env.int("HUB_SESSION_MAX_AGE", default=12 * 60 * 60)
ACCESS_LINK_MAX_AGE = env.int("ACCESS_LINK_MAX_AGE", default=60 * 60)
# [issue 20] How long one run of an access-link task owns the sending of its
# link (magiclinks.services); shorter than the visibility timeout, so the
# redelivered message of a run that died finds the claim lapsed.
ACCESS_LINK_SEND_LEASE = env.int(
    "ACCESS_LINK_SEND_LEASE",
    default=max(1, min(120, env.int("CELERY_VISIBILITY_TIMEOUT", default=5 * 60) // 2)),
)
# Seconds after a Send Profile Link before staff can send that customer
# another: a double press or two colleagues must not flood an inbox.
PROFILE_LINK_COOLDOWN = env.int("PROFILE_LINK_COOLDOWN", default=5 * 60)


def _rate(name: str, default: str) -> tuple[int, int]:
    """A rate limit from the environment as "<requests>/<seconds>"."""
    value = env.str(name, default=default)
    try:
        count, window = (int(part) for part in value.split("/"))
    except ValueError:
        raise ImproperlyConfigured(f'{name} must look like "5/3600" (requests/seconds).') from None
    if count < 1 or window < 1:
        raise ImproperlyConfigured(f"{name} needs at least one request in at least one second.")
    return count, window


# Rate limits (magiclinks/ratelimit.py), tunable per deployment.
HUB_ACCESS_RATE_PER_EMAIL = _rate("HUB_ACCESS_RATE_PER_EMAIL", "5/3600")
HUB_ACCESS_RATE_PER_IP = _rate("HUB_ACCESS_RATE_PER_IP", "30/600")
HUB_CODE_RATE_PER_IP = _rate("HUB_CODE_RATE_PER_IP", "20/600")
HUB_CODE_WRONG_RATE_PER_EMAIL = _rate("HUB_CODE_WRONG_RATE_PER_EMAIL", "10/3600")
# The public cancellation page (rights/views.py): per client IP, and per
# (vendor, typed email) so that nobody makes us mail one address over and over.
HUB_CANCEL_RATE_PER_IP = _rate("HUB_CANCEL_RATE_PER_IP", "20/600")
HUB_CANCEL_RATE_PER_EMAIL = _rate("HUB_CANCEL_RATE_PER_EMAIL", "5/3600")
# An email change mails the vendor's confirmation to an address the customer
# types: per customer, and per target address (whoever asks, at any vendor),
# so a signed-in customer cannot make us mail a stranger over and over.
HUB_EMAIL_CHANGE_RATE_PER_CUSTOMER = _rate("HUB_EMAIL_CHANGE_RATE_PER_CUSTOMER", "5/3600")
HUB_EMAIL_CHANGE_RATE_PER_ADDRESS = _rate("HUB_EMAIL_CHANGE_RATE_PER_ADDRESS", "3/86400")
# Failed vendor-API authentications per client IP (then 429 for that IP).
HUB_API_AUTH_FAILURES_PER_IP = _rate("HUB_API_AUTH_FAILURES_PER_IP", "20/600")

# Security headers. Production defaults are strict; a deployment that
# terminates TLS at a proxy sets SECURE_PROXY_SSL_HEADER=true.
_secure = not DEBUG
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=_secure)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=_secure)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=_secure)
# Load balancers probe over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000 if _secure else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=_secure)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if env.bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# The proxies in front of the app (CIDRs): X-Forwarded-For is believed only
# for hops of these networks (vendors/clientip.py). Empty: REMOTE_ADDR is the
# client, which is right only when nothing sits in front of gunicorn.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
SILENCED_SYSTEM_CHECKS: list[str] = []
if SECURE_HSTS_SECONDS and not SECURE_HSTS_PRELOAD:
    # Preloading is a deliberate, hard-to-undo choice left to the operator.
    SILENCED_SYSTEM_CHECKS.append("security.W021")

# Keys for the processor secrets stored in the database (Fernet). The first
# key encrypts; all of them decrypt, so a key is rotated by prepending it and
# running `manage.py rotate_encryption_key`. Required outside DEBUG.
FIELD_ENCRYPTION_DEMO_KEY = _DEMO_DEFAULTS["FIELD_ENCRYPTION_KEYS"]
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[FIELD_ENCRYPTION_DEMO_KEY])
try:
    from cryptography.fernet import Fernet

    for _key in FIELD_ENCRYPTION_KEYS:
        Fernet(_key)
except ValueError:
    raise ImproperlyConfigured(
        "FIELD_ENCRYPTION_KEYS must be Fernet keys (32 url-safe base64-encoded bytes), "
        "separated by commas; make one with "
        "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key())'`."
    ) from None

# What would be fine in the demo and is unsafe in production: tasks run in
# the web process (a slow SMTP server holds up the answer, and the access
# form's timing tells known emails apart), rate limits counted per process
# (each worker allows the full limit), mail printed to the log (access links
# in the log), the public demo encryption key. Outside DEBUG each one stops
# the process unless its ALLOW_ setting says the operator chose it (the demo
# key has none); `check --deploy` reports them too (hub/checks.py).
ALLOW_EAGER_TASKS = env.bool("ALLOW_EAGER_TASKS", default=DEBUG)
ALLOW_LOCMEM_RATE_LIMITS = env.bool("ALLOW_LOCMEM_RATE_LIMITS", default=DEBUG)
ALLOW_CONSOLE_EMAIL = env.bool("ALLOW_CONSOLE_EMAIL", default=DEBUG)
# The list is hub/unsafe_defaults.py, read here and by `check --deploy`.
CONSOLE_EMAIL_BACKENDS = _unsafe.CONSOLE_EMAIL_BACKENDS
UNSAFE_DEFAULTS = [
    f"{unsafe.problem} ({unsafe.fix})"
    for unsafe in _unsafe.unsafe_defaults(SimpleNamespace(**globals()))
]
if UNSAFE_DEFAULTS and not DEBUG:
    raise ImproperlyConfigured(
        "Customer Hub refuses to start with DEBUG off and unsafe defaults: "
        + "; ".join(UNSAFE_DEFAULTS)
        + "."
    )

# Processors. Production leaves the *_BASE settings unset; tests and the demo
# point the official SDKs at local fakes.
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="")
STRIPE_JS_URL = env.str("STRIPE_JS_URL", default="https://js.stripe.com/v3/")
PAYPAL_API_BASE = env.str("PAYPAL_API_BASE", default="")
# Network retries inside one processor call (the SDKs back off between them).
STRIPE_MAX_NETWORK_RETRIES = env.int("STRIPE_MAX_NETWORK_RETRIES", default=2)
# [issue 26] One token bucket per processor account in Redis, shared by every
# worker on every machine, taken before each call of the webhook path.
# Stripe's documented limits: 100 reads/s per account live, 25 in test mode;
# PayPal publishes none (ours is a setting). The bucket refills at (1 - burst
# fraction) of the limit and holds the rest as a burst: at most the limit in
# any one second. A thread waits up to PROCESSOR_RATE_MAX_WAIT seconds for a
# token (and up to PROCESSOR_RETRY_AFTER_MAX_WAIT for a 429's Retry-After)
# before its task retries later instead.
STRIPE_RATE_LIMIT_LIVE = env.float("STRIPE_RATE_LIMIT_LIVE", default=100.0)
STRIPE_RATE_LIMIT_TEST = env.float("STRIPE_RATE_LIMIT_TEST", default=25.0)
PAYPAL_RATE_LIMIT = env.float("PAYPAL_RATE_LIMIT", default=50.0)
PROCESSOR_RATE_BURST_FRACTION = env.float("PROCESSOR_RATE_BURST_FRACTION", default=0.1)
PROCESSOR_RATE_MAX_WAIT = env.float("PROCESSOR_RATE_MAX_WAIT", default=20.0)
PROCESSOR_RETRY_AFTER_MAX_WAIT = env.float("PROCESSOR_RETRY_AFTER_MAX_WAIT", default=5.0)
# [issue 26] A read of an object at the processor that started this long
# after an event about it was received covers the event: it is processed
# without a read of its own (the margin is for two machines' clocks). An
# event waits until it is WEBHOOK_COALESCE_SECONDS old before it is
# processed, so the events of one renewal (sent within a second or so) are
# served by one read; behind a backlog nothing waits.
WEBHOOK_READ_CLOCK_SKEW = env.float("WEBHOOK_READ_CLOCK_SKEW", default=0.5)
# Without a broker (the demo) tasks run inside the processor's delivery
# request, which must answer fast: no window there.
WEBHOOK_COALESCE_SECONDS = env.float("WEBHOOK_COALESCE_SECONDS", default=2.0 if REDIS_URL else 0.0)
# How long one event's processing may hold its object's lock (seconds).
WEBHOOK_OBJECT_LOCK_SECONDS = env.int("WEBHOOK_OBJECT_LOCK_SECONDS", default=120)
# Retries of a customer-details push to the processor (task level, backing off
# from 30 s to an hour: a few hours in all) before it is given up and audited.
PROCESSOR_SYNC_MAX_RETRIES = env.int("PROCESSOR_SYNC_MAX_RETRIES", default=8)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "filters": {
        "redact_access_tokens": {"()": "hub.log_filters.RedactAccessTokens"},
        "escape_control_characters": {"()": "hub.log_filters.EscapeControlCharacters"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_access_tokens", "escape_control_characters"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's own loggers write through the one filtered handler only
        # (its defaults would print request paths unfiltered).
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # The Stripe and PayPal SDKs log request details at DEBUG; keep them quiet.
        "stripe": {"level": "WARNING"},
        "paypalserversdk": {"level": "WARNING"},
        "apimatic_core": {"level": "WARNING"},
        # WeasyPrint logs every layout step at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
