"""gunicorn's configuration (`gunicorn -c python:hub.gunicorn_conf hub.wsgi`).

The access log is written without query strings and with access-link tokens
masked: a token in a log line is a sign-in for whoever reads the log. Its
values have control characters escaped (hub.log_filters), so a `%0a` in a
URL cannot write a forged line.
X-Forwarded-* are believed only from the proxies in TRUSTED_PROXIES.
"""

import os

from gunicorn.glogging import Logger

from hub.log_filters import ACCESS_TOKEN_IN_PATH, access_log_atoms_escape

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
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
