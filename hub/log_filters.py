"""Filters for what the process writes to its logs."""

import logging
import re

# An access link's token is a sign-in: it must never reach a log. Django logs
# the path of a 404 or a CSRF failure, and runserver every request, so a
# token in a mistyped or forged URL would otherwise be written out in full.
# Every URL with a secret in its path: access links, API hub links, email
# change confirmations, and a new owner's password link (its token is the
# segment after the user id; Django's next page is "set-password").
ACCESS_TOKEN_IN_PATH = re.compile(
    r"(/updateinfo/(?:access/(?:api/)?|email/)|/admin/welcome/[^/\s]+/)"
    r"(?!code/|set-password/)[A-Za-z0-9_\-]{8,}"
)


class RedactAccessTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = ACCESS_TOKEN_IN_PATH.sub(r"\1[redacted]", message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True
