"""`manage.py seed_demo`: the demo vendors and customers, exactly once however
often it runs, and only with DEBUG on (or --force)."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.utils import timezone

from billing.models import Customer, Invoice, Payment, Subscription
from vendors.models import Vendor


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    models = [
        m for name in ("vendors", "billing", "auth") for m in apps.get_app_config(name).get_models()
    ]
    return {m._meta.label: m.objects.count() for m in models}


@pytest.fixture
def seeded(db, settings):
    settings.DEBUG = True
    seed()
    return Vendor.objects.get(slug="demo"), Vendor.objects.get(slug="acme")


def test_it_refuses_to_run_with_debug_off(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        seed()
    assert not Vendor.objects.exists()


def test_it_runs_with_debug_off_when_forced(db, settings):
    settings.DEBUG = False
    seed(force=True)
    assert set(Vendor.objects.values_list("slug", flat=True)) == {"demo", "acme"}


def test_it_is_idempotent(seeded, settings):
    before = row_counts()
    assert before["billing.Payment"] > 60
    output = seed()
    assert row_counts() == before
    assert "Demo data is ready." in output


def test_it_prints_the_hub_urls_and_the_customer_emails(db, settings):
    settings.DEBUG = True
    settings.SITE_URL = "http://127.0.0.1:8000"
    output = seed()
    assert "http://127.0.0.1:8000/demo/updateinfo/" in output
    assert "http://127.0.0.1:8000/acme/updateinfo/" in output
    for name in ("alex", "blair", "casey", "dana", "eli"):
        assert f"{name}@example.com" in output


def test_the_demo_vendor_is_fully_branded(seeded):
    demo, _ = seeded
    assert demo.name == "Northwind Courses"
    assert demo.logo and demo.logo.storage.exists(demo.logo.name)
    assert demo.brand_color.startswith("#")
    assert demo.address and demo.support_email
    assert demo.social_links
    assert demo.self_cancel is True
    assert demo.country == "US"  # its invoices print on US Letter
    demo.full_clean()


def test_the_demo_vendor_has_its_six_customers(seeded):
    demo, _ = seeded
    assert sorted(demo.customers.values_list("email", flat=True)) == [
        f"{n}@example.com" for n in ("alex", "blair", "casey", "dana", "eli", "gale")
    ]


def test_alex_has_sixty_monthly_payments_and_one_purchase_each_invoiced(seeded):
    demo, _ = seeded
    alex = demo.customers.get(email="alex@example.com")
    (subscription,) = alex.subscriptions.all()
    assert (subscription.status, subscription.processor) == ("active", "stripe")
    assert subscription.interval == "month"
    assert subscription.payments.count() == 60
    payments = alex.payments.all()
    assert payments.count() == 61
    assert payments.filter(subscription=None).count() == 1
    assert set(payments.values_list("status", flat=True)) == {"paid"}
    assert Invoice.objects.filter(payment__in=payments).count() == 61
    dates = sorted(subscription.payments.values_list("created_at", flat=True))
    assert all(27 <= (b - a).days <= 31 for a, b in zip(dates, dates[1:], strict=False))
    assert dates[-1] < timezone.now() < subscription.next_payment_at


def test_blair_has_a_paypal_subscription_with_two_payments(seeded):
    demo, _ = seeded
    blair = demo.customers.get(email="blair@example.com")
    (subscription,) = blair.subscriptions.all()
    assert (subscription.status, subscription.processor) == ("active", "paypal")
    assert subscription.payments.filter(status="paid").count() == 2
    assert blair.payments.count() == 2


def test_casey_has_only_one_time_purchases_one_of_them_free(seeded):
    demo, _ = seeded
    casey = demo.customers.get(email="casey@example.com")
    assert not casey.subscriptions.exists()
    assert casey.payments.filter(subscription__isnull=False).count() == 0
    free = casey.payments.get(amount=Decimal("0"))
    assert free.status == "paid"
    assert free.invoice.total == Decimal("0")


def test_caseys_refund_has_its_amount_date_and_credit_note(seeded, client):
    from tests.conftest import sign_in

    demo, _ = seeded
    casey = demo.customers.get(email="casey@example.com")
    refunded = casey.payments.get(status="refunded")
    refund = refunded.refunds.get()
    assert refund.amount == refunded.amount_refunded == Decimal("15.00")
    assert refund.refunded_at == refunded.created_at + timedelta(days=2)
    assert refunded.order.status == "refunded"
    note = refund.credit_note
    assert note.number.startswith(f"{demo.invoice_prefix}-CN")
    sign_in(client, casey)
    page = client.get(f"/demo/updateinfo/invoices/{refunded.invoice.number}/").content.decode()
    assert "Refunded on" in page and "−$15.00" in page
    assert f"/demo/updateinfo/credit-notes/{note.number}/pdf" in page
    pdf = client.get(f"/demo/updateinfo/credit-notes/{note.number}/pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"


def test_dana_is_past_due_after_a_declined_charge(seeded):
    demo, _ = seeded
    dana = demo.customers.get(email="dana@example.com")
    (subscription,) = dana.subscriptions.all()
    assert (subscription.status, subscription.processor) == ("past_due", "stripe")
    last = subscription.payments.order_by("-created_at").first()
    assert last.status == Payment.Status.FAILED
    assert last.failure_message
    assert last.failed_at is not None
    assert not Invoice.objects.filter(payment=last).exists()


def test_eli_is_in_a_free_trial_without_a_payment(seeded):
    demo, _ = seeded
    eli = demo.customers.get(email="eli@example.com")
    (subscription,) = eli.subscriptions.all()
    assert subscription.status == Subscription.Status.TRIALING
    assert not eli.payments.exists()
    assert subscription.trial_end > timezone.now()
    assert subscription.next_payment_at > timezone.now() + timedelta(days=1)


def test_acme_has_its_own_alex_in_euros_and_no_self_cancel(seeded):
    demo, acme = seeded
    assert acme.self_cancel is False
    assert acme.country == "DE"
    acme_alex = acme.customers.get(email="alex@example.com")
    demo_alex = demo.customers.get(email="alex@example.com")
    assert acme_alex.pk != demo_alex.pk
    assert acme_alex.payments.exists()
    assert set(acme_alex.payments.values_list("currency", flat=True)) == {"EUR"}
    assert set(acme_alex.orders.values_list("product", flat=True)).isdisjoint(
        set(demo_alex.orders.values_list("product", flat=True))
    )
    # Besides alex, only the customers of its invoices as Stripe charged them.
    assert sorted(
        acme.customers.exclude(email="alex@example.com").values_list("email", flat=True)
    ) == [
        "einkauf@beispiel-handel.example",
        "kim@example.com",
    ]
    assert (
        not Customer.objects.filter(vendor=acme, stripe_customer_id="")
        .exclude(email="alex@example.com")
        .exists()
    )


def test_invoice_numbers_run_from_one_without_gaps_per_vendor(seeded):
    for vendor in seeded:
        invoices = Invoice.objects.filter(vendor=vendor).order_by("sequence")
        sequences = list(invoices.values_list("sequence", flat=True))
        assert sequences == list(range(1, len(sequences) + 1))
        assert invoices.last().number == f"{vendor.invoice_prefix}-{len(sequences):06d}"
        paid = Payment.objects.filter(vendor=vendor, status__in=["paid", "refunded"])
        assert paid.count() == len(sequences)


def test_invoice_numbers_follow_the_payment_dates_per_vendor(seeded):
    """The oldest payment has the lowest number, as if the vendor had issued
    them as the payments came in (the stories are seeded customer by customer)."""
    for vendor in seeded:
        invoices = list(
            Invoice.objects.filter(vendor=vendor)
            .select_related("payment")
            .order_by("payment__created_at", "payment_id")
        )
        assert len(invoices) > 1
        sequences = [invoice.sequence for invoice in invoices]
        assert sequences == sorted(sequences), vendor.slug
        assert all(i.issued_at == i.payment.paid_at for i in invoices)
    # Across customers too: alex's workbook (45 days ago) comes after his
    # renewals of that time and before casey's later purchases.
    demo, _ = seeded
    workbook = Invoice.objects.get(vendor=demo, payment__order__product="Course Workbook (PDF)")
    older = Invoice.objects.filter(vendor=demo, payment__created_at__lt=workbook.payment.created_at)
    assert workbook.sequence == older.count() + 1


def test_with_the_fakes_running_the_demo_subscriptions_live_there(
    db, settings, stripe_api, paypal_api
):
    """make demo's stories need real (fake) processor objects behind the
    seeded subscriptions: alex's card and cancel at localstripe, blair's
    PayPal subscription at the fake PayPal."""
    from billing.processors.adapters import adapter_for

    settings.DEBUG = True
    output = seed()
    assert "Connected to the local Stripe and PayPal fakes." in output
    demo = Vendor.objects.get(slug="demo")
    alex = demo.subscriptions.get(customer__email="alex@example.com")
    remote = adapter_for(vendor=demo, processor="stripe").subscription_get(
        subscription_id=alex.processor_id
    )
    assert remote.status == "active" and alex.customer.stripe_customer_id == remote.customer_id
    assert alex.payments.count() == 60  # the history stays
    blair = demo.subscriptions.get(customer__email="blair@example.com")
    assert blair.processor_id == "I-DEMOBLAIR0001"
    assert (
        adapter_for(vendor=demo, processor="paypal")
        .subscription_get(subscription_id=blair.processor_id)
        .status
        == "active"
    )
    # dana's renewal was declined at the fake for real: the hub holds the
    # status the fake holds (never one forced here) and the fake the open invoice.
    dana = demo.subscriptions.get(customer__email="dana@example.com")
    stripe = adapter_for(vendor=demo, processor="stripe")
    assert dana.status == stripe.subscription_get(subscription_id=dana.processor_id).status
    unpaid = stripe.invoice_open_for_subscription(subscription_id=dana.processor_id)
    assert unpaid is not None and unpaid.amount_due == dana.amount
    assert dana.payments.filter(status="failed").exists()
    # A second run (the fakes still up) links nothing new.
    ids = set(Subscription.objects.values_list("processor_id", flat=True))
    seed()
    assert set(Subscription.objects.values_list("processor_id", flat=True)) == ids


def test_the_demos_links_follow_its_port(db, settings, monkeypatch):
    """make demo PORT=8123: the seed prints, and emails will carry, port 8123."""
    from tests.support.demo import demo_env

    monkeypatch.delenv("SITE_URL", raising=False)
    env = demo_env(host="127.0.0.1", port="8123", stripe_port="1", paypal_port="2")
    assert env["SITE_URL"] == "http://127.0.0.1:8123"
    settings.DEBUG = True
    settings.SITE_URL = env["SITE_URL"]
    assert "http://127.0.0.1:8123/demo/updateinfo/" in seed()


def test_the_demo_has_an_owner_and_a_support_person(seeded):
    from vendors.models import VendorMembership

    roles = dict(
        VendorMembership.objects.filter(vendor__slug="demo").values_list("user__username", "role")
    )
    assert roles == {"demo-admin": "owner", "demo-owner": "owner", "demo-support": "support"}
    assert not VendorMembership.objects.filter(
        vendor__slug="acme", user__username__in=["demo-owner", "demo-support"]
    ).exists()


def test_the_demos_stripe_connection_tests_as_working(db, settings, stripe_api):
    from billing.processors.connections import connection_test

    settings.DEBUG = True
    settings.SITE_URL = "http://127.0.0.1:9/seed-demo-test"
    seed()
    result = connection_test(vendor=Vendor.objects.get(slug="demo"), processor="stripe")
    assert result.ok, result.checks


def test_the_demos_paypal_connection_tests_as_working(db, settings, paypal_api):
    """Issue 21: Test PayPal connection in the demo says all is well."""
    from billing.processors.connections import connection_test

    settings.DEBUG = True
    settings.SITE_URL = "http://127.0.0.1:9/seed-demo-test"
    seed()
    result = connection_test(vendor=Vendor.objects.get(slug="demo"), processor="paypal")
    assert result.ok, result.checks


def test_the_mailbox_holds_a_receipt_of_each_style(seeded):
    """Issue 21: a newcomer sees the detailed receipt, with the hub button the
    vendors' customers will use, and the basic one; each once."""
    from django.core import mail

    receipts = {m.from_email.split(" <")[0]: m for m in mail.outbox if m.to == ["alex@example.com"]}
    assert set(receipts) == {"Northwind Courses", "Acme Software GmbH"}
    detailed = receipts["Northwind Courses"]
    assert "/demo/updateinfo/" in detailed.body
    assert "/demo/updateinfo/" in detailed.alternatives[0][0]
    basic = receipts["Acme Software GmbH"]
    # No hub button; only the footer's public cancellation page (§ 312k BGB).
    assert "/acme/updateinfo/" not in basic.body.replace("/acme/updateinfo/cancel/", "")
    assert "/acme/updateinfo/cancel/" in basic.body
    sent = len(mail.outbox)
    seed()
    assert len(mail.outbox) == sent


def _dates_agree(vendors) -> None:
    """Each renewing subscription's next payment comes one interval after its
    last paid payment (a few days' slack for month lengths). A past-due one's
    next date is a retry of the declined payment: not a renewal."""
    checked = 0
    for vendor in vendors:
        for subscription in vendor.subscriptions.filter(status="active"):
            last = subscription.payments.order_by("-created_at").first()
            if last is None or last.status != "paid" or subscription.next_payment_at is None:
                continue  # nothing paid yet to count from
            gap = subscription.next_payment_at - last.created_at
            days = 365 if subscription.interval == "year" else 30
            assert timedelta(days=days - 4) <= gap <= timedelta(days=days + 4), (
                subscription.customer.email,
                last.created_at,
                subscription.next_payment_at,
            )
            checked += 1
    assert checked >= 3


def test_the_demos_dates_agree(seeded):
    """Issue 21: the next payment after the last one, a yearly plan's a year after."""
    _dates_agree(seeded)


def test_the_demos_dates_agree_with_the_fakes_too(db, settings, stripe_api, paypal_api):
    settings.DEBUG = True
    seed()
    _dates_agree(Vendor.objects.all())


def test_the_demo_shows_the_languages(seeded, client):
    """acme speaks German by default; the demo vendor offers all four
    languages, in its footer's menu, and issues documents in the customer's."""
    from vendors.formatting import offered_languages

    demo = Vendor.objects.get(slug="demo")
    assert offered_languages(demo) == ("en", "de", "fr", "es")
    assert demo.document_language == Vendor.DocumentLanguage.CUSTOMER
    acme = client.get("/acme/updateinfo/")
    assert '<html lang="de"' in acme.text and acme["Content-Language"] == "de"
    menu = client.get("/demo/updateinfo/").text.split('class="language-menu"', 1)[1]
    for code, name in [("en", "English"), ("de", "Deutsch"), ("fr", "Français"), ("es", "Español")]:
        assert f'<option value="{code}" lang="{code}"' in menu and name in menu
