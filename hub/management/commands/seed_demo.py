"""Seed the demo: vendor `demo` (self-cancellation on) with five customers who
between them show every kind of history, and vendor `acme` (self-cancellation
off, EUR) with its own alex@example.com. Safe to run twice: whatever exists
is kept, and a customer who already has purchases gets none added."""

import calendar
import io
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from billing.documents.invoices import invoice_issue
from billing.models import Customer, Order, Payment, Processor, Subscription
from billing.processors.adapters import stripe_adapter_for
from billing.processors.adapters.base import ProcessorError
from billing.provisioning import stripe_subscription_provision, subscription_link_remote
from billing.refunds import refund_record
from billing.services import customer_get_or_create, order_create, payment_record
from vendors.models import Vendor, VendorMembership

from ._demo_charges import demo_charges_at_stripe, demo_charges_recorded

DEMO_ADMIN = ("demo-admin", "demo-admin-password")
# The subscription the fake PayPal creates with `--seed demo` (tests/support/fake_paypal.py).
DEMO_PAYPAL_ID = "I-DEMOBLAIR0001"
DEMO_PAYPAL_PAYER = "DEMOBLAIR01"
# Stripe's test payment methods for the demo cards' last four digits.
DEMO_CARDS = {"4242": "pm_card_visa", "4444": "pm_card_mastercard"}


def add_months(moment: datetime, months: int) -> datetime:
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def logo_png(color: str, letter: str) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (160, 160), color)
    draw = ImageDraw.Draw(image)
    draw.ellipse((28, 28, 132, 132), fill="white")
    draw.text((66, 62), letter, fill=color, font_size=40)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


class Seeder:
    def __init__(self, vendor: Vendor, now: datetime):
        self.vendor = vendor
        self.now = now
        self.next_order = 1000 + vendor.orders.count()
        # Paid payments waiting for their invoice: the stories are written
        # customer by customer, but a vendor numbers invoices as payments
        # come in, so they are issued at the end, oldest first.
        self.uninvoiced: list[Payment] = []
        # Refunds come after their invoices: (payment, when).
        self.refunds: list[tuple[Payment, datetime]] = []

    def pay(self, **fields) -> Payment:
        payment = payment_record(issue_invoice=False, **fields)
        if payment.status in (Payment.Status.PAID, Payment.Status.REFUNDED):
            self.uninvoiced.append(payment)
        return payment

    def invoice_in_date_order(self) -> None:
        for payment in sorted(self.uninvoiced, key=lambda p: (p.created_at, p.pk)):
            invoice_issue(payment=payment)
        self.uninvoiced.clear()
        # A refund as the processor reports one: a Refund row and its credit
        # note (numbered after the invoices), as casey's story shows.
        for payment, when in self.refunds:
            refund_record(
                payment=payment,
                amount=payment.amount,
                reason="requested_by_customer",
                refunded_at=when,
                processor_ref="",
            )
        self.refunds.clear()

    def order_number(self) -> str:
        self.next_order += 1
        return f"{self.vendor.invoice_prefix}-{self.next_order}"

    def customer(self, email: str, name: str, **address) -> Customer | None:
        """The customer, or None when they already have purchases (seeded before)."""
        customer, _ = customer_get_or_create(vendor=self.vendor, email=email, name=name, **address)
        return None if customer.orders.exists() else customer

    def one_time(
        self, customer, product, amount, days_ago, status="paid", processor="stripe", refund_after=0
    ):
        """A one-time purchase; `refund_after` days later it is refunded in full."""
        created = self.now - timedelta(days=days_ago)
        order = order_create(
            customer=customer,
            number=self.order_number(),
            product=product,
            amount=Decimal(amount),
            currency=self.vendor.default_currency,
            status=status,
            processor=processor,
            created_at=created,
        )
        card = {"card_brand": "visa", "card_last4": "4242"} if processor == "stripe" else {}
        payment = self.pay(
            order=order, amount=Decimal(amount), status=status, created_at=created, **card
        )
        if refund_after:
            self.refunds.append((payment, created + timedelta(days=refund_after)))
        return order

    def subscription(self, customer, *, product, amount, status, processor, started, **extra):
        subscription = Subscription.objects.create(
            vendor=self.vendor,
            customer=customer,
            product=product,
            status=status,
            amount=Decimal(amount),
            currency=self.vendor.default_currency,
            processor=processor,
            processor_id=f"{'sub' if processor == 'stripe' else 'I-DEMO'}_{self.vendor.slug}_"
            f"{customer.email.split('@')[0]}",
            **extra,
        )
        order = order_create(
            customer=customer,
            number=self.order_number(),
            product=product,
            amount=Decimal(amount),
            currency=self.vendor.default_currency,
            status=Order.Status.PENDING if status == "trialing" else Order.Status.PAID,
            processor=processor,
            created_at=started,
            subscription=subscription,
        )
        return subscription, order

    def renewals(self, subscription, order, *, started, count, months=1, card=None, last=None):
        card = card or {}
        for i in range(count):
            moment = add_months(started, i * months)
            self.pay(
                order=order,
                subscription=subscription,
                amount=subscription.amount,
                status=Payment.Status.PAID,
                created_at=moment,
                **card,
            )
        if last:
            self.pay(order=order, subscription=subscription, amount=subscription.amount, **last)


def stripe_renewal_decline(subscription: Subscription) -> Subscription:
    """Make `subscription` past due at Stripe for real, as a renewal whose
    card is declined does: the card becomes one that Stripe always declines,
    a renewal invoice is issued and charged, and the charge fails. Stripe
    then holds the subscription `past_due` with that invoice open, and the
    hub records what Stripe says (dana's story: she pays the invoice once
    she has put in a working card). Only Stripe's public API is used, so
    the fake agrees because it is asked the same way Stripe would be."""
    import requests

    adapter = stripe_adapter_for(vendor=subscription.vendor)
    customer_id = subscription.customer.stripe_customer_id
    adapter.default_payment_method_set(
        customer_id=customer_id,
        subscription_id=subscription.processor_id,
        payment_method_id="pm_card_chargeCustomerFail",
        idempotency_key=f"demo-decline-{subscription.pk}-{uuid.uuid4()}",
    )
    # The adapter has no call that issues an invoice (the hub never does);
    # the demo asks Stripe's API directly, as a renewal would.
    response = requests.post(
        f"{settings.STRIPE_API_BASE}/v1/invoices",
        data={"customer": customer_id, "subscription": subscription.processor_id},
        auth=(subscription.vendor.stripe_secret_key, ""),
        timeout=10,
    )
    response.raise_for_status()
    try:
        adapter.invoice_pay(
            invoice_id=response.json()["id"],
            payment_method_id="",
            idempotency_key=f"demo-renewal-{subscription.pk}-{uuid.uuid4()}",
        )
    except ProcessorError as declined:
        if declined.code != "card_declined":
            raise CommandError(f"The local Stripe fake failed: {declined.detail}") from declined
    else:
        raise CommandError("The local Stripe fake charged a card that always declines.")
    return subscription_link_remote(
        customer=subscription.customer,
        processor=Processor.STRIPE,
        processor_id=subscription.processor_id,
    )


def demo_receipts(*vendors: Vendor) -> None:
    """The receipt of each vendor's latest payment, as the hub sends one when
    a payment comes in: the demo vendor's detailed receipt (the hub button at
    its foot, the link the vendors' customers use) and acme's basic one, so a
    newcomer finds both in the mailbox. Once: a receipt is never sent twice."""
    from billing.documents.receipts import payment_receipt_send

    for vendor in vendors:
        latest = (
            vendor.payments.filter(status=Payment.Status.PAID, customer__email="alex@example.com")
            .order_by("-created_at")
            .first()
        )
        if latest is not None:
            payment_receipt_send(payment_id=latest.pk)


def demo_webhook_secret(slug: str) -> str:
    """The webhook secret of a demo vendor at the local fake Stripe."""
    return f"whsec_demo_{slug}"


class Command(BaseCommand):
    help = "Create the demo vendors and customers (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (never in production)."
        )

    def handle(self, *args, force=False, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates a known admin password; it runs only with DEBUG on (or --force)."
            )
        now = timezone.now().replace(microsecond=0)
        with transaction.atomic():
            demo = self.vendor_demo()
            acme = self.vendor_acme()
            for vendor, stories in (
                (demo, self.seed_demo_customers),
                (acme, self.seed_acme_customers),
            ):
                seeder = Seeder(vendor, now)
                stories(seeder)
                seeder.invoice_in_date_order()
                if not settings.STRIPE_API_BASE:
                    demo_charges_recorded(vendor, now)
            self.admin_user(demo, acme)
            console_users(demo)
            demo_receipts(demo, acme)
        if settings.STRIPE_API_BASE or settings.PAYPAL_API_BASE:
            self.connect_processors(demo, acme)
        if settings.STRIPE_API_BASE:
            # Purchases as Stripe charged them (issue 25), made at the fake
            # Stripe and synced from it, after the rest of the history
            # (hub/management/commands/_demo_charges.py).
            for vendor in (demo, acme):
                demo_charges_at_stripe(vendor, now)
            console_stripe_webhook(demo)
        site = settings.SITE_URL
        self.stdout.write(self.style.SUCCESS("Demo data is ready."))
        for vendor in (demo, acme):
            self.stdout.write(f"\n{vendor.name}: {site}{vendor.hub_path}")
            for email in vendor.customers.values_list("email", flat=True):
                self.stdout.write(f"  {email}")
        self.stdout.write(f"\nAdmin: {site}/admin/  user {DEMO_ADMIN[0]}, password {DEMO_ADMIN[1]}")
        for username, password in (DEMO_OWNER, DEMO_SUPPORT):
            self.stdout.write(f"       {demo.name}: user {username}, password {password}")

    def vendor(self, slug: str, letter: str, **fields) -> Vendor:
        vendor, created = Vendor.objects.get_or_create(slug=slug, defaults=fields)
        if not vendor.logo:
            vendor.logo.save(f"{slug}.png", ContentFile(logo_png(vendor.brand_color, letter)))
        return vendor

    def vendor_demo(self) -> Vendor:
        return self.vendor(
            "demo",
            "N",
            name="Northwind Courses",
            brand_color="#0f6e5a",
            support_email="support@northwind.example",
            address="Northwind Courses LLC\n500 Market Street, Suite 12\nSan Francisco, CA 94105\n"
            "United States",
            country="US",
            website_url="https://northwind.example",
            instagram_url="https://instagram.com/northwind.example",
            youtube_url="https://youtube.com/@northwind-example",
            timezone="America/New_York",
            default_currency="USD",
            locale="en",
            # Every language we have: the footer's menu shows them all, and
            # invoices follow the customer's choice.
            languages=["en", "de", "fr", "es"],
            document_language=Vendor.DocumentLanguage.CUSTOMER,
            self_cancel=True,
            cancel_mode=Vendor.CancelMode.PERIOD_END,
        )

    def vendor_acme(self) -> Vendor:
        return self.vendor(
            "acme",
            "A",
            name="Acme Software GmbH",
            brand_color="#8a2be2",
            support_email="hilfe@acme.example",
            address="Acme Software GmbH\nHauptstraße 5\n10115 Berlin\nGermany",
            country="DE",
            # Its tax details for its invoices (§ 14 UStG): a German GmbH.
            legal_name="Acme Software GmbH",
            registered_address="Hauptstraße 5\n10115 Berlin\n"
            "Amtsgericht Charlottenburg, HRB 123456 B",
            vat_id="DE136695976",
            website_url="https://acme.example",
            timezone="Europe/Berlin",
            default_currency="EUR",
            locale="de",
            self_cancel=False,
            # The other receipt style: the demo's mailbox shows both.
            receipt_style=Vendor.ReceiptStyle.BASIC,
        )

    def seed_demo_customers(self, s: Seeder) -> None:
        now = s.now
        visa = {"card_brand": "visa", "card_last4": "4242"}
        if alex := s.customer(
            "alex@example.com",
            "Alex Morgan",
            address_line1="12 Harbor Road",
            city="Portland",
            state="OR",
            postal_code="97201",
            country="US",
            stripe_customer_id="cus_demo_alex",
        ):
            # The last renewal is today, as the fake Stripe (which starts the
            # subscription now) says: its next payment falls a month after
            # the last one here and there alike.
            started = add_months(now, -59)
            sub, order = s.subscription(
                alex,
                product="Pro Membership",
                amount="29.00",
                status=Subscription.Status.ACTIVE,
                processor=Processor.STRIPE,
                started=started,
                current_period_end=add_months(started, 60),
                next_payment_at=add_months(started, 60),
                card_brand="visa",
                card_last4="4242",
                card_exp_month=12,
                card_exp_year=now.year + 3,
            )
            s.renewals(sub, order, started=started, count=60, card=visa)
            s.one_time(alex, "Course Workbook (PDF)", "19.00", days_ago=45)

        if blair := s.customer("blair@example.com", "Blair Chen", city="Toronto", country="CA"):
            started = add_months(now, -1)
            sub, order = s.subscription(
                blair,
                product="Community Access",
                amount="9.00",
                status=Subscription.Status.ACTIVE,
                processor=Processor.PAYPAL,
                started=started,
                current_period_end=add_months(started, 2),
                next_payment_at=add_months(started, 2),
            )
            s.renewals(sub, order, started=started, count=2)

        if casey := s.customer("casey@example.com", "Casey Diaz", country="US"):
            s.one_time(casey, "Photography Basics", "49.00", days_ago=120)
            s.one_time(casey, "Pay-what-you-want Sampler", "0.00", days_ago=30)
            s.one_time(casey, "Lightroom Presets", "15.00", days_ago=10, refund_after=2)

        if dana := s.customer("dana@example.com", "Dana Fox", country="GB"):
            # Three paid months, and today's renewal declined (as at the fake).
            started = add_months(now, -3)
            sub, order = s.subscription(
                dana,
                product="Pro Membership",
                amount="29.00",
                status=Subscription.Status.PAST_DUE,
                processor=Processor.STRIPE,
                started=started,
                current_period_end=add_months(now, 1),
                next_payment_at=now + timedelta(days=3),
                card_brand="mastercard",
                card_last4="4444",
                card_exp_month=1,
                card_exp_year=now.year + 1,
            )
            mastercard = {"card_brand": "mastercard", "card_last4": "4444"}
            failed = {
                "status": Payment.Status.FAILED,
                "created_at": now,
                "failure_message": "Your card was declined.",
                **mastercard,
            }
            s.renewals(sub, order, started=started, count=3, card=mastercard, last=failed)

        if eli := s.customer("eli@example.com", "Eli Novak", country="US"):
            trial_end = now + timedelta(days=7)
            s.subscription(
                eli,
                product="Pro Membership",
                amount="29.00",
                status=Subscription.Status.TRIALING,
                processor=Processor.STRIPE,
                started=now - timedelta(days=7),
                trial_end=trial_end,
                current_period_end=trial_end,
                next_payment_at=trial_end,
                card_brand="visa",
                card_last4="4242",
                card_exp_month=6,
                card_exp_year=now.year + 2,
            )

    def seed_acme_customers(self, s: Seeder) -> None:
        now = s.now
        if alex := s.customer(
            "alex@example.com",
            "Alex Morgan",
            address_line1="Lindenallee 3",
            city="Hamburg",
            postal_code="20259",
            country="DE",
        ):
            s.one_time(alex, "Acme Sync Lizenz", "99.00", days_ago=200)
            # Three days ago: inside acme's 14-day withdrawal period (a German
            # vendor), so the history shows "Withdraw from contract here".
            s.one_time(alex, "Acme Vorlagenpaket", "29.00", days_ago=3)
            started = add_months(now, -12)
            sub, order = s.subscription(
                alex,
                product="Acme Cloud Backup (jährlich)",
                amount="49.00",
                status=Subscription.Status.ACTIVE,
                processor=Processor.STRIPE,
                started=started,
                interval=Subscription.Interval.YEAR,
                current_period_end=add_months(started, 24),
                next_payment_at=add_months(started, 24),
                card_brand="visa",
                card_last4="1881",
                card_exp_month=3,
                card_exp_year=now.year + 2,
            )
            s.renewals(
                sub,
                order,
                started=started,
                count=2,
                months=12,
                card={"card_brand": "visa", "card_last4": "1881"},
            )

    def connect_processors(self, demo: Vendor, acme: Vendor) -> None:
        """Connect the demo vendors to the local fake processors (make demo
        runs localstripe and our fake PayPal) and make sure every demo
        subscription lives there, so cancelling and card updates really go
        through a processor. The fakes keep nothing between runs: whatever
        they no longer know is created again."""
        if settings.STRIPE_API_BASE:
            for vendor in (demo, acme):
                vendor.stripe_secret_key = f"sk_test_{vendor.slug}"
                vendor.stripe_publishable_key = f"pk_test_{vendor.slug}"
                # The demo registers localstripe's webhooks with this secret
                # (tests/support/demo.py), so payments there reach the hub.
                vendor.stripe_webhook_secret = demo_webhook_secret(vendor.slug)
                vendor.save()
            for subscription in Subscription.objects.filter(
                vendor__in=[demo, acme], processor=Processor.STRIPE
            ).select_related("customer", "vendor"):
                self.link_stripe(subscription)
        if settings.PAYPAL_API_BASE:
            demo.paypal_client_id = "demo-client"
            demo.paypal_client_secret = "demo-secret"
            # Its webhook at the fake, as a vendor sets one up at PayPal, so
            # that Test PayPal connection reports everything working (a
            # newcomer reads "needs attention" as a fault of the demo).
            demo.paypal_webhook_id = console_paypal_webhook(demo)
            demo.save()
            blair = demo.subscriptions.filter(processor=Processor.PAYPAL).first()
            if blair is not None:
                Subscription.objects.filter(pk=blair.pk).update(processor_id=DEMO_PAYPAL_ID)
                subscription_link_remote(
                    customer=blair.customer,
                    processor=Processor.PAYPAL,
                    processor_id=DEMO_PAYPAL_ID,
                    product=blair.product,
                )
                Customer.objects.filter(pk=blair.customer_id).update(
                    paypal_payer_id=DEMO_PAYPAL_PAYER
                )
        self.stdout.write("Connected to the local Stripe and PayPal fakes.")

    def link_stripe(self, subscription: Subscription) -> None:
        adapter = stripe_adapter_for(vendor=subscription.vendor)
        try:
            adapter.subscription_get(subscription_id=subscription.processor_id)
            return  # the fake still knows it
        except ProcessorError as error:
            if error.code != "not_found":
                raise CommandError(f"The local Stripe fake failed: {error.detail}") from error
        customer = subscription.customer
        if customer.stripe_customer_id:
            try:
                adapter.customer_get(customer_id=customer.stripe_customer_id)
            except ProcessorError:
                customer.stripe_customer_id = ""
                customer.save(update_fields=["stripe_customer_id", "updated_at"])
        local_status = subscription.status
        trial_end = subscription.trial_end if local_status == Subscription.Status.TRIALING else None
        card = DEMO_CARDS.get(subscription.card_last4, "pm_card_visa")
        linked = stripe_subscription_provision(
            customer=customer,
            product=subscription.product,
            amount=subscription.amount,
            currency=subscription.currency,
            interval=subscription.interval,
            trial_end=trial_end,
            payment_method_id=card,
            subscription=subscription,
        )
        if local_status == Subscription.Status.PAST_DUE:
            stripe_renewal_decline(linked)

    def admin_user(self, *vendors: Vendor) -> None:
        user_model = get_user_model()
        user, created = user_model.objects.get_or_create(
            username=DEMO_ADMIN[0], defaults={"is_staff": True, "is_superuser": True}
        )
        if created:
            user.set_password(DEMO_ADMIN[1])
            user.save()
        for vendor in vendors:
            VendorMembership.objects.get_or_create(
                user=user, vendor=vendor, defaults={"role": VendorMembership.Role.OWNER}
            )


# --- the vendor console's demo (issue 11) ----------------------------------------
# The owner of `demo` creates API keys and tests connections; its support
# person sees customers but no keys or settings.

DEMO_OWNER = ("demo-owner", "demo-owner-password")
DEMO_SUPPORT = ("demo-support", "demo-support-password")
# The localstripe registration that sends the demo's events to its endpoint.
DEMO_STRIPE_WEBHOOK_ID = "hub-demo"


def console_users(demo: Vendor) -> None:
    user_model = get_user_model()
    for (username, password), role in (
        (DEMO_OWNER, VendorMembership.Role.OWNER),
        (DEMO_SUPPORT, VendorMembership.Role.SUPPORT),
    ):
        user, created = user_model.objects.get_or_create(
            username=username, defaults={"is_staff": True, "email": f"{username}@demo.example"}
        )
        if created:
            user.set_password(password)
            user.save()
        VendorMembership.objects.update_or_create(user=user, vendor=demo, defaults={"role": role})


def console_paypal_webhook(demo: Vendor) -> str:
    """Register the demo's PayPal webhook (every event the hub needs) at the
    fake PayPal, which forgets it when it stops; returns its id. The fake's
    registration route stands in for PayPal's webhook API (a developer-
    dashboard step at PayPal)."""
    import requests

    from billing.processors.connections import PAYPAL_EVENTS, webhook_url

    response = requests.post(
        f"{settings.PAYPAL_API_BASE}/_fake/webhooks",
        json={"url": webhook_url(vendor=demo, processor="paypal"), "events": PAYPAL_EVENTS},
        timeout=5,
    )
    response.raise_for_status()
    return str(response.json()["id"])


def console_stripe_webhook(demo: Vendor) -> None:
    """Complete the demo's Stripe connection at localstripe, so that Test
    connection reports it working: a webhook signing secret, and the
    endpoint registered with the events the hub needs (localstripe takes
    registrations at /_config/webhooks/<id>; re-registering replaces)."""
    import requests

    from billing.processors.connections import STRIPE_EVENTS, webhook_url

    if not demo.stripe_webhook_secret:
        demo.stripe_webhook_secret = "whsec_demo_localstripe"
        demo.save(update_fields=["stripe_webhook_secret"])
    response = requests.post(
        f"{settings.STRIPE_API_BASE}/_config/webhooks/{DEMO_STRIPE_WEBHOOK_ID}",
        data={
            "url": webhook_url(vendor=demo, processor="stripe"),
            "secret": demo.stripe_webhook_secret,
            "events[]": STRIPE_EVENTS,
        },
        timeout=5,
    )
    response.raise_for_status()
