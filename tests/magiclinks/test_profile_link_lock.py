"""Two presses of Send Profile Link at once (two colleagues in the admin, or
the admin and the vendor's site through the API) send one email: the
customer's row is locked while the cooldown is decided (issue 27: the lock's
mutants survive every single-threaded test). PostgreSQL only: SQLite has no
row locks."""

import threading

import pytest
from django.db import connection, transaction
from django.test import RequestFactory

from billing.models import AuditEvent
from magiclinks.services import ProfileLinkCooldown, api_profile_link_queue, profile_link_queue
from tests.factories import UserFactory


def _press_in_admin(customer, user):
    request = RequestFactory().post("/admin/")
    request.user = user
    profile_link_queue(request=request, customer=customer)


def _press_through_the_api(customer, user):
    api_profile_link_queue(customer=customer, api_key_name="Website")


@pytest.mark.parametrize("second_press", [_press_in_admin, _press_through_the_api])
@pytest.mark.parametrize("first_press", [_press_in_admin, _press_through_the_api])
def test_two_presses_at_once_send_one_link(
    postgres, transactional_db, alice, settings, first_press, second_press
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    staff = UserFactory()
    first_decided = threading.Event()
    release = threading.Event()
    outcome: dict = {}

    def first():
        try:
            with transaction.atomic():
                first_press(alice, staff)
                first_decided.set()
                release.wait(timeout=10)
        finally:
            connection.close()

    def second():
        try:
            second_press(alice, staff)
            outcome["second"] = "sent"
        except ProfileLinkCooldown:
            outcome["second"] = "refused"
        finally:
            connection.close()

    one = threading.Thread(target=first)
    one.start()
    assert first_decided.wait(timeout=10)
    two = threading.Thread(target=second)
    two.start()
    # The second press waits on the customer's row; without the lock it
    # would read no recent link (the first is not committed) and send too.
    two.join(timeout=1)
    release.set()
    one.join(timeout=10)
    two.join(timeout=10)
    assert outcome == {"second": "refused"}
    assert AuditEvent.objects.filter(action="access.profile_link_sent").count() == 1
