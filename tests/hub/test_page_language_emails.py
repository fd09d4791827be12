"""An email a customer asks for from a hub page (cancel, keep, email
change, its notice) is in the customer's stored language, else the language
of that page, else the vendor's: never the language of staff in the admin."""

import re

import pytest
from django.core import mail
from django.test import RequestFactory

from billing.cancellation import subscription_canceled_notify
from tests.support.processor_fixtures import stripe_subscription
from vendors.languages import page_language


@pytest.fixture
def vendor(vendor):
    vendor.locale = "de"
    vendor.languages = ["de", "en", "fr"]
    vendor.save()
    return vendor


def built_in(message) -> str:
    return message.extra_headers["Content-Language"]


def test_cancelling_on_a_french_page_confirms_in_french(
    alice_client, stripe_vendor, alice, django_capture_on_commit_callbacks
):
    subscription = stripe_subscription(alice, product="Pro Membership")
    url = f"{stripe_vendor.hub_path}subscriptions/{subscription.pk}/cancel/"
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(url, {}, headers={"accept-language": "fr"})
    assert response.status_code == 302
    [message] = mail.outbox
    assert built_in(message) == "fr"


def test_the_stored_choice_beats_the_pages_language(vendor, alice):
    from tests.factories import SubscriptionFactory

    alice.language = "en"
    alice.save()
    subscription = SubscriptionFactory(customer=alice)
    subscription_canceled_notify(subscription=subscription, language="fr")
    assert built_in(mail.outbox[0]) == "en"


def test_an_email_change_asked_on_a_french_page_is_confirmed_in_french(
    alice_client, vendor, alice, django_capture_on_commit_callbacks, client
):
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(
            f"{vendor.hub_path}profile/",
            {"name": alice.name, "email": "alice.new@example.com", "country": "US"},
            headers={"accept-language": "fr"},
        )
    [confirm] = mail.outbox
    assert confirm.to == ["alice.new@example.com"] and built_in(confirm) == "fr"
    path = re.search(r"https?://[^/\s]+(/\S+/email/\S+)", confirm.body).group(1)
    assert path.endswith("/?lang=fr")
    # Confirmed on a page in French too (the link carries it): the old
    # address is told in French.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(path)
    assert response.status_code in (200, 302)
    notice = mail.outbox[-1]
    assert notice.to == ["alice@example.com"] and built_in(notice) == "fr"


def test_an_admin_request_gives_no_page_language(rf, vendor):
    staff = RequestFactory().get("/admin/", headers={"accept-language": "fr"})
    staff.LANGUAGE_CODE = "fr"
    assert page_language(staff) == ""  # no hub vendor: the staff's language is theirs
    assert page_language(None) == ""
    hub = rf.get(vendor.hub_path)
    hub.vendor, hub.LANGUAGE_CODE = vendor, "fr"
    assert page_language(hub) == "fr"
