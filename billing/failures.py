"""Why a payment failed, as its reader should see it.

The sync stores the processor's own words (`Payment.failure_message`), and
Stripe writes them in English, whatever the customer's language: "Your card
was declined." The sentences Stripe documents for card declines are in our
catalog below, so a page or email shows them in its reader's language. Any
other text (a reason Stripe added later, a processor's free text) is shown
as stored only where the reader reads English; elsewhere it gives way to our
own sentence, so that no German page quotes an English bank.
"""

from django.utils.translation import get_language, gettext, gettext_noop

# Stripe's decline messages (charge.failure_message), word for word.
KNOWN = frozenset(
    {
        gettext_noop("Your card was declined."),
        gettext_noop("Your card has insufficient funds."),
        gettext_noop("Your card has expired."),
        gettext_noop("Your card's security code is incorrect."),
        gettext_noop("Your card number is incorrect."),
        gettext_noop("An error occurred while processing your card. Try again in a little bit."),
        gettext_noop("Your card does not support this type of purchase."),
    }
)


def failure_reason(stored: str) -> str:
    """`stored` in the active language; "" when it cannot be said in it."""
    if not stored:
        return ""
    if stored in KNOWN:
        return gettext(stored)
    if (get_language() or "en").split("-")[0] == "en":
        return stored
    return ""
