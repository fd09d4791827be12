"""One rate limiter per processor account, shared by every worker process on
every machine: a token bucket in Redis.

Stripe limits each account (100 read requests a second in live mode, 25 in
test mode) and answers 429 beyond; PayPal publishes no limit, so ours is a
setting (PAYPAL_RATE_LIMIT, 50/s by default). On a renewal day the webhook
workers run many threads on several machines: a per-process limit would
multiply by their number, so the bucket lives in Redis and is taken by one
Lua script (atomic; the time is Redis's own, so the machines' clocks do not
matter).

The bucket refills at (1 - burst fraction) of the limit and holds a burst
of the rest: in any one-second window it hands out at most the limit, so a
processor that counts per second sees no 429 from us alone. A 429 that
comes anyway (another program on the same account) pauses the whole bucket
for its Retry-After: every process waits, not only the one that was told.

Without Redis (the single-process demo) the bucket lives in the process.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass, field

from django.conf import settings

from .adapters.base import MESSAGE_UNAVAILABLE, ProcessorError

logger = logging.getLogger(__name__)

# KEYS[1]: the bucket (a hash of tokens and the time it was last filled),
# KEYS[2]: the pause a 429 set. ARGV: refill per second, capacity.
# Returns 0 when a token was taken, else the milliseconds to wait.
TAKE_SCRIPT = """
local pause = redis.call('PTTL', KEYS[2])
if pause > 0 then return pause end
local now_parts = redis.call('TIME')
local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
local rate = tonumber(ARGV[1])
local capacity = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = capacity
  at = now
end
tokens = math.min(capacity, tokens + math.max(0, now - at) * rate / 1000)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) * 1000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity * 1000 / rate) + 60000)
return wait
"""

_client_lock = threading.Lock()
_clients: dict[str, object] = {}
_local_buckets: dict[str, _LocalBucket] = {}


class RateLimited(ProcessorError):
    """The account's bucket (or the processor's 429) says wait longer than a
    thread should: the task retries after `retry_after` seconds."""

    def __init__(self, retry_after: float, detail: str = "") -> None:
        super().__init__(
            MESSAGE_UNAVAILABLE,
            retryable=True,
            code="rate_limited",
            detail=detail or f"rate limited, retry after {retry_after:.1f} s",
        )
        self.retry_after = retry_after


@dataclass
class _LocalBucket:
    tokens: float
    at: float
    paused_until: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)


def redis_client():
    url = settings.REDIS_URL
    if not url:
        return None
    client = _clients.get(url)
    if client is None:
        import redis

        with _client_lock:
            client = _clients.get(url) or redis.Redis.from_url(
                url, socket_timeout=2, socket_connect_timeout=2
            )
            _clients[url] = client
    return client


class AccountRateLimiter:
    """The token bucket of one processor account."""

    def __init__(self, *, processor: str, account: str, rate: float) -> None:
        digest = hashlib.sha256(account.encode()).hexdigest()[:16]
        prefix = settings.CACHES["default"].get("KEY_PREFIX") or "hub"
        self.key = f"{prefix}:processor-rate:{processor}:{digest}"
        self.limit = max(0.1, float(rate))
        burst = min(0.5, max(0.0, settings.PROCESSOR_RATE_BURST_FRACTION))
        self.capacity = max(1.0, self.limit * burst)
        self.rate = max(0.1, self.limit - (self.capacity if burst else 0.0))

    def __repr__(self) -> str:
        return f"<AccountRateLimiter {self.key} {self.limit}/s>"

    def take(self, *, max_wait: float | None = None) -> float:
        """Wait for a token; returns the seconds waited. Raises RateLimited
        when the wait would pass `max_wait` (PROCESSOR_RATE_MAX_WAIT)."""
        limit = settings.PROCESSOR_RATE_MAX_WAIT if max_wait is None else max_wait
        waited = 0.0
        while True:
            wait = self._try()
            if wait <= 0:
                return waited
            if waited + wait > limit:
                raise RateLimited(max(wait, 0.05))
            time.sleep(wait)
            waited += wait

    def try_take(self) -> float:
        """One attempt: 0 when a token was taken, else the seconds to wait."""
        return self._try()

    def pause(self, seconds: float) -> None:
        """The processor said 429 (Retry-After): nobody calls it for `seconds`."""
        seconds = max(0.05, min(float(seconds), 600.0))
        client = redis_client()
        if client is None:
            bucket = self._local()
            with bucket.lock:
                bucket.paused_until = max(bucket.paused_until, time.monotonic() + seconds)
            return
        try:
            # Never shortens a longer pause another process set.
            current = client.pttl(self.key + ":pause")
            if current is None or current < seconds * 1000:
                client.set(self.key + ":pause", 1, px=int(seconds * 1000))
        except Exception:  # noqa: BLE001 - see _try
            logger.warning("rate limiter %s: Redis unavailable, pause not shared", self.key)

    def _try(self) -> float:
        client = redis_client()
        if client is None:
            return self._try_local()
        try:
            waited_ms = client.eval(
                TAKE_SCRIPT, 2, self.key, self.key + ":pause", self.rate, self.capacity
            )
        except Exception:  # noqa: BLE001 - redis errors, whatever their class
            # Redis away: the broker is away too, so little runs; what does
            # is better served than stopped (a 429 still pauses it locally).
            logger.warning("rate limiter %s: Redis unavailable, not limiting", self.key)
            return self._try_local()
        return int(waited_ms) / 1000

    def _local(self) -> _LocalBucket:
        bucket = _local_buckets.get(self.key)
        if bucket is None:
            with _client_lock:
                bucket = _local_buckets.setdefault(
                    self.key,
                    _LocalBucket(tokens=self.capacity, at=time.monotonic()),
                )
        return bucket

    def _try_local(self) -> float:
        bucket = self._local()
        with bucket.lock:
            now = time.monotonic()
            if bucket.paused_until > now:
                return bucket.paused_until - now
            bucket.tokens = min(self.capacity, bucket.tokens + (now - bucket.at) * self.rate)
            bucket.at = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                return 0.0
            return (1 - bucket.tokens) / self.rate


def stripe_rate_limiter(*, secret_key: str) -> AccountRateLimiter:
    """The bucket of the Stripe account behind `secret_key` (live or test:
    Stripe's two limits)."""
    live = secret_key.startswith(("sk_live_", "rk_live_"))
    rate = settings.STRIPE_RATE_LIMIT_LIVE if live else settings.STRIPE_RATE_LIMIT_TEST
    return AccountRateLimiter(processor="stripe", account=secret_key, rate=rate)


def paypal_rate_limiter(*, client_id: str) -> AccountRateLimiter:
    """The bucket of the PayPal account (app) behind `client_id`."""
    return AccountRateLimiter(
        processor="paypal", account=client_id, rate=settings.PAYPAL_RATE_LIMIT
    )


def retry_after_seconds(value: str | None, *, default: float = 1.0) -> float:
    """A Retry-After header in seconds (Stripe and PayPal send seconds; an
    HTTP date or nonsense counts as `default`)."""
    try:
        seconds = float(value or "")
    except ValueError:
        return default
    return seconds if 0 < seconds < 3600 else default
