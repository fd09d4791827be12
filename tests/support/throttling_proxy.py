"""A rate-limiting front for localstripe: it answers 429 with a Retry-After
(as Stripe does past an account's limit) to the first requests whose path
starts with a given prefix, and forwards everything else to localstripe.
localstripe itself never answers 429; the hub's handling of one is what the
tests watch. Listens on 127.0.0.1, in a thread, for one test.
"""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests


class ThrottlingProxy:
    def __init__(self, upstream: str, *, path_prefix: str, refusals: int, retry_after: str):
        self.upstream = upstream.rstrip("/")
        self.path_prefix = path_prefix
        self.refusals = refusals
        self.retry_after = retry_after
        self.seen: list[dict] = []  # method, path, status, at (monotonic)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> ThrottlingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def calls(self, prefix: str) -> list[dict]:
        with self._lock:
            return [c for c in self.seen if c["path"].startswith(prefix)]

    def _refuse(self, path: str) -> bool:
        with self._lock:
            if self.refusals > 0 and path.startswith(self.path_prefix):
                self.refusals -= 1
                return True
            return False

    def _handler(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet test output
                pass

            def _any(self) -> None:
                path = self.path.split("?")[0]
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                if proxy._refuse(path):
                    status, content, headers = (
                        429,
                        b'{"error": {"type": "rate_limit_error"}}',
                        {
                            "Retry-After": proxy.retry_after,
                            "Content-Type": "application/json",
                        },
                    )
                else:
                    forwarded = requests.request(
                        self.command,
                        proxy.upstream + self.path,
                        data=body,
                        headers={
                            k: v for k, v in self.headers.items() if k.lower() not in ("host",)
                        },
                        timeout=10,
                    )
                    status, content = forwarded.status_code, forwarded.content
                    headers = {"Content-Type": forwarded.headers.get("Content-Type", "")}
                with proxy._lock:
                    proxy.seen.append(
                        {"method": self.command, "path": path, "status": status,
                         "at": time.monotonic()}
                    )  # fmt: skip
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = do_DELETE = _any

        return Handler
