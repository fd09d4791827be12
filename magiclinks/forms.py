"""Forms of the access pages: every value from outside is validated here."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from billing.models import normalize_email
from vendors.validators import form_refuse_control_characters

from .sessions import hub_next_path
from .tokens import CODE_DIGITS


class AccessRequestForm(forms.Form):
    email = forms.EmailField(
        label=_("Email"),
        max_length=254,
        error_messages={
            "required": _("Enter the email address you bought with."),
            "invalid": _("Enter a complete email address, like name@example.com."),
        },
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput, max_length=500)

    def __init__(self, *args, vendor, **kwargs):
        super().__init__(*args, **kwargs)
        self.vendor = vendor
        form_refuse_control_characters(self)

    def clean_email(self) -> str:
        return normalize_email(self.cleaned_data["email"])

    def clean_next(self) -> str:
        value = self.cleaned_data.get("next") or ""
        path = hub_next_path(value, vendor=self.vendor)
        return "" if path == self.vendor.hub_path else path


class AccessCodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the email"),
        max_length=20,
        error_messages={"required": _("Enter the 6-digit code from the email.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        form_refuse_control_characters(self)

    def clean_code(self) -> str:
        # People copy "123 456" or "123-456" from the email: keep the digits.
        code = re.sub(r"[\s-]", "", self.cleaned_data["code"])
        if not re.fullmatch(rf"\d{{{CODE_DIGITS}}}", code):
            raise forms.ValidationError(
                _("The code is the 6 digits in the email, like 123456."), code="format"
            )
        return code
