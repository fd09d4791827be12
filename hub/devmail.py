"""The demo's mail backend: keeps each message under DEV_MAIL_DIR, so
/_dev/mail/ (DEBUG only) can show it and the links it carries, whichever
process (web or worker) sent it, and prints it as a person reads it: who,
what, the plain-text body and the address of its copy in the mailbox (the
raw MIME, with its base64 logo, is for mail clients, not terminals)."""

import threading
import uuid
from pathlib import Path

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.utils import timezone

RULE = "-" * 79


class DevMailBackend(BaseEmailBackend):
    def __init__(self, *args, stream=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.stream = stream
        self._lock = threading.RLock()

    def send_messages(self, email_messages):
        folder = Path(settings.DEV_MAIL_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        sent = 0
        with self._lock:
            for message in email_messages:
                mail_id = f"{timezone.now():%Y%m%d%H%M%S%f}-{uuid.uuid4().hex[:8]}"
                (folder / f"{mail_id}.eml").write_bytes(message.message().as_bytes())
                self._print(message, mail_id)
                sent += 1
        return sent

    def _print(self, message, mail_id: str) -> None:
        import sys

        stream = self.stream or sys.stdout
        site = settings.SITE_URL.rstrip("/")
        lines = [
            RULE,
            f"From:    {message.from_email}",
            f"To:      {', '.join(message.to)}",
            f"Subject: {message.subject}",
            "",
            str(message.body).rstrip(),
            "",
            f"(as the customer sees it: {site}/_dev/mail/{mail_id}/ · all mail: {site}/_dev/mail/)",
            RULE,
        ]
        stream.write("\n".join(lines) + "\n")
        stream.flush()
