"""The public cancellation form: every value from outside is validated here,
and a bad one is answered with a message next to its field."""

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from billing.models import Customer, Subscription, normalize_email
from vendors.formatting import vendor_words, vendor_zone
from vendors.validators import form_refuse_control_characters

from .models import CancellationDeclaration

# A date further away than this is a typing mistake, not a plan.
LATEST_DATE = timedelta(days=10 * 366)
OTHER_CONTRACT = ""


class CancellationForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind of cancellation"),
        choices=CancellationDeclaration.Kind.choices,
        initial=CancellationDeclaration.Kind.ORDINARY,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the kind of cancellation.")},
    )
    reason = forms.CharField(
        label=_("Reason for the extraordinary cancellation"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Only for an extraordinary cancellation: the good cause."),
    )
    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        error_messages={"required": _("Enter your name.")},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        error_messages={
            "required": _("Enter the email address you bought with."),
            "invalid": _("Enter a complete email address, like name@example.com."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    order_number = forms.CharField(
        label=_("Order ID"),
        required=False,
        max_length=40,
        help_text=_("You find it on your receipt."),
    )
    when = forms.ChoiceField(
        label=_("When should the contract end?"),
        choices=CancellationDeclaration.When.choices,
        initial=CancellationDeclaration.When.ASAP,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose when the contract should end.")},
    )
    requested_date = forms.DateField(
        label=_("Date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": _("Enter a date, like 2026-12-31.")},
    )

    def __init__(self, *args, vendor, customer: Customer | None = None, subscriptions=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.vendor = vendor
        self.customer = customer
        self.subscriptions = {str(s.pk): s for s in subscriptions}
        if customer is not None:
            # A signed-in customer picks the contract; the Order ID field
            # stays for anything not listed.
            choices = [(key, _contract_label(s, vendor)) for key, s in self.subscriptions.items()]
            choices.append((OTHER_CONTRACT, str(_("Another contract (enter its Order ID)"))))
            self.fields["contract"] = forms.ChoiceField(
                label=_("Contract"),
                choices=choices,
                required=False,
                widget=forms.RadioSelect,
                initial=next(iter(self.subscriptions), OTHER_CONTRACT),
            )
            self.initial.setdefault("name", customer.name)
            self.initial.setdefault("email", customer.email)
            self.order_fields(
                ["kind", "reason", "name", "email", "contract", "order_number", "when"]
                + ["requested_date"]
            )
        else:
            # A stranger names the contract by its Order ID: marked required
            # (label and `required`) rather than refused after the submit.
            self.fields["order_number"].required = True
            self.fields["order_number"].error_messages["required"] = _(
                "Enter the Order ID from your receipt."
            )
        form_refuse_control_characters(self)

    def clean_email(self) -> str:
        return normalize_email(self.cleaned_data["email"])

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Enter your name."), code="required")
        return name

    def clean_order_number(self) -> str:
        return self.cleaned_data["order_number"].strip()

    def clean(self):
        data = super().clean()
        if (
            data.get("kind") == CancellationDeclaration.Kind.EXTRAORDINARY
            and not (data.get("reason") or "").strip()
        ):
            self.add_error("reason", _("Give the reason for an extraordinary cancellation."))
        picked = self.subscriptions.get(data.get("contract") or OTHER_CONTRACT)
        data["subscription"] = picked
        if picked is None and "order_number" in data and not data["order_number"]:
            self.add_error("order_number", _("Enter the Order ID from your receipt."))
        if data.get("when") == CancellationDeclaration.When.DATE:
            chosen = data.get("requested_date")
            today = timezone.localtime(timezone.now(), vendor_zone(self.vendor)).date()
            if chosen is None:
                if "requested_date" not in self.errors:
                    self.add_error("requested_date", _("Enter the date the contract should end."))
            elif chosen < today:
                self.add_error("requested_date", _("Enter today’s date or a later one."))
            elif chosen > today + LATEST_DATE:
                self.add_error("requested_date", _("Enter a date within the next ten years."))
        else:
            data["requested_date"] = None
        return data


def _contract_label(subscription: Subscription, vendor) -> str:
    """The product and its order number. The product name is the vendor's
    words: it carries the vendor's language on a page in another (WCAG
    3.1.2), as everywhere in the hub (hub_format's vendor_words)."""
    order = getattr(subscription, "order", None)
    number = order.number if order is not None else ""
    name = vendor_words(subscription.product_name, vendor)
    return format_html("{} ({})", name, number) if number else name


class WithdrawalForm(forms.Form):
    """Step one of the withdrawal: only name, email and the order."""

    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        error_messages={"required": _("Enter your name.")},
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        error_messages={
            "required": _("Enter the email address you bought with."),
            "invalid": _("Enter a complete email address, like name@example.com."),
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    order_number = forms.CharField(
        label=_("Order ID"),
        max_length=40,
        help_text=_("You find it on your receipt."),
        error_messages={"required": _("Enter the Order ID from your receipt.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        form_refuse_control_characters(self)

    def clean_email(self) -> str:
        return normalize_email(self.cleaned_data["email"])

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Enter your name."), code="required")
        return name

    def clean_order_number(self) -> str:
        number = self.cleaned_data["order_number"].strip()
        if not number:
            raise forms.ValidationError(_("Enter the Order ID from your receipt."))
        return number
