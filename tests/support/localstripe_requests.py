"""What localstripe received: every write's method, path, Idempotency-Key and
form parameters, so tests can check the keys the hub sends (localstripe
itself ignores them) and what each write asked for.

    GET    /_test/requests   the writes received, oldest first
    DELETE /_test/requests   forget them

Kept apart from localstripe_patches (which make the fake behave like Stripe):
this only watches.
"""

from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

PATH = "/_test/requests"


def record_requests(app: web.Application) -> None:
    """Install the recorder as the app's first middleware (before auth, so a
    refused write is recorded too). Call before the app starts."""
    received: list[dict[str, Any]] = []

    @web.middleware
    async def recorder(request: web.Request, handler: Any) -> web.StreamResponse:
        if request.path == PATH:
            if request.method == "DELETE":
                received.clear()
            return web.json_response(received)
        if request.method in ("POST", "DELETE") and not request.path.startswith("/_config/"):
            # read() keeps the body for the handler, which reads it again.
            body = (await request.read()).decode("utf-8", "replace")
            received.append(
                {
                    "method": request.method,
                    "path": request.path,
                    "idempotency_key": request.headers.get("Idempotency-Key", ""),
                    # Flat form fields as sent ("expand[0]"), the last of a repeated one.
                    "params": dict(parse_qsl(body)),
                }
            )
        return await handler(request)

    app.middlewares.insert(0, recorder)


def stripe_writes(base_url: str, *, clear: bool = False) -> list[dict[str, Any]]:
    """The writes localstripe at `base_url` received (and, with clear, forget them)."""
    import requests

    response = requests.request("DELETE" if clear else "GET", base_url + PATH, timeout=5)
    response.raise_for_status()
    return response.json()
