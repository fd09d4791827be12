"""Validators for text that comes from outside, shared by every app's forms.

A control character (NUL above all: PostgreSQL refuses it in text, which
turned such input into a 500) has no place in a name, an address or an
email; it is refused with a message next to the field.
"""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
# What we accept in an email beyond Django's EmailValidator: no quoted local
# parts, no whitespace, no control characters, nothing that could break a
# header or a mail client's idea of the address.
EMAIL_REFUSED = re.compile(r"[\x00-\x20\x7f\"'\\<>(),;:\[\]]")


def has_control_characters(value: str) -> bool:
    return bool(CONTROL_CHARACTERS.search(value))


def refuse_control_characters(value: str) -> None:
    if isinstance(value, str) and has_control_characters(value):
        raise ValidationError(
            _("Remove the invisible control characters from this text."),
            code="control_characters",
        )


def refuse_odd_email(value: str) -> None:
    if isinstance(value, str) and EMAIL_REFUSED.search(value.strip()):
        raise ValidationError(
            _(
                "Enter the email address without quotes, spaces, brackets or other special "
                "characters, like name@example.com."
            ),
            code="email_characters",
        )


def form_refuse_control_characters(form: forms.BaseForm) -> None:
    """Add refuse_control_characters to every text field of `form` (and
    refuse_odd_email to its email fields), before Django's own validators so
    the person reads the message that names the problem."""
    for field in form.fields.values():
        if isinstance(field, forms.EmailField):
            field.validators.insert(0, refuse_odd_email)
        if isinstance(field, forms.CharField):
            field.validators.insert(0, refuse_control_characters)
