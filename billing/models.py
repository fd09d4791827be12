"""The billing domain: customers, their orders, subscriptions and payments,
the invoices issued for paid payments, the audit trail and stored webhooks.

Every row carries its vendor so that each query starts from the tenant, and
each lookup a hub page makes has an index.
"""

from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from vendors.formatting import language_pick
from vendors.models import Vendor, currency_validator

from .failures import failure_reason
from .products import product_name

MONEY: dict[str, Any] = {"max_digits": 12, "decimal_places": 2}


class MoneyField(models.DecimalField):
    """An amount in any currency's minor unit: three decimal places, for the
    currencies that have three (KWD, BHD, OMR: ISO 4217); JPY has none, and
    billing.money refuses more precision than a currency has.

    An amount read back with nothing in its third place comes back with two
    (19.000 -> 19.00), as these columns always gave it: the string of an
    amount (CSV exports, PayPal's decimal strings, snapshots) stays what it
    was for every two-decimal currency."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 13)
        kwargs.setdefault("decimal_places", 3)
        super().__init__(*args, **kwargs)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Decimal | None:
        if value is None:
            return None
        value = Decimal(value)
        two = value.quantize(Decimal("0.01"))
        return two if two == value else value


class Processor(models.TextChoices):
    STRIPE = "stripe", "Stripe"
    PAYPAL = "paypal", "PayPal"
    MANUAL = "manual", _("Manual")


def normalize_email(email: str) -> str:
    """The one form an email is stored and looked up in: trimmed, lowercase.

    Lowercasing the local part too is deliberate: a customer who bought as
    Alex@Example.com and signs in as alex@example.com is the same person to
    them, and no mail provider our vendors' customers use treats them apart.
    """
    return (email or "").strip().lower()


class Customer(models.Model):
    vendor = models.ForeignKey(
        Vendor, verbose_name=_("vendor"), on_delete=models.CASCADE, related_name="customers"
    )
    email = models.EmailField(_("email"), max_length=254)
    name = models.CharField(_("name"), max_length=200, blank=True)
    address_line1 = models.CharField(_("address line 1"), max_length=200, blank=True)
    address_line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    state = models.CharField(_("state or region"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    # A business customer's company and tax ID, printed on invoices issued
    # after they are set. The tax ID is in its normal form (vendors.tax_ids)
    # and its kind is Stripe's type for the customer's country ("eu_vat").
    # Stripe customers have it as a customer tax ID too (its id and the
    # verification status Stripe reported); PayPal has no such thing.
    company = models.CharField(_("company"), max_length=200, blank=True, default="", db_default="")
    tax_id = models.CharField(_("tax ID"), max_length=40, blank=True, default="", db_default="")
    tax_id_type = models.CharField(
        _("tax ID type"), max_length=20, blank=True, default="", db_default=""
    )
    stripe_tax_id = models.CharField(
        _("Stripe tax ID"), max_length=100, blank=True, default="", db_default=""
    )
    tax_id_verification = models.CharField(
        _("tax ID verification"), max_length=20, blank=True, default="", db_default=""
    )
    # The language the customer chose in the hub's language menu (a code of
    # LANGUAGES), "" until they choose: then their link's, their browser's or
    # the vendor's language decides (vendors.formatting.language_pick).
    # db_default: rows written by COPY (the benchmark) or older code get "".
    language = models.CharField(_("language"), max_length=10, blank=True, default="", db_default="")
    stripe_customer_id = models.CharField(_("Stripe customer ID"), max_length=100, blank=True)
    paypal_payer_id = models.CharField(_("PayPal payer ID"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # How many Payment rows the customer has, kept by database triggers
    # (migration 0005) on every insert and delete, whatever wrote the row: the
    # purchase history's page count comes with the customer's row instead of a
    # COUNT that read 50k index entries on every page of a long history.
    # Never written by Django: see save().
    payment_count = models.PositiveIntegerField(
        _("payment count"), default=0, db_default=0, editable=False
    )

    class Meta:
        ordering = ["email"]
        verbose_name = _("customer")
        constraints = [
            # Case-insensitive at the database level too, whatever the caller did.
            models.UniqueConstraint(
                "vendor", Lower("email"), name="customer_email_unique_per_vendor"
            ),
            # One of our customers per processor customer: webhooks and the
            # import find the customer by these ids.
            models.UniqueConstraint(
                fields=["vendor", "stripe_customer_id"],
                condition=~models.Q(stripe_customer_id=""),
                name="customer_unique_stripe_id",
            ),
            models.UniqueConstraint(
                fields=["vendor", "paypal_payer_id"],
                condition=~models.Q(paypal_payer_id=""),
                name="customer_unique_paypal_id",
            ),
        ]
        indexes = [models.Index(fields=["vendor", "email"], name="customer_vendor_email")]

    def __str__(self) -> str:
        return self.email

    def save(self, *args, **kwargs):
        self.email = normalize_email(self.email)
        if self.pk is not None and not self._state.adding and kwargs.get("update_fields") is None:
            # An instance loaded before a payment arrived holds an old count;
            # saving every column would write it back over the triggers' value.
            kwargs["update_fields"] = CUSTOMER_SAVED_FIELDS
        super().save(*args, **kwargs)

    @property
    def mail_language(self) -> str:
        """The language of an email to this customer: their stored choice,
        else the vendor's (a caller that knows the page the customer asked
        from passes that language to vendors.formatting.language_pick)."""
        return language_pick(self.vendor, self.language)

    @property
    def address_lines(self) -> list[str]:
        """The address in its country's order, ending with the country code
        (callers name the country in their language)."""
        from .addresses import address_lines

        return address_lines(
            line1=self.address_line1,
            line2=self.address_line2,
            city=self.city,
            postal_code=self.postal_code,
            state=self.state,
            country=self.country,
        )


CUSTOMER_SAVED_FIELDS = [
    f.name
    for f in Customer._meta.concrete_fields
    if not f.primary_key and f.name != "payment_count"
]


def _status_label(choices: type[models.TextChoices], value: str) -> str:
    try:
        return str(choices(value).label)
    except ValueError:  # a status we do not know: shown as stored
        return value


class Subscription(models.Model):
    class Status(models.TextChoices):
        TRIALING = "trialing", _("Trialing")
        ACTIVE = "active", _("Active")
        PAST_DUE = "past_due", _("Past due")
        PAUSED = "paused", _("Paused")
        CANCELED = "canceled", _("Cancelled")
        INCOMPLETE = "incomplete", _("Incomplete")

    class Interval(models.TextChoices):
        DAY = "day", _("day")
        WEEK = "week", _("week")
        MONTH = "month", _("month")
        YEAR = "year", _("year")

    vendor = models.ForeignKey(
        Vendor, verbose_name=_("vendor"), on_delete=models.CASCADE, related_name="subscriptions"
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="subscriptions"
    )
    product = models.CharField(_("product"), max_length=200)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    amount = MoneyField(_("amount"))
    currency = models.CharField(_("currency"), max_length=3, validators=[currency_validator])
    interval = models.CharField(
        _("interval"), max_length=10, choices=Interval.choices, default=Interval.MONTH
    )
    interval_count = models.PositiveSmallIntegerField(_("interval count"), default=1)
    trial_end = models.DateTimeField(_("trial end"), null=True, blank=True)
    current_period_end = models.DateTimeField(_("current period end"), null=True, blank=True)
    next_payment_at = models.DateTimeField(_("next payment at"), null=True, blank=True)
    cancel_at_period_end = models.BooleanField(_("cancel at period end"), default=False)
    canceled_at = models.DateTimeField(_("canceled at"), null=True, blank=True)
    card_brand = models.CharField(_("card brand"), max_length=20, blank=True)
    card_last4 = models.CharField(_("card last 4 digits"), max_length=4, blank=True)
    card_exp_month = models.PositiveSmallIntegerField(_("card expiry month"), null=True, blank=True)
    card_exp_year = models.PositiveSmallIntegerField(_("card expiry year"), null=True, blank=True)
    payment_method_id = models.CharField(
        _("processor payment method id"), max_length=100, blank=True
    )
    processor = models.CharField(_("processor"), max_length=10, choices=Processor.choices)
    processor_id = models.CharField(_("processor subscription id"), max_length=100, blank=True)
    processor_price_id = models.CharField(_("processor price id"), max_length=100, blank=True)
    # The processor's customer, when not the customer's own: a Stripe customer
    # whose email another already had was merged into that customer.
    processor_customer_id = models.CharField(
        _("processor customer ID"), max_length=100, blank=True, default=""
    )
    # When the customer asked to cancel (also the claim that makes a double
    # submit cancel once) and why, if they said.
    cancel_requested_at = models.DateTimeField(_("cancel requested at"), null=True, blank=True)
    cancel_reason = models.CharField(_("cancellation reason"), max_length=500, blank=True)
    # When "Keep my subscription" was asked for: the claim that makes two
    # concurrent Keeps undo once (cleared when done or when it fails).
    keep_requested_at = models.DateTimeField(_("keep requested at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("subscription")
        constraints = [
            models.UniqueConstraint(
                fields=["vendor", "processor", "processor_id"],
                condition=~models.Q(processor_id=""),
                name="subscription_unique_processor_id",
            )
        ]
        indexes = [models.Index(fields=["customer", "-created_at"], name="sub_customer_created")]

    def __str__(self) -> str:
        return f"{self.product} ({self.get_status_display()})"

    @property
    def product_name(self):
        """The product as the reader sees it (billing.products)."""
        return product_name(self.product)

    @property
    def status_label(self) -> str:
        """get_status_display(), without the dict of every choice that it
        builds on each call (4 instead of 22 us; the hub shows it per row)."""
        return _status_label(self.Status, self.status)

    @property
    def has_card(self) -> bool:
        """A card summary matters only while the subscription still charges."""
        return self.status in {self.Status.ACTIVE, self.Status.PAST_DUE, self.Status.TRIALING}


class Order(models.Model):
    class Status(models.TextChoices):
        PAID = "paid", _("Paid")
        REFUNDED = "refunded", _("Refunded")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")
        FAILED = "failed", _("Failed")
        PENDING = "pending", _("Pending")

    vendor = models.ForeignKey(
        Vendor, verbose_name=_("vendor"), on_delete=models.CASCADE, related_name="orders"
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="orders"
    )
    number = models.CharField(_("order id"), max_length=40)
    product = models.CharField(_("product"), max_length=200)
    amount = MoneyField(_("amount"))
    currency = models.CharField(_("currency"), max_length=3, validators=[currency_validator])
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    processor = models.CharField(_("processor"), max_length=10, choices=Processor.choices)
    processor_ref = models.CharField(_("processor reference"), max_length=100, blank=True)
    subscription = models.OneToOneField(
        Subscription,
        verbose_name=_("subscription"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="order",
        help_text=_("Set when this order started a subscription."),
    )
    # The customer expressly waived the EU withdrawal right at checkout (e.g.
    # immediate access to digital content), from processor metadata or staff.
    withdrawal_waived = models.BooleanField(
        _("withdrawal right waived"), default=False, db_default=False
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("order")
        constraints = [
            models.UniqueConstraint(fields=["vendor", "number"], name="order_unique_number"),
            models.UniqueConstraint(
                fields=["vendor", "processor", "processor_ref"],
                condition=~models.Q(processor_ref=""),
                name="order_unique_processor_ref",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="order_customer_created"),
        ]

    def __str__(self) -> str:
        return self.number

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # A corrected number (the admin) is copied onto the order's payments
        # (Payment.order_number). Only when it changed: no query otherwise.
        loaded = getattr(self, "_loaded_number", None)
        if loaded is not None and loaded != self.number:
            self.payments.exclude(order_number=self.number).update(order_number=self.number)
        self._loaded_number = self.number

    @classmethod
    def from_db(cls, db, field_names, values):
        order = super().from_db(db, field_names, values)
        order._loaded_number = order.__dict__.get("number")
        return order

    @property
    def product_name(self):
        """The product as the reader sees it (billing.products)."""
        return product_name(self.product)


class Payment(models.Model):
    """One charge attempt. A paid payment gets an Invoice; a free trial has no
    payment at all, while a $0 pay-what-you-want purchase does."""

    class Status(models.TextChoices):
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed")
        REFUNDED = "refunded", _("Refunded")
        PARTIALLY_REFUNDED = "partially_refunded", _("Partially refunded")

    vendor = models.ForeignKey(
        Vendor, verbose_name=_("vendor"), on_delete=models.CASCADE, related_name="payments"
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="payments"
    )
    order = models.ForeignKey(
        Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="payments"
    )
    # The order's number, copied by Payment.save() (and by Order.save() when
    # an order's number is corrected): the history sorted by Order ID then
    # reads one index of the payment table (payment_customer_order) instead
    # of sorting every payment of an order with thousands of renewals to
    # show 25 of them. Bulk writes (bulk_create, the benchmark's COPY) skip
    # save() and set it themselves.
    order_number = models.CharField(
        _("order number"), max_length=40, default="", db_default="", editable=False
    )
    subscription = models.ForeignKey(
        Subscription,
        verbose_name=_("subscription"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="payments",
    )
    amount = MoneyField(_("amount"))
    currency = models.CharField(_("currency"), max_length=3, validators=[currency_validator])
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    created_at = models.DateTimeField(_("date"))
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    failed_at = models.DateTimeField(_("failed at"), null=True, blank=True)
    failure_message = models.CharField(_("failure message"), max_length=500, blank=True)
    processor = models.CharField(_("processor"), max_length=10, choices=Processor.choices)
    processor_ref = models.CharField(_("processor reference"), max_length=100, blank=True)
    card_brand = models.CharField(_("card brand"), max_length=20, blank=True)
    card_last4 = models.CharField(_("card last 4 digits"), max_length=4, blank=True)
    # The sum of the payment's Refund rows, kept here so the history shows
    # "Partially refunded: 5.00" without a query per row.
    amount_refunded = MoneyField(_("amount refunded"), default=Decimal("0"))
    # Set in the same transaction that claims the email, so a retried task
    # (or two deliveries of one event) sends one receipt / one notice.
    receipt_sent_at = models.DateTimeField(_("receipt sent at"), null=True, blank=True)
    failure_notice_sent_at = models.DateTimeField(
        _("failure notice sent at"), null=True, blank=True
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("payment")
        constraints = [
            models.UniqueConstraint(
                fields=["vendor", "processor", "processor_ref"],
                condition=~models.Q(processor_ref=""),
                name="payment_unique_processor_ref",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gte=Decimal("0")), name="payment_amount_not_negative"
            ),
        ]
        # The purchase history pages sort one customer's payments by each of
        # these columns and read one page of them.
        indexes = [
            models.Index(fields=["customer", "-created_at", "-id"], name="payment_customer_date"),
            models.Index(fields=["customer", "amount", "id"], name="payment_customer_amount"),
            models.Index(fields=["customer", "status", "id"], name="payment_customer_status"),
            models.Index(fields=["customer", "order_number", "id"], name="payment_customer_order"),
            models.Index(fields=["subscription", "-created_at"], name="payment_subscription_date"),
            # A subscription's last settled payment, found in one probe
            # however many failed attempts came before or after it.
            models.Index(
                fields=["subscription", "-created_at"],
                condition=models.Q(status__in=["paid", "refunded"]),
                name="payment_subscription_settled",
            ),
            # A subscription's newest failed payments (the subscriptions
            # page), read directly in that order: through
            # payment_subscription_date the failures were filtered out of
            # all of its payments (17 ms for one with 50,000).
            models.Index(
                fields=["subscription", "-created_at", "-id"],
                condition=models.Q(status="failed"),
                name="payment_subscription_failed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} {self.currency} ({self.get_status_display()})"

    def save(self, *args, **kwargs):
        self.order_number = self._order_number()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"order", "order_id"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "order_number"}
        super().save(*args, **kwargs)
        self._loaded_order_id = self.order_id

    @classmethod
    def from_db(cls, db, field_names, values):
        payment = super().from_db(db, field_names, values)
        payment._loaded_order_id = payment.__dict__.get("order_id")
        return payment

    def _order_number(self) -> str:
        """The number of the payment's order: from the order in hand, else
        kept when the payment stays on the order it was loaded with, else
        read (a payment saved with only an order id, or moved by its id)."""
        if Payment.order.is_cached(self) and self.order is not None:
            return self.order.number
        if self.order_id is None:
            return self.order_number
        if self.order_number and self.order_id == getattr(self, "_loaded_order_id", None):
            return self.order_number
        return Order.objects.values_list("number", flat=True).get(pk=self.order_id)

    @property
    def status_label(self) -> str:
        """get_status_display(), without the dict of every choice that it
        builds on each call (the invoice page shows it)."""
        return _status_label(self.Status, self.status)

    @property
    def failure_reason(self) -> str:
        """The processor's reason for the failure in the reader's language,
        "" where it cannot be said in it (billing.failures)."""
        return failure_reason(self.failure_message)

    @property
    def net_amount(self) -> Decimal:
        """What the customer paid and kept paid: never below zero."""
        return max(self.amount - self.amount_refunded, Decimal("0"))


class InvoiceSequence(models.Model):
    """The last invoice number issued per vendor. The row is locked while an
    invoice is issued, so numbers stay unique and gap-free: a transaction
    that rolls back gives its number back."""

    vendor = models.OneToOneField(
        Vendor, verbose_name=_("vendor"), on_delete=models.CASCADE, related_name="+"
    )
    last_number = models.PositiveIntegerField(_("last number"), default=0)
    # Credit notes count in their own series (with their own prefix), under
    # the same row lock.
    last_credit_note_number = models.PositiveIntegerField(_("last credit note number"), default=0)

    def __str__(self) -> str:
        return f"{self.vendor_id}: {self.last_number}"


class Invoice(models.Model):
    """The immutable record of a paid payment, as it was at issue time."""

    vendor = models.ForeignKey(
        Vendor, verbose_name=_("vendor"), on_delete=models.CASCADE, related_name="invoices"
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="invoices"
    )
    payment = models.OneToOneField(
        Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="invoice"
    )
    # Empty for an invoice imported from the processor's history: it keeps
    # the processor's number and date and takes nothing from our sequence.
    sequence = models.PositiveIntegerField(_("sequence"), null=True, blank=True)
    imported = models.BooleanField(_("imported"), default=False)
    number = models.CharField(_("invoice number"), max_length=40)
    issued_at = models.DateTimeField(_("issued at"))
    seller = models.JSONField(_("seller"), help_text=_("Seller details at issue time."))
    buyer = models.JSONField(_("buyer"), help_text=_("Billed-to details at issue time."))
    lines = models.JSONField(
        _("lines"), help_text=_("description, quantity, unit_amount, amount per line")
    )
    subtotal = MoneyField(_("subtotal"))
    tax_label = models.CharField(_("tax label"), max_length=60, blank=True)
    tax_amount = MoneyField(_("tax amount"), default=Decimal("0"))
    total = MoneyField(_("total"))
    # What the processor charged, beside the lines (each line has its period,
    # discounts and taxes): the discounts per coupon, the tax per rate with
    # its EN 16931 category, what was paid, whether the processor marked the
    # charge reverse charge, and the supply period. Invoices issued before
    # these existed keep them empty and render as they did
    # (billing.documents.tax_rates.invoice_tax_rates derives their one rate).
    discounts = models.JSONField(
        _("discounts"), default=list, blank=True, help_text=_("coupon name and amount")
    )
    tax_rates = models.JSONField(
        _("tax rates"),
        default=list,
        blank=True,
        help_text=_("rate, label, taxable amount and tax per rate"),
    )
    amount_paid = MoneyField(_("amount paid"), default=Decimal("0"))
    reverse_charge = models.BooleanField(_("reverse charge"), default=False)
    period_start = models.DateField(_("period start"), null=True, blank=True)
    period_end = models.DateField(_("period end"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, validators=[currency_validator])
    paid_via = models.CharField(_("paid via"), max_length=100, blank=True)
    pdf = models.FileField(_("PDF"), upload_to="invoices/", blank=True)

    class Meta:
        ordering = ["-sequence"]
        verbose_name = _("invoice")
        constraints = [
            models.UniqueConstraint(fields=["vendor", "sequence"], name="invoice_unique_sequence"),
            models.UniqueConstraint(fields=["vendor", "number"], name="invoice_unique_number"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def lines_shown(self) -> list[dict]:
        """The snapshot's lines with our name for an unnamed product in the
        reader's language (billing.products), and their billing periods as
        dates; the snapshot never changes."""
        return [
            line
            | {"description": product_name(line.get("description", ""))}
            | {
                name: date.fromisoformat(line[name])
                for name in ("period_start", "period_end")
                if line.get(name)
            }
            for line in self.lines
        ]

    @property
    def as_charged(self) -> bool:
        """Whether the lines state what the processor charged (taxes and
        discounts per line): invoices issued before that render as they did."""
        return any("taxes" in line for line in self.lines)

    @property
    def tax_rates_shown(self) -> list[dict]:
        """The tax per rate as printed: the label the processor gave (else
        "Tax 19 %"), the amount it was charged on and the tax, as Decimals.
        The same rates the e-invoice states (billing.documents.tax_rates)."""
        from billing.documents.tax_rates import invoice_tax_rates

        rows = []
        for entry in invoice_tax_rates(self):
            label = entry.get("label") or (
                _("Tax %(rate)s %%") % {"rate": entry["rate"]} if entry.get("rate") else _("Tax")
            )
            taxable = entry.get("taxable_amount")
            rows.append(
                {
                    "label": label,
                    "taxable_amount": Decimal(taxable) if taxable not in (None, "") else None,
                    "amount": Decimal(entry.get("amount") or "0"),
                    "inclusive": bool(entry.get("inclusive")),
                    "category": entry.get("category", ""),
                }
            )
        return rows

    @property
    def discounts_shown(self) -> list[dict]:
        return [
            {"name": d.get("name") or _("Discount"), "amount": Decimal(d.get("amount") or "0")}
            for d in self.discounts
        ]


class AuditEvent(models.Model):
    """What happened, by whom, when: the record that automatic-renewal laws
    ask vendors to keep (cancellations above all)."""

    class Actor(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        STAFF = "staff", _("Vendor staff")
        PROCESSOR = "processor", _("Processor")
        SYSTEM = "system", _("System")

    vendor = models.ForeignKey(
        Vendor, verbose_name=_("vendor"), on_delete=models.CASCADE, related_name="audit_events"
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_events",
    )
    actor = models.CharField(_("actor"), max_length=20, choices=Actor.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The subscription an event is about (cancellations above all), so the
    # record of a cancellation is found from the subscription it ended.
    subscription = models.ForeignKey(
        Subscription,
        verbose_name=_("subscription"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="audit_events",
    )
    action = models.CharField(_("action"), max_length=60)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    ip = models.GenericIPAddressField(_("IP"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("audit event")
        indexes = [
            models.Index(fields=["vendor", "-created_at"], name="audit_vendor_created"),
            models.Index(fields=["customer", "-created_at"], name="audit_customer_created"),
        ]

    def __str__(self) -> str:
        return f"{self.action} @ {self.created_at:%Y-%m-%d %H:%M}"


class WebhookEvent(models.Model):
    vendor = models.ForeignKey(
        Vendor, verbose_name=_("vendor"), on_delete=models.CASCADE, related_name="webhook_events"
    )
    processor = models.CharField(_("processor"), max_length=10, choices=Processor.choices)
    event_id = models.CharField(_("event ID"), max_length=255)
    event_type = models.CharField(_("event type"), max_length=100, blank=True)
    # The verified raw body, as received; emptied after WEBHOOK_BODY_RETENTION_DAYS
    # (body_purged_at says when), while the row stays as the record.
    body = models.TextField(_("body"), blank=True)
    headers = models.JSONField(_("headers"), default=dict)
    occurred_at = models.DateTimeField(_("occurred at"), null=True, blank=True)
    livemode = models.BooleanField(_("live mode"), default=False)
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    outcome = models.CharField(_("outcome"), max_length=20, blank=True)
    error = models.TextField(_("error"), blank=True)
    body_purged_at = models.DateTimeField(_("body purged at"), null=True, blank=True)

    class Outcome(models.TextChoices):
        PENDING = "", _("Pending")
        PROCESSED = "processed", _("Processed")
        IGNORED = "ignored", _("Ignored")
        RETRYING = "retrying", _("Retrying")
        FAILED = "failed", _("Failed")

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["vendor", "processor", "event_id"], name="webhook_event_unique"
            )
        ]
        indexes = [models.Index(fields=["received_at"], name="webhook_event_received")]

    def __str__(self) -> str:
        return f"{self.processor} {self.event_type} {self.event_id}"


class Refund(models.Model):
    """Money given back on a payment, in full or in part, as the processor
    reported it. Each refund has its credit note."""

    vendor = models.ForeignKey(
        Vendor, verbose_name=_("vendor"), on_delete=models.CASCADE, related_name="refunds"
    )
    payment = models.ForeignKey(
        Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="refunds"
    )
    amount = MoneyField(_("amount"))
    currency = models.CharField(_("currency"), max_length=3, validators=[currency_validator])
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    refunded_at = models.DateTimeField(_("date"))
    processor = models.CharField(_("processor"), max_length=10, choices=Processor.choices)
    processor_ref = models.CharField(_("processor reference"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["refunded_at", "id"]
        verbose_name = _("refund")
        constraints = [
            models.UniqueConstraint(
                fields=["vendor", "processor", "processor_ref"],
                condition=~models.Q(processor_ref=""),
                name="refund_unique_processor_ref",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__gt=Decimal("0")), name="refund_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return _("%(amount)s %(currency)s refund") % {
            "amount": self.amount,
            "currency": self.currency,
        }


class CreditNote(models.Model):
    """The immutable document for a refund: numbered in the vendor's credit
    note series (its own prefix), snapshotted at issue time, never edited."""

    vendor = models.ForeignKey(
        Vendor, verbose_name=_("vendor"), on_delete=models.CASCADE, related_name="credit_notes"
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="credit_notes"
    )
    refund = models.OneToOneField(
        Refund, verbose_name=_("refund"), on_delete=models.PROTECT, related_name="credit_note"
    )
    invoice = models.ForeignKey(
        Invoice, verbose_name=_("invoice"), on_delete=models.PROTECT, related_name="credit_notes"
    )
    sequence = models.PositiveIntegerField(_("sequence"))
    number = models.CharField(_("credit note number"), max_length=40)
    issued_at = models.DateTimeField(_("issued at"))
    seller = models.JSONField(_("seller"))
    buyer = models.JSONField(_("buyer"))
    lines = models.JSONField(_("lines"))
    total = MoneyField(_("total"))
    currency = models.CharField(_("currency"), max_length=3, validators=[currency_validator])
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    pdf = models.FileField(_("PDF"), upload_to="credit-notes/", blank=True)

    class Meta:
        ordering = ["-sequence"]
        verbose_name = _("credit note")
        constraints = [
            models.UniqueConstraint(
                fields=["vendor", "sequence"], name="credit_note_unique_sequence"
            ),
            models.UniqueConstraint(fields=["vendor", "number"], name="credit_note_unique_number"),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def lines_shown(self) -> list[dict]:
        """The snapshot's lines with our name for an unnamed product in the
        reader's language (billing.products); the snapshot never changes."""
        return [
            line | {"description": product_name(line.get("description", ""))} for line in self.lines
        ]


class StripeImport(models.Model):
    """One run of the Stripe import (command or admin task): its progress and
    what it created, updated and skipped, so staff can watch and resume."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        INTERRUPTED = "interrupted", _("Interrupted")

    vendor = models.ForeignKey(
        Vendor, verbose_name=_("vendor"), on_delete=models.CASCADE, related_name="stripe_imports"
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.QUEUED
    )
    since = models.DateTimeField(_("since"), null=True, blank=True)
    stage = models.CharField(_("stage"), max_length=30, blank=True)
    processed = models.PositiveIntegerField(_("processed"), default=0)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("Stripe import")

    def __str__(self) -> str:
        return f"{self.vendor_id} import {self.created_at:%Y-%m-%d %H:%M} ({self.status})"
