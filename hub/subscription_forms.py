"""Forms of the subscription pages: the optional cancellation reason and the
card form's SetupIntent id."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from billing.cancellation import CANCEL_REASONS

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class CancelForm(forms.Form):
    """Why the customer leaves: optional, never a hurdle."""

    reason = forms.ChoiceField(
        label=_("Why are you cancelling? (optional)"),
        choices=CANCEL_REASONS,
        required=False,
        widget=forms.RadioSelect,
    )
    reason_text = forms.CharField(
        label=_("Anything you’d like to tell us? (optional)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean_reason_text(self) -> str:
        # Stored in the audit record and sent to the processor: no control
        # characters, which have no business in a sentence.
        return CONTROL_CHARACTERS.sub(" ", self.cleaned_data["reason_text"]).strip()


class CardForm(forms.Form):
    """What the card page posts once Stripe.js confirmed the card: only the
    SetupIntent's id. The card itself went from the browser to Stripe."""

    setup_intent = forms.RegexField(regex=r"^seti_[A-Za-z0-9_]{1,200}$", max_length=210)
