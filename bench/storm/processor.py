"""The processor side of a renewal day, in one asyncio process: a Stripe
REST fake built for load, and an SMTP sink that counts what the hub sends.

    python -m bench.storm.processor --port 8701 --smtp-port 8702 --renewals 1000

Not localstripe (about 30 requests a second here, and no API 2025-03-31
shapes): the objects come from bench.storm.world, computed from their ids.
Each call waits `--latency-ms` (asyncio.sleep: thousands may wait at once)
and counts against a per-account limit on reads and on writes, as Stripe
limits each account (100 read operations a second in live mode); beyond it
the answer is Stripe's 429 (`rate_limit`, with `Retry-After`). It answers
exactly the reads the hub's webhook processing and receipts make
(billing/processors/adapters/stripe.py); anything else is a 404 with
Stripe's error body, counted, so a new call shows up in the report.

GET /__stats returns every count: calls per second, per endpoint, 429s,
the most calls in flight at once, and the messages the SMTP sink took.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import time
from collections import Counter
from email.parser import BytesHeaderParser
from typing import Any

from aiohttp import web

from bench.storm import paypal
from bench.storm.world import API_VERSION, World, expand, index_of

RATE_LIMIT_MESSAGE = (
    "Request rate limit exceeded. Learn more about rate limits here "
    "https://stripe.com/docs/rate-limits."
)


class Bucket:
    """A token bucket: `rate` a second, bursts of up to `rate` (one second's
    worth), as Stripe's per-second limits behave."""

    def __init__(self, rate: float) -> None:
        self.rate = rate
        self.tokens = rate
        self.at = time.monotonic()

    def take(self) -> bool:
        if self.rate <= 0:
            return True  # no limit
        now = time.monotonic()
        self.tokens = min(self.rate, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


class Stats:
    def __init__(self) -> None:
        self.started = time.time()
        self.per_second: Counter[int] = Counter()
        self.limited_per_second: Counter[int] = Counter()
        self.endpoints: Counter[str] = Counter()
        self.limited_endpoints: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.accounts: Counter[str] = Counter()
        self.in_flight = 0
        self.max_in_flight = 0
        self.mail: list[dict[str, Any]] = []
        self.smtp_connections = 0

    def as_dict(self) -> dict[str, Any]:
        recipients = Counter(r for m in self.mail for r in m["to"])
        return {
            "started": self.started,
            "calls": sum(self.endpoints.values()),
            "limited": sum(self.limited_endpoints.values()),
            "per_second": {str(k): v for k, v in sorted(self.per_second.items())},
            "limited_per_second": {str(k): v for k, v in sorted(self.limited_per_second.items())},
            "endpoints": dict(self.endpoints.most_common()),
            "limited_endpoints": dict(self.limited_endpoints.most_common()),
            "statuses": {str(k): v for k, v in self.statuses.items()},
            "accounts": len(self.accounts),
            "max_in_flight": self.max_in_flight,
            "mail": {
                "messages": len(self.mail),
                "connections": self.smtp_connections,
                "subjects": dict(Counter(m["kind"] for m in self.mail)),
                "recipients": len(recipients),
                "recipients_twice": sorted(r for r, n in recipients.items() if n > 1)[:50],
                "per_second": {
                    str(k): v for k, v in sorted(Counter(int(m["at"]) for m in self.mail).items())
                },
                "first_at": min((m["at"] for m in self.mail), default=None),
                "last_at": max((m["at"] for m in self.mail), default=None),
            },
        }


def stripe_error(status: int, message: str, *, kind: str, code: str = "") -> web.Response:
    error: dict[str, Any] = {"message": message, "type": kind}
    if code:
        error["code"] = code
        error["doc_url"] = f"https://stripe.com/docs/error-codes/{code.replace('_', '-')}"
    return web.json_response({"error": error}, status=status)


STATS = web.AppKey("stats", Stats)

# The endpoint a path belongs to, for the counts: ids become {id}.
ENDPOINT_ID = re.compile(
    r"/(?:(?:cus|sub|si|in|inpay|pi|ch|pm|prod|price)_[A-Za-z0-9]+|I-[A-Z0-9]+)(?=/|$)"
)


def endpoint_name(method: str, path: str) -> str:
    return f"{method} {ENDPOINT_ID.sub('/{id}', path)}"


def expansions(request: web.Request) -> list[str]:
    """stripe-python sends lists as `expand[0]=...` (curl's `expand[]=` too)."""
    return [v for k, v in request.query.items() if k == "expand" or k.startswith("expand[")]


def make_app(
    *,
    world: World,
    latency: float,
    read_rate: float,
    write_rate: float,
    paypal_rate: float = 50,
) -> web.Application:
    stats = Stats()
    buckets: dict[tuple[str, str], Bucket] = {}
    rates = {"read": read_rate, "write": write_rate, "paypal": paypal_rate}

    def bucket(account: str, kind: str) -> Bucket:
        key = (account, kind)
        if key not in buckets:
            buckets[key] = Bucket(rates[kind])
        return buckets[key]

    def account_and_kind(request: web.Request) -> tuple[str, str]:
        if request.path.startswith(paypal.PAYPAL_PATHS):
            return paypal.account_of(request), "paypal"
        auth = request.headers.get("Authorization", "")
        account = auth.removeprefix("Bearer ").strip()
        if not account.startswith(("sk_", "rk_")):
            return "", "read"
        return account, "read" if request.method == "GET" else "write"

    @web.middleware
    async def account_limits(request: web.Request, handler):
        if request.path.startswith("/__"):
            return await handler(request)
        second = int(time.time())
        name = endpoint_name(request.method, request.path)
        stats.per_second[second] += 1
        stats.endpoints[name] += 1
        stats.in_flight += 1
        stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
        try:
            account, kind = account_and_kind(request)
            if not account:
                response = stripe_error(
                    401, "You did not provide an API key.", kind="invalid_request_error"
                )
            else:
                stats.accounts[account] += 1
                # Counted when it arrives; a refused call still costs the
                # round trip.
                allowed = bucket(account, kind).take()
                if latency:
                    await asyncio.sleep(latency)
                if allowed:
                    response = await handler(request)
                elif kind == "paypal":
                    response = paypal.rate_limited()
                else:
                    response = stripe_error(
                        429, RATE_LIMIT_MESSAGE, kind="invalid_request_error", code="rate_limit"
                    )
                    response.headers["Retry-After"] = "1"
                if not allowed:
                    stats.limited_per_second[second] += 1
                    stats.limited_endpoints[name] += 1
            response.headers["Stripe-Version"] = API_VERSION
            response.headers["Request-Id"] = f"req_storm{stats.endpoints.total()}"
            stats.statuses[response.status] += 1
            return response
        finally:
            stats.in_flight -= 1

    def found(obj: dict[str, Any] | None, request: web.Request) -> web.Response:
        if obj is None:
            missing = request.match_info.get("id", "")
            return stripe_error(
                404,
                f"No such object: '{missing}'",
                kind="invalid_request_error",
                code="resource_missing",
            )
        for path in expansions(request):
            expand(obj, path, world.get)
        return web.json_response(obj)

    def index(request: web.Request, prefix: str) -> int | None:
        parsed = index_of(request.match_info["id"])
        if parsed is None or parsed[0] != prefix or not world.exists(parsed[1]):
            return None
        return parsed[1]

    async def invoice(request: web.Request) -> web.Response:
        i = index(request, "in")
        wanted = any(p.split(".")[0] == "payments" for p in expansions(request))
        return found(None if i is None else world.invoice(i, with_payments=wanted), request)

    async def charge(request: web.Request) -> web.Response:
        i = index(request, "ch")
        wanted = "refunds" in [p.split(".")[0] for p in expansions(request)]
        return found(None if i is None else world.charge(i, with_refunds=wanted), request)

    def simple(prefix: str, build):
        async def view(request: web.Request) -> web.Response:
            i = index(request, prefix)
            return found(None if i is None else build(i), request)

        return view

    async def product(request: web.Request) -> web.Response:
        obj = world.product() if request.match_info["id"] == world.product()["id"] else None
        return found(obj, request)

    def listing(items: list[dict[str, Any]], url: str) -> dict[str, Any]:
        return {"object": "list", "data": items, "has_more": False, "url": url}

    async def invoice_payments(request: web.Request) -> web.Response:
        q = request.query
        ref = q.get("payment[payment_intent]") or q.get("invoice") or ""
        parsed = index_of(ref)
        items = []
        if parsed and world.exists(parsed[1]) and parsed[0] in ("pi", "in"):
            items = [world.invoice_payment(parsed[1])]
        return web.json_response(listing(items, "/v1/invoice_payments"))

    async def invoices(request: web.Request) -> web.Response:
        q = request.query
        parsed = index_of(q.get("subscription") or q.get("customer") or "")
        items = []
        if parsed and world.exists(parsed[1]):
            obj = world.invoice(parsed[1], with_payments=True)
            if q.get("status") in (None, obj["status"]):
                items = [obj]
        body = listing(items, "/v1/invoices")
        for path in expansions(request):
            expand(body, path, world.get)
        return web.json_response(body)

    async def subscriptions(request: web.Request) -> web.Response:
        parsed = index_of(request.query.get("customer") or "")
        items = [world.subscription(parsed[1])] if parsed and world.exists(parsed[1]) else []
        body = listing(items, "/v1/subscriptions")
        for path in expansions(request):
            expand(body, path, world.get)
        return web.json_response(body)

    async def anything_else(request: web.Request) -> web.Response:
        return stripe_error(
            404, f"Unrecognized request URL ({request.method}: {request.path}).",
            kind="invalid_request_error",
        )  # fmt: skip

    async def stats_view(request: web.Request) -> web.Response:
        return web.json_response(stats.as_dict())

    app = web.Application(middlewares=[account_limits])
    app[STATS] = stats
    app.router.add_get("/__stats", stats_view)
    app.router.add_get("/v1/invoices/{id}", invoice)
    app.router.add_get("/v1/invoices", invoices)
    app.router.add_get("/v1/invoice_payments", invoice_payments)
    app.router.add_get("/v1/charges/{id}", charge)
    app.router.add_get("/v1/subscriptions/{id}", simple("sub", world.subscription))
    app.router.add_get("/v1/subscriptions", subscriptions)
    app.router.add_get("/v1/customers/{id}", simple("cus", world.customer))
    app.router.add_get("/v1/payment_intents/{id}", simple("pi", world.payment_intent))
    app.router.add_get("/v1/payment_methods/{id}", simple("pm", world.payment_method))
    app.router.add_get("/v1/products/{id}", product)
    paypal.add_routes(app, world)
    app.router.add_route("*", "/{tail:.*}", anything_else)
    return app


# --- SMTP sink -------------------------------------------------------------------------


def mail_kind(subject: str) -> str:
    """Receipt or failure notice, from the subject (templates/emails; the
    vendor's language is English here): the counts only tell them apart."""
    lowered = subject.lower()
    if "failed" in lowered:
        return "payment failed"
    return "receipt" if "receipt" in lowered else "other"


async def smtp_session(stats: Stats, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
    """Just enough SMTP (RFC 5321) for Django's SMTP backend: no TLS, no auth."""
    stats.smtp_connections += 1

    async def say(line: str) -> None:
        writer.write(line.encode() + b"\r\n")
        await writer.drain()

    await say("220 storm-sink ESMTP")
    recipients: list[str] = []
    try:
        while line := await reader.readline():
            command = line.decode("latin-1").strip()
            verb = command[:4].upper()
            if verb == "EHLO":
                await say("250-storm-sink")
                await say("250-8BITMIME")
                await say("250 SMTPUTF8")
            elif verb == "HELO":
                await say("250 storm-sink")
            elif verb == "MAIL":
                recipients = []
                await say("250 OK")
            elif verb == "RCPT":
                recipients.append(command.split(":", 1)[1].strip().strip("<>").lower())
                await say("250 OK")
            elif verb == "DATA":
                await say("354 End data with <CR><LF>.<CR><LF>")
                chunks = []
                while (chunk := await reader.readline()) not in (b".\r\n", b".\n", b""):
                    chunks.append(chunk)
                headers = BytesHeaderParser().parsebytes(b"".join(chunks))
                from email.header import decode_header, make_header

                subject = str(make_header(decode_header(headers.get("Subject", ""))))
                stats.mail.append({"to": recipients, "kind": mail_kind(subject), "at": time.time()})
                await say("250 OK queued")
            elif verb == "RSET":
                recipients = []
                await say("250 OK")
            elif verb == "NOOP":
                await say("250 OK")
            elif verb == "QUIT":
                await say("221 Bye")
                break
            else:
                await say("502 Command not implemented")
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


async def serve(args: argparse.Namespace) -> None:
    world = World(renewals=args.renewals, renewed_at=args.renewed_at or None)
    app = make_app(
        world=world,
        latency=args.latency_ms / 1000,
        read_rate=args.rate_limit,
        write_rate=args.write_rate_limit,
        paypal_rate=args.paypal_rate_limit,
    )
    runner = web.AppRunner(app, access_log=None, handle_signals=True)
    await runner.setup()
    # A deep backlog: hundreds of worker threads may connect at once.
    await web.TCPSite(runner, "127.0.0.1", args.port, backlog=4096).start()
    stats: Stats = app[STATS]
    smtp = await asyncio.start_server(
        lambda r, w: smtp_session(stats, r, w), "127.0.0.1", args.smtp_port
    )
    print(json.dumps({"ready": True, "port": args.port, "smtp_port": args.smtp_port}), flush=True)
    try:
        # A bounded lifetime, whatever happens to the process that started it.
        await asyncio.sleep(args.lifetime)
    finally:
        smtp.close()
        await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Stripe fake for load, and an SMTP sink")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--smtp-port", type=int, required=True)
    parser.add_argument("--renewals", type=int, required=True)
    parser.add_argument("--renewed-at", type=int, default=0)
    parser.add_argument("--latency-ms", type=float, default=250)
    parser.add_argument("--rate-limit", type=float, default=100, help="reads/s per account")
    parser.add_argument("--write-rate-limit", type=float, default=100, help="writes/s")
    parser.add_argument(
        "--paypal-rate-limit", type=float, default=50, help="PayPal calls/s per client id"
    )
    parser.add_argument("--lifetime", type=float, default=3600, help="seconds, then exit")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args))


if __name__ == "__main__":
    main()
