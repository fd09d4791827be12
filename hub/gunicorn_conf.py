"""gunicorn's one configuration (`gunicorn -c python:hub.gunicorn_conf hub.wsgi`).

The access log is written without query strings and with access-link tokens
masked: a token in a log line is a sign-in for whoever reads the log. Its
values have control characters escaped (hub.log_filters), so a `%0a` in a
URL cannot write a forged line.
X-Forwarded-* are believed only from the proxies in TRUSTED_PROXIES.

[issue 20] Reloads and slow queries:
- preload_app: the master imports Django (and WeasyPrint) once, and
  when_ready loads the URLconf, views, catalogs and templates (hub.warm)
  before the first fork; `kill -HUP` forks new workers that answer at once
  instead of each importing for seconds while the old ones stop (all
  traffic stalled 3-4 s). A HUP re-forks the code already loaded: a deploy
  is a new process (a new container, or USR2, then TERM to the old master
  once the new one has its workers; README "Outages").
- gthread workers: a request waiting on a locked table holds one thread,
  not the whole process, so /healthz keeps answering beside it. Statement
  and lock timeouts (5 s and 2 s for web requests, see settings) bound every
  query and answer 503; `timeout` only catches a worker whose main loop is
  stuck, and is set well above them.
"""

import gc
import os

from gunicorn.glogging import Logger

from hub.log_filters import ACCESS_TOKEN_IN_PATH, access_log_atoms_escape

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") != "0"
# gunicorn 27's control socket sits at one path per user (~/.gunicorn): two
# instances on one host would share it. Signals (HUP, TERM) do what we need.
control_socket_disable = os.environ.get("GUNICORN_CONTROL_SOCKET", "0") != "1"
forwarded_allow_ips = os.environ.get("TRUSTED_PROXIES", "") or "127.0.0.1"
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
# No %(r)s (the request line with the query) and no %(q)s; %(U)s is the path,
# masked by TokenMaskingLogger.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms "%(a)s"'


def _mask(value: str) -> str:
    return ACCESS_TOKEN_IN_PATH.sub(r"\1[redacted]", value)


class TokenMaskingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["U"] = _mask(atoms.get("U") or "")
        atoms["r"] = _mask((atoms.get("r") or "").split("?", 1)[0])
        atoms["q"] = ""
        atoms["f"] = _mask((atoms.get("f") or "").split("?", 1)[0])
        atoms["{referer}i"] = atoms["f"]
        return access_log_atoms_escape(atoms)


logger_class = TokenMaskingLogger


def when_ready(server) -> None:
    """With the app preloaded, load the URLconf, views, catalogs and
    templates (hub.warm) and warm WeasyPrint once in the master, before it
    forks: every worker (and every worker a HUP forks) answers its first
    request warm, so neither a reload (no answer for 3-4 s while each new
    worker imported the views) nor a customer's first PDF download
    (~0.5-1.5 s cold) pays for it. Nothing is read from the database.
    PDF_WARM_UP=0 skips the PDF part.

    Then everything loaded so far is frozen out of the garbage collector:
    a full collection in a worker walked the ~186,000 objects of Django,
    the app and WeasyPrint each time (25-60 ms, a request's p99 whenever it
    struck), and touching their headers copied the master's pages into
    every worker. Frozen objects are never collected, which is what they
    are: loaded once, used until the process ends."""
    if server.cfg.preload_app:
        _warm_up()
        gc.collect()
        gc.freeze()


def post_worker_init(worker) -> None:
    """Without preloading (GUNICORN_PRELOAD=0), each worker warms itself,
    and freezes what it loaded as the master would (when_ready)."""
    if not worker.cfg.preload_app:
        _warm_up()
        gc.collect()
        gc.freeze()


def _warm_up() -> None:
    from hub.warm import app_warm_up

    app_warm_up()
    _pdf_warm_up()


def _pdf_warm_up() -> None:
    if os.environ.get("PDF_WARM_UP", "1") != "0":
        from billing.documents.pdf import pdf_warm_up

        pdf_warm_up()
