"""Price changes in the vendor console: "Announce a price change" on a
subscription opens a form (new amount, first day it applies, at least 7 days
ahead); saving stores it and sends the customer's reminder. An announcement
is the record of what the customer was told: never edited or deleted."""

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from billing.models import Subscription
from vendors.admin import VendorScopedAdmin
from vendors.formatting import money

from .price_changes import (
    CHARGING,
    PriceChangeInvalid,
    earliest_effective_on,
    price_change_announce,
    price_change_check,
)
from .price_models import PriceChange


class PriceChangeForm(forms.ModelForm):
    class Meta:
        model = PriceChange
        fields = ["subscription", "amount", "effective_on"]
        widgets = {"effective_on": forms.DateInput(attrs={"type": "date"})}
        help_texts = {
            "amount": _("The new price per billing period, in the subscription's currency."),
            "effective_on": _(
                "The first day the new price applies: at least 7 days from today, so the "
                "customer is told in time."
            ),
        }

    def clean(self):
        cleaned = super().clean()
        subscription = cleaned.get("subscription")
        amount, effective_on = cleaned.get("amount"), cleaned.get("effective_on")
        if subscription is None or amount is None or effective_on is None:
            return cleaned
        try:
            price_change_check(subscription=subscription, amount=amount, effective_on=effective_on)
        except PriceChangeInvalid as error:
            self.add_error(error.field, str(error))
        return cleaned


@admin.register(PriceChange)
class PriceChangeAdmin(VendorScopedAdmin):
    form = PriceChangeForm
    list_display = ["created_at", "subscription", "old_amount", "amount", "currency"]
    list_display += ["effective_on", "created_by"]
    list_select_related = ["subscription", "created_by"]
    search_fields = ["subscription__customer__email", "subscription__product"]
    date_hierarchy = "created_at"
    readonly_fields = ["subscription", "old_amount", "amount", "currency", "effective_on"]
    readonly_fields += ["created_at", "created_by"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            field = form.base_fields["subscription"]
            field.queryset = (
                Subscription.objects.filter(
                    vendor__in=self.scoped_vendors(request),
                    status__in=CHARGING,
                    cancel_at_period_end=False,
                )
                .select_related("customer", "vendor")
                .order_by("customer__email", "product")
            )
            field.label_from_instance = _subscription_label
        return form

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else PriceChangeForm.Meta.fields

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        subscription = Subscription.objects.filter(
            vendor__in=self.scoped_vendors(request), pk=request.GET.get("subscription") or None
        ).first()
        if subscription is not None:
            initial["subscription"] = subscription.pk
            initial["effective_on"] = earliest_effective_on(subscription.vendor)
        return initial

    def has_add_permission(self, request):
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        announced = price_change_announce(
            subscription=data["subscription"],
            amount=data["amount"],
            effective_on=data["effective_on"],
            user=request.user,
        )
        # The admin logs and redirects to the row the service wrote.
        for field in PriceChange._meta.concrete_fields:
            setattr(obj, field.attname, getattr(announced, field.attname))
        obj._state.adding = False


def _subscription_label(subscription: Subscription) -> str:
    """Whose subscription, of what, at what price: enough to pick the right one."""
    price = money(subscription.amount, subscription.currency, subscription.vendor)
    return f"{subscription.customer.email} · {subscription.product} · {price}"


@admin.action(description=_("Announce a price change"))
def announce_price_change(modeladmin, request: HttpRequest, queryset):
    """Opens the announcement form for the one subscription selected."""
    if queryset.count() != 1:
        messages.warning(request, _("Select one subscription to announce its price change."))
        return None
    url = reverse("admin:rights_pricechange_add")
    return HttpResponseRedirect(f"{url}?subscription={queryset.get().pk}")


def _subscription_admin_extend(site: admin.AdminSite) -> None:
    """billing's subscription admin gets the action here: billing may not
    import rights (the apps' layers), rights may extend billing."""
    subscription_admin = site.get_model_admin(Subscription)
    subscription_admin.actions = [*(subscription_admin.actions or []), announce_price_change]


_subscription_admin_extend(admin.site)
