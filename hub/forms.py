"""Forms of the customer hub. They validate what comes from the browser; the
writes happen in billing's services."""

from django import forms
from django.utils.translation import get_language, gettext, to_locale
from django.utils.translation import gettext_lazy as _

from billing.addresses import address_problems
from billing.models import Customer
from billing.selectors import customer_email_taken
from billing.services import EMAIL_TAKEN_MESSAGE
from vendors import formatting
from vendors.formatting import countries


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

    def clean(self) -> dict:
        """The address as its country writes it: required fields and postal
        code pattern per country, postal code and state in normal form."""
        data = super().clean() or {}
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

    def clean_email(self) -> str:
        email = self.cleaned_data["email"]
        if customer_email_taken(customer=self.customer, email=email):
            raise forms.ValidationError(EMAIL_TAKEN_MESSAGE, code="email_taken")
        return email
