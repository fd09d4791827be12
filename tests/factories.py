"""Factories for every model. Named personas live in conftest fixtures:
vendor `northwind` with alice and bob, vendor `acme` with its own alice."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone
from factory.django import DjangoModelFactory

from billing.documents.invoices import invoice_issue
from billing.models import (
    AuditEvent,
    Customer,
    Order,
    Payment,
    Subscription,
    WebhookEvent,
)
from vendors.models import Vendor, VendorMembership


class VendorFactory(DjangoModelFactory):
    class Meta:
        model = Vendor
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"vendor-{n}")
    name = factory.LazyAttribute(lambda o: o.slug.replace("-", " ").title())
    brand_color = "#1f5fbf"
    support_email = factory.LazyAttribute(lambda o: f"support@{o.slug}.example")
    address = "1 Test Street\nSpringfield"
    default_currency = "USD"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"staff{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@staff.example")
    is_staff = True
    password = factory.django.Password("password")


class VendorMembershipFactory(DjangoModelFactory):
    class Meta:
        model = VendorMembership

    user = factory.SubFactory(UserFactory)
    vendor = factory.SubFactory(VendorFactory)
    role = VendorMembership.Role.OWNER


class CustomerFactory(DjangoModelFactory):
    class Meta:
        model = Customer

    vendor = factory.SubFactory(VendorFactory)
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    name = factory.Sequence(lambda n: f"Customer {n}")
    country = "US"


class SubscriptionFactory(DjangoModelFactory):
    class Meta:
        model = Subscription

    customer = factory.SubFactory(CustomerFactory)
    vendor = factory.SelfAttribute("customer.vendor")
    product = "Pro Membership"
    status = Subscription.Status.ACTIVE
    amount = Decimal("29.00")
    currency = factory.SelfAttribute("vendor.default_currency")
    processor = "stripe"
    processor_id = factory.Sequence(lambda n: f"sub_test_{n}")
    current_period_end = factory.LazyFunction(lambda: timezone.now() + timedelta(days=20))
    next_payment_at = factory.SelfAttribute("current_period_end")
    card_brand = "visa"
    card_last4 = "4242"
    card_exp_month = 12
    card_exp_year = factory.LazyFunction(lambda: timezone.now().year + 2)


class OrderFactory(DjangoModelFactory):
    class Meta:
        model = Order

    customer = factory.SubFactory(CustomerFactory)
    vendor = factory.SelfAttribute("customer.vendor")
    number = factory.Sequence(lambda n: f"ORD-{1000 + n}")
    product = "Course Workbook"
    amount = Decimal("19.00")
    currency = factory.SelfAttribute("vendor.default_currency")
    status = Order.Status.PAID
    processor = "stripe"
    created_at = factory.LazyFunction(timezone.now)


class PaymentFactory(DjangoModelFactory):
    """A payment; a paid one is invoiced like the real service does."""

    class Meta:
        model = Payment
        skip_postgeneration_save = True

    order = factory.SubFactory(OrderFactory)
    customer = factory.SelfAttribute("order.customer")
    vendor = factory.SelfAttribute("order.vendor")
    amount = factory.SelfAttribute("order.amount")
    currency = factory.SelfAttribute("order.currency")
    status = Payment.Status.PAID
    created_at = factory.LazyFunction(timezone.now)
    paid_at = factory.LazyAttribute(lambda o: o.created_at if o.status != "failed" else None)
    failed_at = factory.LazyAttribute(lambda o: o.created_at if o.status == "failed" else None)
    processor = factory.SelfAttribute("order.processor")
    card_brand = "visa"
    card_last4 = "4242"

    @factory.post_generation
    def invoice(self, create, extracted, **kwargs):
        if create and extracted is not False and self.status in ("paid", "refunded"):
            invoice_issue(payment=self)


class AuditEventFactory(DjangoModelFactory):
    class Meta:
        model = AuditEvent

    vendor = factory.SubFactory(VendorFactory)
    actor = AuditEvent.Actor.SYSTEM
    action = "test.event"


class WebhookEventFactory(DjangoModelFactory):
    class Meta:
        model = WebhookEvent

    vendor = factory.SubFactory(VendorFactory)
    processor = "stripe"
    event_id = factory.Sequence(lambda n: f"evt_{n}")
    event_type = "invoice.paid"
    body = "{}"


def payments_bulk(order, count: int, **fields) -> list[Payment]:
    """`count` payments of `order` in one INSERT (no invoices), one a minute
    apart back from now; `fields` override the defaults."""
    now = timezone.now()
    return Payment.objects.bulk_create(
        Payment(
            **{
                "vendor": order.vendor,
                "customer": order.customer,
                "order": order,
                # bulk_create skips Payment.save(), which copies the number.
                "order_number": order.number,
                "amount": Decimal("1"),
                "currency": "USD",
                "status": "paid",
                "created_at": now - timedelta(minutes=i),
                "processor": "stripe",
                **fields,
            }
        )
        for i in range(count)
    )
