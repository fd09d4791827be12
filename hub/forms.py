"""Forms of the customer hub. They validate what comes from the browser; the
writes happen in billing's services."""

from django import forms
from django.utils.translation import get_language, gettext, to_locale
from django.utils.translation import gettext_lazy as _

from billing.addresses import address_problems
from billing.models import Customer, normalize_email
from vendors import formatting
from vendors.formatting import countries
from vendors.tax_ids import tax_id_clean
from vendors.validators import form_refuse_control_characters

# Stripe's verification statuses of a customer tax ID (billing.tax_ids).
TAX_ID_STATUSES = {
    "verified": _("Verified by the payment processor."),
    "pending": _("The payment processor is still verifying this tax ID."),
    "unverified": _("The payment processor could not verify this tax ID."),
    "unavailable": _("The payment processor cannot verify this tax ID at the moment."),
}


def country_choices() -> list[tuple[str, str]]:
    """ISO 3166-1 alpha-2 codes with their names in the page's language, by name."""
    return [("", gettext("Choose a country")), *countries(to_locale(get_language() or "en"))]


def country_name(code: str) -> str:
    """The country's name in the page's language, or the code when unknown."""
    return formatting.country_name(code, to_locale(get_language() or "en"))


def address_display(customer: Customer) -> list[str]:
    """The customer's billing address as lines to show, the country by name."""
    lines = customer.address_lines
    if customer.country and lines and lines[-1] == customer.country:
        lines[-1] = country_name(customer.country)
    return lines


class ProfileForm(forms.Form):
    """Update my info: name, email and billing address."""

    name = forms.CharField(label=_("Full name"), max_length=200, required=False)
    email = forms.EmailField(label=_("Email"), max_length=254)
    address_line1 = forms.CharField(label=_("Address line 1"), max_length=200, required=False)
    address_line2 = forms.CharField(label=_("Address line 2"), max_length=200, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    postal_code = forms.CharField(label=_("Postal code"), max_length=20, required=False)
    state = forms.CharField(label=_("State, province or region"), max_length=100, required=False)
    country = forms.ChoiceField(label=_("Country"), required=False)
    company = forms.CharField(label=_("Company"), max_length=200, required=False)
    tax_id = forms.CharField(
        label=_("Tax ID"),
        max_length=40,
        required=False,
        help_text=_(
            "For businesses: your VAT ID or your country’s business tax ID, such as DE123456789."
        ),
    )

    # Browsers fill the right values in when fields say what they hold.
    AUTOCOMPLETE = {
        "name": "name",
        "email": "email",
        "address_line1": "address-line1",
        "address_line2": "address-line2",
        "city": "address-level2",
        "postal_code": "postal-code",
        "state": "address-level1",
        "country": "country",
        "company": "organization",
        "tax_id": "off",
    }

    def __init__(self, *args, customer: Customer, **kwargs):
        self.customer = customer
        kwargs.setdefault("initial", {f: getattr(customer, f) for f in self.AUTOCOMPLETE})
        super().__init__(*args, **kwargs)
        country = self.fields["country"]
        assert isinstance(country, forms.ChoiceField)  # narrows the type for mypy
        country.choices = country_choices()
        for name, token in self.AUTOCOMPLETE.items():
            self.fields[name].widget.attrs["autocomplete"] = token
        form_refuse_control_characters(self)

    def clean(self) -> dict:
        """The address as its country writes it: required fields and postal
        code pattern per country, postal code and state in normal form."""
        data = super().clean() or {}
        self._clean_tax_id(data)
        fields = ["address_line1", "address_line2", "city", "postal_code", "state", "country"]
        if any(name in self.errors for name in fields):
            return data
        if all(data.get(name, "") == getattr(self.customer, name) for name in fields):
            # An address saved before these checks existed is not held
            # against a customer who only changes their name or email.
            return data
        problems, normal = address_problems(
            line1=data.get("address_line1", ""),
            line2=data.get("address_line2", ""),
            city=data.get("city", ""),
            postal_code=data.get("postal_code", ""),
            state=data.get("state", ""),
            country=data.get("country", ""),
        )
        for name, message in problems.items():
            self.add_error(name if name in self.fields else None, message)
        data.update({k: v for k, v in normal.items() if v})
        return data

    def clean_tax_id(self) -> str:
        return (self.cleaned_data.get("tax_id") or "").strip()

    def _clean_tax_id(self, data: dict) -> None:
        """The tax ID checked (format and check digits) as the kind the
        customer's country issues; an invalid one is refused here, next to
        the field, and never reaches the processor."""
        value = data.get("tax_id", "")
        if not value or "tax_id" in self.errors:
            data["tax_id_type"] = ""
            return
        if value == self.customer.tax_id and data.get("country") == self.customer.country:
            data["tax_id_type"] = self.customer.tax_id_type
            return
        if not data.get("country"):
            self.add_error(
                "tax_id", _("Choose your country first: the kind of tax ID depends on it.")
            )
            return
        try:
            kind, data["tax_id"] = tax_id_clean(country=data["country"], value=value)
        except forms.ValidationError as error:
            self.add_error("tax_id", error)
            return
        data["tax_id_type"] = kind.stripe_type

    @property
    def tax_id_status(self) -> str:
        """What the processor said of the stored tax ID, for the customer."""
        return str(TAX_ID_STATUSES.get(self.customer.tax_id_verification, ""))

    def clean_email(self) -> str:
        # Whether another customer has this address is not checked here: the
        # answer would tell anyone signed in which emails are customers. A
        # new email is confirmed by a link first (magiclinks.email_changes).
        return normalize_email(self.cleaned_data["email"])
