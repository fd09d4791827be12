"""The names we give what a processor sold without naming it.

A Stripe charge or invoice without a description, a subscription whose plan
has no product name: the row still needs a product, and the sync (outside
any request, in no one's language) stores one of the English words below.
They are our words, not the vendor's: every page, email and document shows
them in its reader's language, through `product_name`. A vendor's own
product name ("Jahresabo") is shown as written.
"""

from django.utils.functional import Promise
from django.utils.translation import pgettext_lazy

PURCHASE = "Purchase"
SUBSCRIPTION = "Subscription"

_SHOWN = {
    PURCHASE: pgettext_lazy("the product of a payment the processor did not name", "Purchase"),
    SUBSCRIPTION: pgettext_lazy(
        "the product of a subscription the processor did not name", "Subscription"
    ),
}


def product_name(stored: str) -> str | Promise:
    """`stored` as the reader should see it: our fallback names translated
    (lazily: the active language decides when it is shown), else unchanged."""
    return _SHOWN.get(stored, stored)
