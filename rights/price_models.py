"""A price change announced to a customer before it applies (California
ARL, New York GBL 527-a: at least 7 days' notice of a price increase)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from billing.models import MONEY, Subscription
from vendors.models import Vendor


class PriceChange(models.Model):
    """Staff announce it on a subscription (admin: "Announce a price change");
    the reminder goes out at once and the daily task catches any it missed.
    Kept as the record of what the customer was told: never edited."""

    vendor = models.ForeignKey(Vendor, on_delete=models.CASCADE, related_name="price_changes")
    subscription = models.ForeignKey(
        Subscription,
        on_delete=models.CASCADE,
        related_name="price_changes",
        verbose_name=_("subscription"),
    )
    old_amount = models.DecimalField(_("current amount"), **MONEY)
    amount = models.DecimalField(_("new amount"), **MONEY)
    currency = models.CharField(_("currency"), max_length=3)
    # The first day the new price applies, and that day's start in the
    # vendor's time zone (the moment the reminder names).
    effective_on = models.DateField(_("applies from"))
    effective_at = models.DateTimeField(_("applies from (time)"))
    created_at = models.DateTimeField(_("announced at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("announced by"),
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("price change")
        verbose_name_plural = _("price changes")
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "effective_on"], name="rights_price_change_once_a_day"
            )
        ]
        indexes = [models.Index(fields=["effective_at"], name="rights_price_change_effective")]

    def __str__(self) -> str:
        return f"{self.subscription_id} {self.amount} {self.currency} {self.effective_on}"
