"""Filters for what the process writes to its logs."""

import logging
import re

# An access link's token is a sign-in: it must never reach a log. Django logs
# the path of a 404 or a CSRF failure, and runserver every request, so a
# token in a mistyped or forged URL would otherwise be written out in full.
# Every URL with a secret in its path: access links, API hub links, email
# change confirmations, the confirmations of the public cancellation and
# withdrawal pages, and a new owner's password link (its token is the
# segment after the user id; Django's next page is "set-password").
ACCESS_TOKEN_IN_PATH = re.compile(
    r"(/updateinfo/(?:access/(?:api/)?|email/|cancel/done/|withdraw/done/)|/admin/welcome/[^/\s]+/)"
    r"(?!code/|set-password/)[A-Za-z0-9_\-]{8,}"
)


class RedactAccessTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = ACCESS_TOKEN_IN_PATH.sub(r"\1[redacted]", message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True


# A log line is one event: a value that carries a line break (a path with
# %0a, decoded by the server before it is logged) would write a second,
# forged line, and other control characters (ESC) can rewrite a terminal.
# Escaped as \xNN (\uNNNN beyond Latin-1), so the value stays readable and
# nothing in it can pass for the log's own structure. In the access log,
# whose fields are quoted, the double quote and the backslash are escaped
# too (as nginx does), or a quote in a user agent would end its field and a
# literal "\x0a" typed in a URL would read as an escape. Our own logs leave
# the backslash alone: Django already writes a path's control characters
# there as backslash escapes.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
ACCESS_LOG_ESCAPED = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\\\"]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_control_characters(value: str, *, access_log: bool = False) -> str:
    pattern = ACCESS_LOG_ESCAPED if access_log else CONTROL_CHARACTERS
    return pattern.sub(_escaped, value)


class EscapeControlCharacters(logging.Filter):
    """Our own log lines: the message (with its arguments filled in) has its
    control characters escaped. A traceback is added by the formatter after
    this, on lines of its own, as it should be."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        escaped = escape_control_characters(message)
        if escaped != message:
            record.msg, record.args = escaped, ()
        return True


def access_log_atoms_escape(atoms: dict) -> dict:
    """gunicorn's access-log values, every text one escaped (the path, the
    user agent, any header or environ value a format may name). For the
    logger class of any gunicorn configuration: `return
    access_log_atoms_escape(atoms)` at the end of its `atoms()`."""
    return {
        name: escape_control_characters(value, access_log=True) if isinstance(value, str) else value
        for name, value in atoms.items()
    }
