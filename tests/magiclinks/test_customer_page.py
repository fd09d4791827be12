"""The customer page in the vendors' admin (issue 11, point 4): the whole
story on one read-only page at a constant number of queries, search by
email, name and processor ids, Send Profile Link with a confirmation."""

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from billing.models import AuditEvent
from magiclinks.models import AccessLink
from magiclinks.services import api_link_create, profile_link_send
from tests.factories import (
    AuditEventFactory,
    OrderFactory,
    PaymentFactory,
    SubscriptionFactory,
)


def change_url(customer) -> str:
    return reverse("admin:billing_customer_change", args=[customer.pk])


def send_url(customer) -> str:
    return reverse("admin:billing_customer_send_profile_link", args=[customer.pk])


def history(customer, n: int) -> None:
    for i in range(n):
        PaymentFactory(order=OrderFactory(customer=customer, product=f"Workbook {i}"))
        SubscriptionFactory(customer=customer, product=f"Plan {i}")
        AuditEventFactory(vendor=customer.vendor, customer=customer, action=f"test.event{i}")
        api_link_create(customer=customer)


def test_the_page_tells_the_customers_whole_story(staff_client, alice):
    payment = PaymentFactory(order=OrderFactory(customer=alice, product="Course Workbook"))
    SubscriptionFactory(customer=alice, product="Pro Membership")
    used, _url = api_link_create(customer=alice)
    AccessLink.objects.filter(pk=used.pk).update(used_at=timezone.now())
    profile_link_send(request_id="0b8a3c1e-0000-4000-8000-000000000001", customer=alice)
    page = staff_client.get(change_url(alice))
    assert page.status_code == 200
    text = page.text
    assert "Course Workbook" in text and payment.order.number in text
    assert "Pro Membership" in text
    pdf = reverse("admin:billing_invoice_pdf", args=[payment.invoice.pk])
    assert f'href="{pdf}"' in text and payment.invoice.number in text
    assert "Created through the API" in text and "Used " in text
    assert "Sent by the vendor" in text and "Not used yet" in text
    assert "access.api_link_created" in text  # the audit trail
    # Never a token or a hash of one.
    for link in AccessLink.objects.all():
        assert link.token_hash not in text
    assert "/access/" not in text
    # Read-only: no form inputs for the customer's fields, no save button.
    assert 'name="email"' not in text and 'name="_save"' not in text


def test_the_page_costs_the_same_queries_for_a_long_history(staff_client, alice, bob):
    history(alice, 2)
    history(bob, 12)
    # The admin looks content types up through a per-process cache: whichever
    # request comes first in the process pays one query more. Both start cold,
    # so the count does not depend on which tests ran before this one.
    ContentType.objects.clear_cache()
    with CaptureQueriesContext(connection) as short:
        assert staff_client.get(change_url(alice)).status_code == 200
    ContentType.objects.clear_cache()
    with CaptureQueriesContext(connection) as long:
        assert staff_client.get(change_url(bob)).status_code == 200
    assert len(long) == len(short)
    assert len(short) <= 20


def test_the_invoice_pdf_downloads_for_staff_and_is_404_for_another_vendor(
    staff_client, alice, acme_staff, client
):
    payment = PaymentFactory(order=OrderFactory(customer=alice))
    url = reverse("admin:billing_invoice_pdf", args=[payment.invoice.pk])
    response = staff_client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    client.force_login(acme_staff)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("query", ["alice@example.com", "Adams", "cus_ALICE42", "PAYERALICE"])
def test_search_finds_by_email_name_and_processor_ids(staff_client, alice, bob, query):
    alice.stripe_customer_id = "cus_ALICE42"
    alice.paypal_payer_id = "PAYERALICE"
    alice.save()
    response = staff_client.get(reverse("admin:billing_customer_changelist"), {"q": query})
    assert list(response.context["cl"].result_list) == [alice]


def test_send_profile_link_asks_for_confirmation_first(
    staff_client, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        page = staff_client.post(send_url(alice))
    assert page.status_code == 200
    assert "Email alice@example.com a one-hour link" in page.text
    assert "No profile link has been sent to this customer yet." in page.text
    assert 'name="confirm" value="yes"' in page.text
    assert mail.outbox == [] and not AuditEvent.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(send_url(alice), {"confirm": "yes"})
    assert len(mail.outbox) == 1
    again = staff_client.post(send_url(alice))
    assert "A profile link was last sent" in again.text
    assert "Profile link last sent" in staff_client.get(change_url(alice)).text


def test_the_page_is_read_only_even_by_posting(staff_client, alice):
    staff_client.post(change_url(alice), {"email": "mallory@example.com", "name": "Mallory"})
    alice.refresh_from_db()
    assert alice.email == "alice@example.com"


def test_an_expired_unused_link_says_so(staff_client, alice):
    link, _url = api_link_create(customer=alice)
    AccessLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert "Not used (expired)" in staff_client.get(change_url(alice)).text


def test_amounts_are_formatted_from_cldr_in_the_admins_language(staff_client, alice):
    from decimal import Decimal

    PaymentFactory(order__customer=alice, amount=Decimal("1234.50"), currency="EUR")
    SubscriptionFactory(customer=alice, amount=Decimal("1234.50"), currency="EUR")
    german = staff_client.get(change_url(alice), headers={"accept-language": "de"}).text
    assert german.count("1.234,50\xa0€") == 3  # the payment, the subscription, the invoice
    english = staff_client.get(change_url(alice), headers={"accept-language": "en"}).text
    assert english.count("€1,234.50") == 3
    assert "1234.50 EUR" not in english


def test_staff_see_the_language_of_the_customers_emails(staff_client, alice, vendor):
    vendor.locale, vendor.languages = "de", ["de", "en", "fr"]
    vendor.save()
    page = staff_client.get(change_url(alice), headers={"accept-language": "en"}).text
    assert "Language of their emails" in page
    assert "Deutsch (the vendor’s: they chose none it offers)" in page
    alice.language = "fr"
    alice.save()
    page = staff_client.get(change_url(alice), headers={"accept-language": "en"}).text
    assert "Français (their choice)" in page
