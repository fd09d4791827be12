"""The daily purge of expired sessions and old links (issue 12, point 9)."""

from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from magiclinks.models import AccessLink, CustomerSession
from magiclinks.services import access_records_purge
from magiclinks.tasks import access_records_purge_task
from tests.conftest import sign_in
from tests.factories import CustomerFactory

ROOT = Path(__file__).resolve().parents[2]


def _link(customer, *, days_ago: int) -> AccessLink:
    created = timezone.now() - timedelta(days=days_ago)
    return AccessLink.objects.create(
        vendor=customer.vendor,
        customer=customer,
        purpose=AccessLink.Purpose.CUSTOMER_REQUEST,
        token_hash=f"{days_ago:064d}",
        created_at=created,
        expires_at=created + timedelta(hours=1),
    )


def test_it_deletes_expired_sessions_and_links_older_than_30_days(alice):
    old, recent = _link(alice, days_ago=31), _link(alice, days_ago=29)
    signed_in, expired = Client(), Client()
    sign_in(signed_in, alice)
    sign_in(expired, alice)
    expired_key = expired.cookies[settings.SESSION_COOKIE_NAME].value
    Session.objects.filter(session_key=expired_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    counts = access_records_purge()
    assert counts["links"] == 1 and counts["sessions"] == 1 and counts["session_keys"] == 1
    assert list(AccessLink.objects.all()) == [recent]
    assert not AccessLink.objects.filter(pk=old.pk).exists()
    assert not Session.objects.filter(session_key=expired_key).exists()
    assert CustomerSession.objects.count() == 1
    # The live session still signs in.
    assert signed_in.get(alice.vendor.hub_path).wsgi_request.customer == alice


def test_the_purge_runs_daily_from_celery_beat(vendor):
    entry = settings.CELERY_BEAT_SCHEDULE["purge-expired-sessions-and-old-links"]
    assert entry["task"] == access_records_purge_task.name
    assert entry["schedule"] <= 24 * 60 * 60
    compose = (ROOT / "docker-compose.yml").read_text()
    assert '"celery", "-A", "hub", "beat"' in compose
    # The task runs (twice is fine).
    _link(CustomerFactory(vendor=vendor), days_ago=40)
    access_records_purge_task.apply()
    access_records_purge_task.apply()
    assert not AccessLink.objects.exists()
