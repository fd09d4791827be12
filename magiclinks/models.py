"""Access links: the proof, sent by email, that a person owns a customer's address.

Nothing secret is stored in clear. The token is 256 bits from `secrets` and
only its SHA-256 is kept: a leaked database gives no working link, and as the
token is random and long, a plain hash is enough (no salt or stretching is
needed against guessing). The 6-digit code has only a million values, so a
plain hash would be reversed in a moment: it is kept as an HMAC keyed with
SECRET_KEY. The browser-binding nonce (the cookie of the browser that asked)
is kept as its SHA-256 too.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from billing.models import Customer
from vendors.models import Vendor


class AccessLink(models.Model):
    class Purpose(models.TextChoices):
        CUSTOMER_REQUEST = "customer_request", _("Asked for by the customer")
        VENDOR_SENT = "vendor_sent", _("Sent by the vendor")
        API = "api", _("Created through the API")

    vendor = models.ForeignKey(
        Vendor, verbose_name=_("vendor"), on_delete=models.CASCADE, related_name="access_links"
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="access_links"
    )
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    code_hash = models.CharField(_("code hash"), max_length=64, blank=True)
    binding_hash = models.CharField(_("binding hash"), max_length=64, blank=True, db_index=True)
    # The id of the request that queued this link: a task run twice finds the
    # link of its first run and sends nothing more.
    request_id = models.UUIDField(_("request ID"), null=True, blank=True, unique=True)
    next_path = models.CharField(_("next path"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    # Set once the email went out: the link is committed first and mailed
    # after, so a rerun of the task knows whether to send (see services).
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # [issue 20] A run of the task is mailing this link until then: a second
    # run of the same request (a redelivered message) sends nothing, so one
    # request is at most one email. A lease, not a flag: a run that died
    # (worker killed) leaves it to expire before the redelivered one.
    send_claimed_until = models.DateTimeField(_("send claimed until"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(
        _("attempts"),
        default=0,
        help_text=_("Code tries so far; the code stops working after five."),
    )
    requested_ip = models.GenericIPAddressField(_("requested IP"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("access link")
        indexes = [
            models.Index(fields=["customer", "-created_at"], name="accesslink_customer_created"),
        ]

    def __str__(self) -> str:
        return _("%(purpose)s for customer %(id)s") % {
            "purpose": self.get_purpose_display(),
            "id": self.customer_id,
        }


class EmailChange(models.Model):
    """A new email a customer asked for, waiting for its confirmation link.

    The token follows the access links' rules: 256 bits from `secrets`,
    stored as its SHA-256 only, one hour, one use, and a GET never uses it
    (the confirmation page's button POSTs). The customer's email changes only
    when the link is opened: a typo cannot lock the customer out, and a
    hijacked session cannot move the account to another mailbox.
    """

    vendor = models.ForeignKey(
        Vendor, verbose_name=_("vendor"), on_delete=models.CASCADE, related_name="email_changes"
    )
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="email_changes"
    )
    new_email = models.EmailField(_("new email"), max_length=254)
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    request_id = models.UUIDField(_("request ID"), unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    # As for access links: the change is committed first and mailed after,
    # so a rerun of the task knows whether its email went out.
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # [issue 20] As for access links: the run mailing it owns it until then.
    send_claimed_until = models.DateTimeField(_("send claimed until"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("email change")

    def __str__(self) -> str:
        return _("Email change for customer %(id)s") % {"id": self.customer_id}


class CustomerSession(models.Model):
    """Which session keys a customer signed in with, so that a confirmed
    email change can end the customer's other sessions on the server."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="+"
    )
    session_key = models.CharField(_("session key"), max_length=40, db_index=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("customer session")

    def __str__(self) -> str:
        return _("Session of customer %(id)s") % {"id": self.customer_id}
