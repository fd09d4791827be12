"""Send Profile Link in the vendors' admin (issue 3, points 8 and 9)."""

import re
from datetime import timedelta

from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from billing.models import AuditEvent
from magiclinks.models import AccessLink

from .fixtures import is_signed_in, last_email_to, link_path


def send_url(customer) -> str:
    return reverse("admin:billing_customer_send_profile_link", args=[customer.pk])


def change_url(customer) -> str:
    return reverse("admin:billing_customer_change", args=[customer.pk])


def test_the_change_page_has_the_button(staff_client, alice):
    response = staff_client.get(change_url(alice))
    assert response.status_code == 200
    assert "Send Profile Link" in response.text
    assert f'action="{send_url(alice)}"' in response.text


def test_it_emails_the_customer_and_confirms_without_the_link(
    staff_client, northwind_staff, alice, vendor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(send_url(alice), {"confirm": "yes"}, follow=True)
    assert response.status_code == 200
    assert "Profile link sent to alice@example.com." in response.text
    message = last_email_to("alice@example.com")
    assert len(mail.outbox) == 1
    path = link_path(message)
    token = path.rstrip("/").rsplit("/", 1)[1]
    # The staff never see the link: not in the page, not in the audit record.
    assert token not in response.text and "/access/" not in response.text
    assert "Northwind Courses" in message.subject
    assert "Hello Alice Adams," in message.body
    assert "securely view your purchases and update your payment details" in message.body
    assert "The Northwind Courses team" in message.body
    html = message.alternatives[0][0]
    assert (
        html.count(f'href="http://testserver{path}?lang=en"') == 2
    )  # the button and the fallback, in the email's language
    assert "<img" not in html
    event = AuditEvent.objects.get(action="access.profile_link_sent")
    assert event.customer == alice and event.user == northwind_staff and event.actor == "staff"
    assert token not in str(event.details)
    link = AccessLink.objects.get()
    assert link.purpose == "vendor_sent" and link.binding_hash == "" and link.code_hash == ""


def test_the_vendor_sent_link_asks_for_continue_then_signs_in(
    staff_client, alice, vendor, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(send_url(alice), {"confirm": "yes"})
    path = link_path(last_email_to("alice@example.com"))
    person = Client()
    assert "Continue" in person.get(path).text
    assert AccessLink.objects.get().used_at is None
    assert person.post(path)["Location"] == vendor.hub_path
    assert is_signed_in(person, vendor, "Alice Adams")


def test_sending_is_a_post(staff_client, alice):
    assert staff_client.get(send_url(alice)).status_code == 405
    assert mail.outbox == []


def test_staff_of_one_vendor_cannot_see_another_vendors_customers(staff_client, alice, acme_alice):
    listing = staff_client.get(reverse("admin:billing_customer_changelist"))
    assert listing.status_code == 200
    assert "Alice Adams" in listing.text
    assert "Alice at Acme" not in listing.text
    response = staff_client.get(change_url(acme_alice))
    assert response.status_code == 404  # as if it did not exist
    assert "Alice at Acme" not in response.text
    assert send_url(acme_alice) not in response.text


def test_staff_of_one_vendor_cannot_send_for_another_vendors_customer(
    staff_client, acme_alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(send_url(acme_alice), {"confirm": "yes"})
    assert response.status_code == 404
    assert mail.outbox == []
    assert not AccessLink.objects.exists()
    assert not AuditEvent.objects.exists()


def test_the_bulk_action_sends_to_the_selected_customers_of_ones_own_vendors(
    staff_client, alice, bob, acme_alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("admin:billing_customer_changelist"),
            {
                "action": "send_profile_link",
                "_selected_action": [alice.pk, bob.pk, acme_alice.pk],
            },
            follow=True,
        )
    assert response.status_code == 200
    assert "Profile links sent to alice@example.com, bob@example.com." in response.text
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.com", "bob@example.com"]
    assert all(m.from_email.startswith("Northwind Courses") for m in mail.outbox)
    assert "/access/" not in response.text
    assert not AccessLink.objects.filter(customer=acme_alice).exists()
    assert AuditEvent.objects.filter(action="access.profile_link_sent").count() == 2


def test_the_bulk_action_cannot_reach_another_vendor(
    staff_client, acme_alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            reverse("admin:billing_customer_changelist"),
            {"action": "send_profile_link", "_selected_action": [acme_alice.pk]},
        )
    assert mail.outbox == []
    assert not AccessLink.objects.exists()
    assert not AuditEvent.objects.exists()


def test_access_links_are_not_in_the_admin(staff_client, admin_client):
    assert admin_client.get("/admin/magiclinks/").status_code == 404
    assert staff_client.get("/admin/magiclinks/").status_code == 404


# --- the cooldown (issue 13, point 8) --------------------------------------------------


def test_a_second_press_within_the_cooldown_is_refused_and_says_when(
    staff_client, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(send_url(alice), {"confirm": "yes"})
        response = staff_client.post(send_url(alice), {"confirm": "yes"}, follow=True)
    first = AuditEvent.objects.get(action="access.profile_link_sent")
    next_at = timezone.localtime(first.created_at + timedelta(seconds=300))
    assert response.status_code == 200
    assert (
        "A profile link was just sent to alice@example.com; from "
        f"{date_format(next_at, 'DATETIME_FORMAT')} on, another can be sent." in response.text
    )
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]
    # The confirmation and the change page say it before anyone presses, and
    # the button cannot be pressed meanwhile.
    confirm = staff_client.post(send_url(alice)).text
    assert "another profile link can be sent." in confirm
    assert re.search(r'value="Yes, send the link" disabled>', confirm)
    change = staff_client.get(change_url(alice)).text
    assert "on, the next can be sent." in change
    # No sentence ends twice: "p.m.." nowhere, whatever the clock says.
    for page in (response.text, confirm, change):
        assert ".." not in re.sub(r"<[^>]+>", "", page).replace("...", "")


def test_after_the_cooldown_it_sends_again(
    staff_client, alice, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(send_url(alice), {"confirm": "yes"})
        # The first send moves back past the cooldown: time passed.
        AuditEvent.objects.filter(action="access.profile_link_sent").update(
            created_at=timezone.now() - timedelta(seconds=settings.PROFILE_LINK_COOLDOWN + 1)
        )
        assert "the next can be sent" not in staff_client.get(change_url(alice)).text
        assert 'value="Yes, send the link">' in staff_client.post(send_url(alice)).text
        response = staff_client.post(send_url(alice), {"confirm": "yes"}, follow=True)
    assert "Profile link sent to alice@example.com." in response.text
    assert len(mail.outbox) == 2


def test_the_cooldown_is_per_customer(staff_client, alice, bob, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(send_url(alice), {"confirm": "yes"})
        response = staff_client.post(
            reverse("admin:billing_customer_changelist"),
            {"action": "send_profile_link", "_selected_action": [alice.pk, bob.pk]},
            follow=True,
        )
    assert "A profile link was just sent to alice@example.com" in response.text
    assert "Profile link sent to bob@example.com." in response.text
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.com", "bob@example.com"]


def test_support_sees_the_customers_company_and_tax_id_but_cannot_edit_them(staff_client, alice):
    alice.company, alice.tax_id, alice.tax_id_type = "Adams Trading", "DE136695976", "eu_vat"
    alice.tax_id_verification = "verified"
    alice.save()
    response = staff_client.get(change_url(alice))
    page = response.text
    assert "Adams Trading" in page and "DE136695976" in page
    assert 'name="tax_id"' not in page and 'name="company"' not in page
