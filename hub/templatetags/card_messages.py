"""The card form's error messages, for static/card.js.

    {% load card_messages %} {% card_error_messages %}

Stripe.js reports a card problem with a code (and its own English sentence,
which the page never shows); the script looks the code up in this JSON and
falls back to its "default" entry. One source for the words: the same table
(billing.cards.CARD_ERROR_MESSAGES) answers the server's card errors.
"""

from django import template
from django.utils.html import json_script

from billing.cards import CARD_ERROR_MESSAGES, MESSAGE_CARD_NOT_SAVED

register = template.Library()


@register.simple_tag
def card_error_messages() -> str:
    messages = {code: str(text) for code, text in CARD_ERROR_MESSAGES.items()}
    messages["default"] = str(MESSAGE_CARD_NOT_SAVED)
    return json_script(messages, "card-error-messages")
