"""Cache-backed rate limits (Redis in production, local memory in the demo).

Fixed windows: a counter per (scope, identity, window) that expires with its
window. Identities (emails, IPs) are hashed into the key so that the cache
never holds an address in clear. A limit is read from a setting as
(max requests, window in seconds) so operators can tune it.
"""

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

# (setting name, default): requests allowed per window of seconds.
ACCESS_PER_EMAIL = ("HUB_ACCESS_RATE_PER_EMAIL", (5, 60 * 60))
ACCESS_PER_IP = ("HUB_ACCESS_RATE_PER_IP", (30, 10 * 60))
CODE_PER_IP = ("HUB_CODE_RATE_PER_IP", (20, 10 * 60))
# Wrong codes per (vendor, email), across all of that customer's links: five
# tries per link times a fresh link every few minutes would otherwise add up.
CODE_WRONG_PER_EMAIL = ("HUB_CODE_WRONG_RATE_PER_EMAIL", (10, 60 * 60))
# Email-change confirmations: per customer, and per address they go to.
EMAIL_CHANGE_PER_CUSTOMER = ("HUB_EMAIL_CHANGE_RATE_PER_CUSTOMER", (5, 60 * 60))
EMAIL_CHANGE_PER_ADDRESS = ("HUB_EMAIL_CHANGE_RATE_PER_ADDRESS", (3, 24 * 60 * 60))


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int  # seconds until the window that refused ends; 0 when allowed


def _limit(rule: tuple[str, tuple[int, int]]) -> tuple[int, int]:
    name, default = rule
    count, window = getattr(settings, name, default)
    return int(count), int(window)


def _key(scope: str, identity: str, window: int) -> tuple[str, int, int]:
    now = int(timezone.now().timestamp())
    start = now - now % window
    digest = hashlib.sha256(identity.encode()).hexdigest()[:32]
    return f"rl:{scope}:{digest}:{start}", start, now


def rate_limit_reached(*, scope: str, identity: str, rule: tuple[str, tuple[int, int]]) -> bool:
    """Has `identity` used up its window in `scope`? Reads, counts nothing
    (for limits that count failures only, after the fact)."""
    count, window = _limit(rule)
    key, _, _ = _key(scope, identity, window)
    return int(cache.get(key) or 0) >= count


def rate_limit_wait(*, scope: str, identity: str, rule: tuple[str, tuple[int, int]]) -> int:
    """Seconds until `identity` may be counted again in `scope`; 0 when its
    window is not used up. Reads, counts nothing (as rate_limit_reached)."""
    count, window = _limit(rule)
    key, start, now = _key(scope, identity, window)
    if int(cache.get(key) or 0) < count:
        return 0
    return max(1, start + window - now)


def rate_limit_hit(*, scope: str, identity: str, rule: tuple[str, tuple[int, int]]) -> Verdict:
    """Count one request of `identity` in `scope`; refuse it once over the limit.

    Every call counts, allowed or not, so hammering a closed window keeps it
    closed until it ends. The caller decides what the identity is: for the
    per-email limit it is the typed address, whether or not it belongs to a
    customer, so the limit itself reveals nothing.
    """
    count, window = _limit(rule)
    key, start, now = _key(scope, identity, window)
    # add() is a no-op when the key exists; incr() is atomic in Redis.
    cache.add(key, 0, timeout=window + 5)
    try:
        hits = cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, timeout=window + 5)
        hits = 1
    if hits <= count:
        return Verdict(True, 0)
    return Verdict(False, max(1, start + window - now))
