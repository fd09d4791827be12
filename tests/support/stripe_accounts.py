"""One fake Stripe account per demo vendor, behind one address.

localstripe is a single account: every key reads every object, and every
event goes to every registered endpoint. Two demo vendors on one localstripe
see each other's customers (acme gained copies of the demo vendor's
customers and a duplicate subscription from its events). Stripe keeps
accounts apart; so does this: it starts one localstripe per account and
forwards each request to the account its key names, as Stripe does:

- a secret key `sk_test_<account>` (Authorization header) or a publishable
  key `pk_test_<account>` (the `key` Stripe.js sends in the body);
- `/_config/webhooks/<id>-<account>` (localstripe's registration API) goes to
  that account, so each account sends its events to its own vendor only;
- anything naming no account (Stripe.js itself) goes to the first.

Usage: python -m tests.support.stripe_accounts PORT ACCOUNT [ACCOUNT ...]
(prints the port it listens on first, like localstripe_server).
"""

from __future__ import annotations

import base64
import json
import re
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs

from aiohttp import ClientSession, web

ROOT = Path(__file__).resolve().parent.parent.parent
# Headers that describe one hop, not the answer: aiohttp sets its own.
HOP_HEADERS = {"content-length", "transfer-encoding", "connection", "content-encoding"}
KEY = re.compile(r"^[sprk]k_(?:test|live)_([a-z0-9-]+)$")


def account_of(path: str, headers, body: bytes, accounts: list[str]) -> str:
    """The account a request is for (the first one when it names none)."""
    if path.startswith("/_config/webhooks/"):
        for account in accounts:
            if path.endswith(f"-{account}"):
                return account
    key = ""
    scheme, _, credentials = headers.get("Authorization", "").partition(" ")
    if scheme == "Bearer":
        key = credentials
    elif scheme == "Basic":
        try:
            key = base64.b64decode(credentials).decode().split(":")[0]
        except ValueError:
            key = ""
    if not key and body:
        try:
            key = str(json.loads(body).get("key") or "")
        except (ValueError, AttributeError):
            key = (parse_qs(body.decode(errors="replace")).get("key") or [""])[0]
    match = KEY.match(key)
    if match and match.group(1) in accounts:
        return match.group(1)
    return accounts[0]


def start_account() -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.localstripe_server"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    port = process.stdout.readline().strip() if process.stdout else ""
    if not port:
        process.kill()
        sys.exit("localstripe did not start")
    return process, f"http://127.0.0.1:{port}"


def app_for(upstreams: dict[str, str]) -> web.Application:
    accounts = list(upstreams)
    session: dict[str, ClientSession] = {}

    async def forward(request: web.Request) -> web.StreamResponse:
        body = await request.read()
        account = account_of(request.path, request.headers, body, accounts)
        headers = {k: v for k, v in request.headers.items() if k.lower() != "host"}
        async with session["client"].request(
            request.method,
            upstreams[account] + request.path_qs,
            data=body,
            headers=headers,
            allow_redirects=False,
        ) as answer:
            payload = await answer.read()
            kept = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_HEADERS}
            return web.Response(status=answer.status, body=payload, headers=kept)

    async def open_session(app: web.Application) -> None:
        session["client"] = ClientSession()

    async def close_session(app: web.Application) -> None:
        await session["client"].close()

    app = web.Application(client_max_size=16 * 1024 * 1024)
    app.router.add_route("*", "/{tail:.*}", forward)
    app.on_startup.append(open_session)
    app.on_cleanup.append(close_session)
    return app


def main() -> None:
    port, accounts = int(sys.argv[1]), sys.argv[2:]
    if not accounts:
        sys.exit(__doc__)
    started = {account: start_account() for account in accounts}
    try:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        print(sock.getsockname()[1], flush=True)
        upstreams = {account: base for account, (_, base) in started.items()}
        web.run_app(app_for(upstreams), sock=sock, print=None, access_log=None)
    finally:
        for process, _ in started.values():
            process.terminate()
        for process, _ in started.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    main()
