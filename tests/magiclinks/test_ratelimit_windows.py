"""Rate limits across time (issue 27): requests spread over a window still
count against it, the window ends exactly when it says, and Retry-After is
the time left. A clock the test sets, so window edges are exact."""

import time
from datetime import timedelta

import pytest

from magiclinks import ratelimit
from tests.support.clock import EPOCH

from .fixtures import access_url

RULE = ("HUB_TEST_RATE", (3, 600))


def hit(identity="a"):
    return ratelimit.rate_limit_hit(scope="t", identity=identity, rule=RULE)


def test_requests_spread_over_the_hour_share_one_window(client, vendor, alice, frozen_clock):
    # Five requests ten minutes apart, all in the hour that started at EPOCH.
    for minute in (0, 10, 20, 30, 40):
        frozen_clock.set(EPOCH.replace(minute=minute))
        response = client.post(access_url(vendor), {"email": "alice@example.com"})
        assert response.status_code == 200, minute
    frozen_clock.set(EPOCH.replace(minute=50))
    response = client.post(access_url(vendor), {"email": "alice@example.com"})
    assert response.status_code == 429
    assert response["Retry-After"] == "600"  # ten minutes until the hour ends
    # The last second of the window still refuses; the next hour opens.
    frozen_clock.set(EPOCH.replace(minute=59, second=59))
    response = client.post(access_url(vendor), {"email": "alice@example.com"})
    assert response.status_code == 429 and response["Retry-After"] == "1"
    frozen_clock.set(EPOCH.replace(hour=1))
    assert client.post(access_url(vendor), {"email": "alice@example.com"}).status_code == 200


def test_the_ip_limit_counts_across_its_ten_minutes(client, vendor, frozen_clock, settings):
    settings.HUB_ACCESS_RATE_PER_IP = (2, 600)
    frozen_clock.set(EPOCH.replace(minute=1))
    assert client.post(access_url(vendor), {"email": "a@example.com"}).status_code == 200
    frozen_clock.set(EPOCH.replace(minute=8))
    assert client.post(access_url(vendor), {"email": "b@example.com"}).status_code == 200
    frozen_clock.set(EPOCH.replace(minute=9, second=30))
    response = client.post(access_url(vendor), {"email": "c@example.com"})
    assert response.status_code == 429 and response["Retry-After"] == "30"
    frozen_clock.set(EPOCH.replace(minute=10))
    assert client.post(access_url(vendor), {"email": "c@example.com"}).status_code == 200


def test_a_window_allows_exactly_its_count(frozen_clock):
    verdicts = []
    for second in range(0, 500, 100):
        frozen_clock.set(EPOCH + timedelta(seconds=second))
        verdicts.append(hit())
    assert [v.allowed for v in verdicts] == [True, True, True, False, False]
    assert [v.retry_after for v in verdicts] == [0, 0, 0, 300, 200]


def test_refused_requests_keep_counting_until_the_window_ends(frozen_clock):
    for _ in range(10):
        hit()
    frozen_clock.advance(seconds=599)
    assert hit().allowed is False
    frozen_clock.advance(seconds=1)
    assert hit().allowed is True
    assert hit().allowed is True
    assert hit().allowed is True
    assert hit().allowed is False


def test_identities_and_scopes_are_counted_apart(frozen_clock):
    for _ in range(3):
        assert hit("a").allowed
    assert not hit("a").allowed
    assert hit("b").allowed
    assert ratelimit.rate_limit_hit(scope="other", identity="a", rule=RULE).allowed


def test_reached_reads_the_count_without_adding_to_it(frozen_clock):
    def reached(identity="a"):
        return ratelimit.rate_limit_reached(scope="t", identity=identity, rule=RULE)

    for _ in range(5):
        assert reached() is False  # reading alone never closes the window
    hit()
    hit()
    assert reached() is False
    hit()
    assert reached() is True
    assert reached("b") is False
    frozen_clock.advance(seconds=600)
    assert reached() is False


def test_limits_come_from_the_settings(frozen_clock, settings):
    settings.HUB_TEST_RATE = (1, 60)
    assert hit().allowed
    refused = hit()
    assert refused.allowed is False and refused.retry_after == 60
    frozen_clock.advance(seconds=60)
    assert hit().allowed


def counter_lifetimes() -> list[float | None]:
    """Seconds each rate-limit counter in the cache has left (None: forever),
    for the local-memory cache and for Redis alike."""
    from django.core.cache import cache

    if hasattr(cache, "_expire_info"):  # local memory
        now = time.time()
        return [
            None if expires is None else expires - now
            for key, expires in cache._expire_info.items()
            if ":rl:" in key
        ]
    client = cache._cache.get_client(write=False)
    lifetimes = []
    for key in client.scan_iter(match=f"{cache.key_prefix}:*rl:*"):
        ttl = client.ttl(key)
        lifetimes.append(None if ttl < 0 else ttl)
    return lifetimes


def test_a_counter_lives_as_long_as_its_window_and_then_goes(frozen_clock, settings):
    settings.HUB_TEST_RATE = (3, 3600)
    hit()
    hit("b")
    lifetimes = counter_lifetimes()
    assert len(lifetimes) == 2
    # Long enough to count the whole hour, short enough not to pile up.
    assert all(ttl is not None and 3600 - 5 <= ttl <= 3600 + 60 for ttl in lifetimes)


def test_a_limit_of_one_is_not_reached_before_the_first_request(frozen_clock, settings):
    settings.HUB_TEST_RATE = (1, 60)
    assert ratelimit.rate_limit_reached(scope="t", identity="a", rule=RULE) is False
    hit()
    assert ratelimit.rate_limit_reached(scope="t", identity="a", rule=RULE) is True


@pytest.fixture
def counter_expires_after_add(monkeypatch):
    """The race rate_limit_hit guards against: its counter's time runs out
    between add() (which found it) and incr(). The real cache does the work;
    the counter is only deleted at that moment, as the expiry would."""
    from django.core.cache import cache

    real_add = cache.add
    racing = {"on": True}

    def add_then_expire(key, *args, **kwargs):
        added = real_add(key, *args, **kwargs)
        if racing["on"]:
            cache.delete(key)
        return added

    monkeypatch.setattr(cache, "add", add_then_expire)
    return racing


@pytest.mark.parametrize("count", [1, 2])
def test_a_counter_that_expires_mid_request_starts_again_at_one(
    frozen_clock, settings, counter_expires_after_add, count
):
    settings.HUB_TEST_RATE = (count, 3600)
    assert hit() == ratelimit.Verdict(True, 0)
    counter_expires_after_add["on"] = False
    lifetimes = counter_lifetimes()
    assert len(lifetimes) == 1
    assert lifetimes[0] is not None and 3600 - 5 <= lifetimes[0] <= 3600 + 60
    assert [hit().allowed for _ in range(count)] == [True] * (count - 1) + [False]
