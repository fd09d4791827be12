"""What customers declare on the public pages, kept as the record the law asks
for: a cancellation (§ 312k BGB) and what became of it.

A declaration is written in a transaction of its own before anything else
happens (matching, the processor, emails), so that whatever fails later the
customer's declaration, its time and the browser that sent it are on file.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from billing.models import MONEY, Customer, Order, Subscription
from vendors.models import Vendor


class CancellationDeclaration(models.Model):
    class Kind(models.TextChoices):
        ORDINARY = "ordinary", _("Ordinary cancellation")
        EXTRAORDINARY = "extraordinary", _("Extraordinary cancellation (for good cause)")

    class When(models.TextChoices):
        ASAP = "asap", _("As soon as possible")
        DATE = "date", _("On a date")

    class Status(models.TextChoices):
        # Stored; the hub has not yet looked at it (a task does, at once).
        RECEIVED = "received", _("Received")
        # Matched and carried out through the cancellation service.
        CARRIED_OUT = "carried_out", _("Carried out")
        # A cancellation request for the vendor: open until staff act.
        OPEN = "open", _("Open")
        DONE = "done", _("Done")
        REJECTED = "rejected", _("Rejected")

    vendor = models.ForeignKey(
        Vendor, on_delete=models.CASCADE, related_name="cancellation_declarations"
    )
    # Time to the second (stored with the database's precision, shown to the
    # second in the vendor's time zone).
    created_at = models.DateTimeField(_("declared at"), db_index=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)

    # Every field as the customer sent it.
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    reason = models.TextField(_("reason"), blank=True)
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"), max_length=254)
    order_number = models.CharField(_("order ID"), max_length=40, blank=True)
    when = models.CharField(_("when"), max_length=10, choices=When.choices)
    requested_date = models.DateField(_("requested date"), null=True, blank=True)
    # A signed-in customer picks a subscription instead of typing an order id.
    signed_in_customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    language = models.CharField(max_length=10, blank=True)

    # What became of it.
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cancellation_declarations",
        verbose_name=_("customer"),
    )
    subscription = models.ForeignKey(
        Subscription,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="cancellation_declarations",
        verbose_name=_("matched subscription"),
    )
    processor_error = models.CharField(_("processor error"), max_length=500, blank=True)
    rejection_message = models.TextField(_("message to the customer"), blank=True)
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    handled_by = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    # The confirmation page's address is a secret the browser holds (and the
    # email carries): only its SHA-256 is stored.
    token_hash = models.CharField(max_length=64, unique=True)

    # Each email is claimed before it is sent, so a redelivered task sends
    # nothing twice (as access links do).
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    confirmation_claimed_until = models.DateTimeField(null=True, blank=True)
    vendor_notified_at = models.DateTimeField(null=True, blank=True)
    vendor_notice_claimed_until = models.DateTimeField(null=True, blank=True)
    rejection_sent_at = models.DateTimeField(null=True, blank=True)
    rejection_claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("cancellation")
        verbose_name_plural = _("cancellations")
        indexes = [models.Index(fields=["vendor", "status"], name="rights_cancel_vendor_status")]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}> {self.created_at:%Y-%m-%d %H:%M:%S}"

    @property
    def is_request(self) -> bool:
        return self.status in {self.Status.OPEN, self.Status.DONE, self.Status.REJECTED}


class WithdrawalDeclaration(models.Model):
    """A withdrawal from a contract (EU Art. 11a CRD, § 356a BGB), declared on
    the public withdrawal page. Stored before anything else, like a
    cancellation; the vendor's staff refund it from the admin."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        OPEN = "open", _("Open")
        DONE = "done", _("Refunded and ended")
        REJECTED = "rejected", _("Rejected")

    vendor = models.ForeignKey(
        Vendor, on_delete=models.CASCADE, related_name="withdrawal_declarations"
    )
    created_at = models.DateTimeField(_("declared at"), db_index=True)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"), max_length=254)
    order_number = models.CharField(_("order ID"), max_length=40)
    signed_in_customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    language = models.CharField(max_length=10, blank=True)

    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED
    )
    order = models.ForeignKey(
        Order,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="withdrawal_declarations",
        verbose_name=_("matched order"),
    )
    in_period = models.BooleanField(_("within the withdrawal period"), null=True, blank=True)
    processor_error = models.CharField(_("processor error"), max_length=500, blank=True)
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    handled_by = models.ForeignKey(
        "auth.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    confirmation_claimed_until = models.DateTimeField(null=True, blank=True)
    vendor_notified_at = models.DateTimeField(null=True, blank=True)
    vendor_notice_claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("withdrawal")
        verbose_name_plural = _("withdrawals")
        indexes = [models.Index(fields=["vendor", "status"], name="rights_withdraw_vendor_status")]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}> {self.order_number}"


class Reminder(models.Model):
    """One reminder of one event of one subscription, recorded before it is
    sent: the unique constraint is what makes the daily task safe to run
    twice (a second run finds the row and sends nothing)."""

    class Kind(models.TextChoices):
        TRIAL_END = "trial_end", _("Free trial converts to paid")
        ANNUAL_RENEWAL = "annual_renewal", _("Annual renewal")
        CARD_EXPIRY = "card_expiry", _("Card expires before the next payment")

    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="reminders")
    subscription = models.ForeignKey(
        Subscription, on_delete=models.CASCADE, related_name="reminders"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # The event reminded of (the trial's end, the renewal, the payment the
    # card will not cover): a later event of the same kind is another reminder.
    event_at = models.DateTimeField(_("event"))
    amount = models.DecimalField(_("amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    send_claimed_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("reminder")
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "kind", "event_at"], name="rights_reminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subscription_id} {self.event_at:%Y-%m-%d}"
