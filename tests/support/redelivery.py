"""A test-only Celery task for the killed-worker test
(tests/hub/test_worker_redelivery.py). The worker imports it with
`--include tests.support.redelivery`; production workers never see it."""

import time

import redis
from celery import shared_task
from django.conf import settings


@shared_task(name="tests.support.redelivery.block_on_first_delivery", acks_late=True)
def block_on_first_delivery(key: str) -> None:
    """Count deliveries in Redis; the first one blocks (until its worker is
    killed), a later one marks the task done."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    if client.incr(f"{key}:deliveries") == 1:
        time.sleep(120)  # the test kills the worker long before this ends
        return
    client.set(f"{key}:done", "1", ex=300)
