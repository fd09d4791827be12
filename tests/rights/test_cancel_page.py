"""The public cancellation page /<account>/updateinfo/cancel/ (§ 312k BGB):
no sign-in before it, the declaration stored first, the same confirmation
for customers and strangers, and what happens next (carried out through the
cancellation service, or a request for the vendor), against localstripe and
the fake PayPal."""

import re
from datetime import date, timedelta

import pytest
from django.core import mail
from django.test import Client

from billing.models import AuditEvent, Subscription
from billing.processors.adapters import adapter_for
from rights.models import CancellationDeclaration
from tests.conftest import sign_in
from tests.factories import OrderFactory, SubscriptionFactory
from tests.support.processor_fixtures import paypal_calls, paypal_subscription, stripe_subscription

PAGE = "/northwind/updateinfo/cancel/"
FUTURE = (date.today() + timedelta(days=40)).isoformat()
UA = "TestBrowser/2.0"


def form(**fields):
    data = {
        "kind": "ordinary",
        "name": "Alice Adams",
        "email": "alice@example.com",
        "order_number": "ORD-7001",
        "when": "asap",
    }
    data.update(fields)
    return data


def declare(client, **fields):
    return client.post(PAGE, form(**fields), HTTP_USER_AGENT=UA)


def with_order(subscription, number="ORD-7001"):
    OrderFactory(
        customer=subscription.customer, number=number, subscription=subscription, product="x"
    )
    return subscription


@pytest.fixture
def stripe_sub(stripe_vendor, alice):
    return with_order(stripe_subscription(alice, product="Pro Membership"))


def remote(sub):
    return adapter_for(vendor=sub.vendor, processor=sub.processor).subscription_get(
        subscription_id=sub.processor_id
    )


# --- the page -------------------------------------------------------------------


def test_it_asks_for_everything_without_sign_in(client, vendor, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        response = client.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<h1 id="cancel-title">Cancel contracts here</h1>' in html
    assert ">Cancel now</button>" in html
    for name in ["kind", "reason", "name", "email", "order_number", "when", "requested_date"]:
        assert f'name="{name}"' in html
    assert "Extraordinary cancellation (for good cause)" in html
    assert "As soon as possible" in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert response["Cache-Control"] == "no-store, private"


def test_a_stranger_sees_the_order_id_marked_required_before_sending(client, vendor):
    # A stranger names the contract only by its Order ID: the label and the
    # input say so up front instead of an error after the submit.
    html = client.get(PAGE).content.decode()
    field = re.search(r'<input[^>]*name="order_number"[^>]*>', html).group(0)
    assert " required" in field
    label = re.search(r'<label for="id_order_number">(.*?)</label>', html, re.S).group(1)
    assert "(required)" in label
    response = declare(client, order_number="")
    assert "Enter the Order ID from your receipt." in response.content.decode()
    assert not CancellationDeclaration.objects.exists()


def test_a_signed_in_customer_picks_from_their_subscriptions_prefilled(
    client, vendor, alice, bob, django_assert_max_num_queries
):
    mine = with_order(SubscriptionFactory(customer=alice, product="Pro Membership"), "ORD-1")
    SubscriptionFactory(customer=alice, product="Old Plan", status="canceled")
    SubscriptionFactory(customer=bob, product="Bob's Plan")
    sign_in(client, alice)
    with django_assert_max_num_queries(5):
        html = client.get(PAGE).content.decode()
    assert 'value="Alice Adams"' in html and 'value="alice@example.com"' in html
    assert "Pro Membership (ORD-1)" in html
    assert f'value="{mine.pk}"' in html and "checked" in html
    assert "Old Plan" not in html and "Bob&#x27;s Plan" not in html and "Bob's Plan" not in html


def test_a_customer_signed_in_elsewhere_is_nobody_here(client, vendor, other_vendor, acme_alice):
    SubscriptionFactory(customer=acme_alice, product="Acme Suite")
    sign_in(client, acme_alice)
    html = client.get(PAGE).content.decode()
    assert "Acme Suite" not in html and "Alice at Acme" not in html
    assert 'name="contract"' not in html


def test_it_refuses_a_subscription_of_another_customer(client, vendor, alice, bob):
    with_order(SubscriptionFactory(customer=alice), "ORD-1")
    bobs = SubscriptionFactory(customer=bob)
    sign_in(client, alice)
    response = client.post(PAGE, form(contract=str(bobs.pk), order_number=""))
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not CancellationDeclaration.objects.exists()


# --- storing the declaration ------------------------------------------------------


def test_it_stores_the_declaration_and_confirms_it_on_screen_and_by_email(
    client, vendor, django_capture_on_commit_callbacks
):
    vendor.timezone = "Europe/Berlin"
    vendor.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = declare(
            client, kind="extraordinary", reason="Moved abroad", when="date", requested_date=FUTURE
        )
    assert response.status_code == 303
    declaration = CancellationDeclaration.objects.get()
    assert response["Location"].startswith("/northwind/updateinfo/cancel/done/")
    assert declaration.ip == "127.0.0.1" and declaration.user_agent == UA
    assert declaration.created_at.microsecond == 0
    assert (declaration.kind, declaration.reason, declaration.name) == (
        "extraordinary",
        "Moved abroad",
        "Alice Adams",
    )
    assert declaration.email == "alice@example.com" and declaration.order_number == "ORD-7001"
    assert declaration.when == "date" and str(declaration.requested_date) == FUTURE
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page["Referrer-Policy"] == "no-referrer"
    assert "Your cancellation was received" in html
    assert "(Europe/Berlin)" in html and "Moved abroad" in html and f"On {FUTURE}" in html
    assert re.search(r"\d{1,2}:\d{2}:\d{2}", html)  # time to the second
    confirmation = [m for m in mail.outbox if m.to == ["alice@example.com"]]
    assert len(confirmation) == 1
    body = confirmation[0].body
    assert "Moved abroad" in body and "(Europe/Berlin)" in body and "ORD-7001" in body
    assert "Cancel contracts here: http://testserver/northwind/updateinfo/cancel/" in body


def test_the_confirmation_is_the_same_for_customers_and_strangers(
    client, stripe_sub, frozen_clock, django_capture_on_commit_callbacks
):
    pages, emails = [], []
    for email, number in [("alice@example.com", "ORD-7001"), ("nobody@example.com", "ORD-404")]:
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            response = declare(
                client, email=email, order_number=number, when="date", requested_date=FUTURE
            )
        assert response.status_code == 303
        html = client.get(response["Location"]).content.decode()
        token = response["Location"].split("/")[-2]
        html = re.sub(r'nonce="[^"]+"', "", html)  # a new CSP nonce per response
        pages.append(html.replace(token, "TOKEN").replace(email, "EMAIL").replace(number, "ORD"))
        [confirmation] = [m for m in mail.outbox if m.to == [email]]
        emails.append(confirmation.body.replace(email, "EMAIL").replace(number, "ORD"))
    # The known customer's was matched (a date: a request), the stranger's not.
    matched, unmatched = CancellationDeclaration.objects.order_by("pk")
    assert matched.subscription == stripe_sub and unmatched.subscription is None
    assert pages[0] == pages[1]
    assert emails[0] == emails[1]


def test_it_answers_bad_input_with_the_form_and_stores_nothing(client, vendor):
    cases = [
        ({"name": ""}, "Enter your name."),
        ({"email": "not-an-email"}, "Enter a complete email address"),
        ({"kind": "extraordinary", "reason": " "}, "Give the reason"),
        ({"kind": "maybe"}, "Select a valid choice"),
        ({"order_number": ""}, "Enter the Order ID"),
        ({"when": "date", "requested_date": ""}, "Enter the date the contract should end."),
        ({"when": "date", "requested_date": "2001-01-01"}, "a later one"),
        ({"when": "date", "requested_date": "31/31/2031"}, "Enter a date"),
        ({"name": "Al\x00ice"}, "control characters"),
        ({"order_number": "X" * 41}, "at most 40"),
        ({"email": "a\x07@example.com"}, "special"),
    ]
    for fields, message in cases:
        response = declare(client, **fields)
        assert response.status_code == 200, fields
        html = response.content.decode()
        assert message in html.replace("&#x27;", "'").replace("’", "'"), (fields, message)
        assert "Error:" in html
    assert not CancellationDeclaration.objects.exists()
    assert mail.outbox == []


def test_it_needs_the_csrf_token(vendor):
    client = Client(enforce_csrf_checks=True)
    response = client.post(PAGE, form())
    assert response.status_code == 403
    assert not CancellationDeclaration.objects.exists()


def test_it_is_rate_limited_per_ip_and_stores_nothing_refused(client, vendor, settings):
    settings.HUB_CANCEL_RATE_PER_IP = (2, 600)
    for n in range(2):
        assert declare(client, email=f"p{n}@example.com").status_code == 303
    response = declare(client, email="p9@example.com")
    assert response.status_code == 429 and int(response["Retry-After"]) > 0
    assert "Nothing was stored" in response.content.decode()
    assert CancellationDeclaration.objects.count() == 2
    assert not CancellationDeclaration.objects.filter(email="p9@example.com").exists()


def test_it_is_rate_limited_per_email_whoever_asks(client, vendor, settings):
    settings.HUB_CANCEL_RATE_PER_EMAIL = (1, 3600)
    assert declare(client, REMOTE_ADDR="10.0.0.1").status_code == 303
    response = client.post(PAGE, form(), REMOTE_ADDR="10.0.0.2")
    assert response.status_code == 429
    assert CancellationDeclaration.objects.count() == 1
    # Another address is its own count.
    assert declare(client, email="carol@example.com").status_code == 303


# --- what happens next ----------------------------------------------------------


def test_a_matched_ordinary_cancellation_goes_through_stripe_and_can_be_kept(
    client, stripe_sub, alice, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = declare(client)
    assert response.status_code == 303
    declaration = CancellationDeclaration.objects.get()
    assert declaration.status == "carried_out" and declaration.subscription == stripe_sub
    assert remote(stripe_sub).cancel_at_period_end is True
    stripe_sub.refresh_from_db()
    assert stripe_sub.cancel_at_period_end
    event = AuditEvent.objects.get(action="subscription.canceled")
    assert event.details["source"] == "cancellation page"
    assert event.ip == "127.0.0.1" and event.user_agent == UA
    # The address on file gets the usual email, with its way back.
    canceled = [m for m in mail.outbox if "subscription is cancelled" in m.subject]
    assert [m.to for m in canceled] == [["alice@example.com"]]
    assert "Keep my subscription: http://testserver/northwind/updateinfo/subscriptions/" in (
        canceled[0].body
    )
    # ... and the way back works: signed in from that email, Keep.
    sign_in(client, alice)
    with django_capture_on_commit_callbacks(execute=True):
        kept = client.post(f"/northwind/updateinfo/subscriptions/{stripe_sub.pk}/keep/")
    assert kept.status_code in (302, 303)
    stripe_sub.refresh_from_db()
    assert not stripe_sub.cancel_at_period_end
    assert remote(stripe_sub).cancel_at_period_end is False


def test_a_matched_paypal_subscription_is_cancelled_at_paypal(
    client, paypal_vendor, paypal_api, alice, django_capture_on_commit_callbacks
):
    sub = with_order(paypal_subscription(alice, paypal_api))
    with django_capture_on_commit_callbacks(execute=True):
        assert declare(client).status_code == 303
    assert CancellationDeclaration.objects.get().status == "carried_out"
    paths = [call["path"] for call in paypal_calls(paypal_api)]
    assert any(
        sub.processor_id in path and path.endswith(("/suspend", "/cancel")) for path in paths
    )
    sub.refresh_from_db()
    assert sub.cancel_at_period_end or sub.status == "canceled"


def test_a_refused_processor_call_leaves_the_declaration_and_an_open_request(
    client, stripe_sub, settings, django_capture_on_commit_callbacks
):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens there
    settings.STRIPE_MAX_NETWORK_RETRIES = 0
    with django_capture_on_commit_callbacks(execute=True):
        response = declare(client)
    assert response.status_code == 303
    declaration = CancellationDeclaration.objects.get()
    assert declaration.status == "open" and declaration.processor_error
    stripe_sub.refresh_from_db()
    assert not stripe_sub.cancel_at_period_end and stripe_sub.cancel_requested_at is None
    assert not AuditEvent.objects.filter(action="subscription.canceled").exists()
    notices = [m for m in mail.outbox if m.to == ["help@nw.example"]]
    assert len(notices) == 1 and "refused" in notices[0].body


def test_a_refused_paypal_call_leaves_the_request_open(
    client, paypal_vendor, paypal_api, alice, django_capture_on_commit_callbacks
):
    import requests

    sub = with_order(paypal_subscription(alice, paypal_api))
    requests.post(f"{paypal_api}/_fake/fail", json={"status": 503, "count": 10}, timeout=5)
    with django_capture_on_commit_callbacks(execute=True):
        assert declare(client).status_code == 303
    declaration = CancellationDeclaration.objects.get()
    assert declaration.status == "open" and declaration.processor_error
    sub.refresh_from_db()
    assert sub.status == "active" and not sub.cancel_at_period_end


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "extraordinary", "reason": "Service stopped working"},
        {"when": "date", "requested_date": FUTURE},
        {"order_number": "ORD-0000"},
        {"email": "mallory@example.com"},
    ],
)
def test_what_is_not_carried_out_becomes_an_open_request(
    client, vendor, alice, fields, django_capture_on_commit_callbacks
):
    sub = with_order(SubscriptionFactory(customer=alice))
    with django_capture_on_commit_callbacks(execute=True):
        assert declare(client, **fields).status_code == 303
    declaration = CancellationDeclaration.objects.get()
    assert declaration.status == "open"
    sub.refresh_from_db()
    assert sub.cancel_requested_at is None and not sub.cancel_at_period_end
    notices = [m for m in mail.outbox if m.to == ["help@nw.example"]]
    assert len(notices) == 1 and "Cancellation request from Alice Adams" in notices[0].subject


def test_a_vendor_without_self_cancel_gets_a_request(
    client, vendor, alice, django_capture_on_commit_callbacks
):
    Subscription.objects.none()
    vendor.self_cancel = False
    vendor.save()
    sub = with_order(SubscriptionFactory(customer=alice))
    with django_capture_on_commit_callbacks(execute=True):
        declare(client)
    declaration = CancellationDeclaration.objects.get()
    assert declaration.status == "open" and declaration.subscription == sub
    sub.refresh_from_db()
    assert sub.cancel_requested_at is None


def test_the_order_id_of_another_vendor_matches_nothing(
    client, vendor, other_vendor, acme_alice, django_capture_on_commit_callbacks
):
    with_order(SubscriptionFactory(customer=acme_alice), "ORD-7001")
    with django_capture_on_commit_callbacks(execute=True):
        declare(client)
    declaration = CancellationDeclaration.objects.get()
    assert declaration.vendor == vendor and declaration.subscription is None


def test_processing_twice_has_no_second_effect(
    client, vendor, alice, django_capture_on_commit_callbacks
):
    from rights.tasks import declaration_confirm_task, declaration_process_task

    with_order(SubscriptionFactory(customer=alice))
    with django_capture_on_commit_callbacks(execute=True):
        declare(client, kind="extraordinary", reason="x")
    count = len(mail.outbox)
    declaration = CancellationDeclaration.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        declaration_process_task(declaration.pk)
        declaration_confirm_task(declaration.pk)
    assert len(mail.outbox) == count


# --- the confirmation's address and its PDF ------------------------------------------


def test_the_confirmation_is_found_only_with_its_token_at_its_vendor(
    client, vendor, other_vendor, django_assert_max_num_queries
):
    response = declare(client)
    location = response["Location"]
    with django_assert_max_num_queries(3):
        assert client.get(location).status_code == 200
    assert client.get(location.replace("northwind", "acme")).status_code == 404
    assert client.get(location[:-5] + "xxxx/").status_code == 404
    assert client.get(location.replace("northwind", "acme") + "pdf").status_code == 404


def test_the_pdf_is_the_confirmation(client, vendor):
    location = declare(client, name="Zoë Zimmer")["Location"]
    response = client.get(location + "pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith('attachment; filename="cancellation-')
    assert response.content.startswith(b"%PDF")


# --- links to the page -------------------------------------------------------------


def test_every_hub_page_links_to_it_signed_in_or_not(client, vendor, alice):
    link = '<a class="footer-rights" href="/northwind/updateinfo/cancel/">Cancel contracts here</a>'
    assert link in client.get("/northwind/updateinfo/").content.decode()  # the sign-in page
    assert link in client.get(PAGE).content.decode()
    sign_in(client, alice)
    for path in ["", "purchases/", "subscriptions/", "contact/"]:
        assert link in client.get(f"/northwind/updateinfo/{path}").content.decode(), path


def test_every_email_footer_links_to_it(client, vendor, alice, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/northwind/updateinfo/access/", {"email": "alice@example.com"})
    [email] = mail.outbox
    # In the email's language, like its other links.
    url = "http://testserver/northwind/updateinfo/cancel/?lang=en"
    assert f"Cancel contracts here: {url}" in email.body
    html = email.alternatives[0][0]
    assert f'href="{url}"' in html and "Cancel contracts here</a>" in html


def test_a_vendor_without_self_cancel_shows_how_to_cancel_on_subscriptions(client, vendor, alice):
    vendor.self_cancel = False
    vendor.save()
    SubscriptionFactory(customer=alice)
    sign_in(client, alice)
    html = client.get("/northwind/updateinfo/subscriptions/").content.decode()
    assert "help@nw.example" in html
    assert '<a href="/northwind/updateinfo/cancel/">Cancel contracts here</a>' in html


# --- the vendor setting (§ 312k BGB: not for vendors in Germany to turn off) -----


def test_a_vendor_outside_germany_can_turn_the_page_off(client, vendor, alice):
    vendor.cancellation_page = False
    vendor.country = "US"
    vendor.save()
    assert client.get(PAGE).status_code == 404
    assert client.post(PAGE, form()).status_code == 404
    assert "Cancel contracts here" not in client.get("/northwind/updateinfo/").content.decode()
    assert not CancellationDeclaration.objects.exists()


def test_a_vendor_in_germany_always_has_it(client, vendor):
    vendor.cancellation_page = False
    vendor.country = "DE"
    vendor.save()
    assert client.get(PAGE).status_code == 200
    assert "Cancel contracts here" in client.get("/northwind/updateinfo/").content.decode()


def test_the_admin_says_why_a_german_vendor_cannot_turn_it_off(staff_client, vendor):
    from tests.vendors.test_admin import change_data

    vendor.country = "DE"
    vendor.save()
    url = f"/admin/vendors/vendor/{vendor.pk}/change/"
    response = staff_client.post(url, change_data(vendor, cancellation_page=""))
    assert response.status_code == 200
    assert "Vendors in Germany cannot turn the cancellation page off: § 312k BGB" in (
        response.content.decode()
    )
    vendor.refresh_from_db()
    assert vendor.cancellation_page is True
    vendor.country = "US"
    vendor.save()
    data = change_data(vendor)
    data.pop("cancellation_page")
    assert staff_client.post(url, data).status_code == 302
    vendor.refresh_from_db()
    assert vendor.cancellation_page is False
