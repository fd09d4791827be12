"""The Redis cache backend: one client per connection pool, the same behaviour."""

import pytest
import redis

from hub.redis_cache import HubRedisCache


@pytest.fixture
def cache(redis_url):
    backend = HubRedisCache(redis_url, {"KEY_PREFIX": "test-redis-cache"})
    yield backend
    backend.delete_many(["kept", "counter"])


def test_it_reuses_one_client_for_every_call(cache):
    first = cache._cache.get_client("kept")
    assert cache._cache.get_client("other", write=True) is first
    assert isinstance(first, redis.Redis)


def test_it_stores_reads_counts_and_forgets_like_djangos_backend(cache):
    cache.set("kept", {"customer": 7}, 30)
    assert cache.get("kept") == {"customer": 7}
    assert cache.add("counter", 1, 30)
    assert cache.incr("counter") == 2
    cache.delete("kept")
    assert cache.get("kept") is None


def test_redis_down_is_still_a_connection_error():
    backend = HubRedisCache(
        "redis://127.0.0.1:9/0", {"OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}}
    )
    with pytest.raises(redis.ConnectionError):
        backend.get("anything")
