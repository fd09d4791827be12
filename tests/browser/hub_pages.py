"""The hub's pages for the browser checks, read from the URLconf so a new
URL cannot be forgotten (tests/browser/test_every_page_axe.py fails until it
is listed here), shared by the axe and the phone-layout checks."""

from django.urls import URLPattern, URLResolver, get_resolver

from billing.models import Customer

# Pages a signed-in customer opens; the value names the URL's argument.
PAGES = {
    "home": None,
    "profile": None,
    "purchases": None,
    "purchases_print": None,
    "subscriptions": None,
    "contact": None,
    "invoice": "number",
    "subscription_cancel": "subscription_id",
    "subscription_cancel_done": "subscription_id",
    "card": "subscription_id",
    "card_updated": "subscription_id",
    # A subscription with nothing to pay redirects to Subscriptions.
    "subscription_pay": "subscription_id",
    # The public pages of consumer rights, as a signed-in customer sees them
    # (prefilled); tests/browser/test_cancellation_page.py checks them signed out.
    "rights_cancel": None,
    "rights_withdraw": None,
}
# The pages before signing in are checked at both widths by
# tests/browser/test_access_a11y.py (form, errors, check email and its code
# form, continue, used link, rate limited).
ACCESS_PAGES = {"access_request", "access_code", "access_link"}
NOT_PAGES = {
    "purchases_csv": "a CSV file",
    "invoice_pdf": "a PDF",
    "credit_note_pdf": "a PDF",
    "invoice_xml": "an XML e-invoice",
    "credit_note_xml": "an XML e-invoice",
    "subscription_keep": "POST only, redirects",
    "card_retry": "POST only (the pay page's POST), redirects",
    "card_email_link": "POST only, redirects",
    "signout": "POST only, redirects",
    "language": "POST only (the footer's menu), redirects back to the page",
    "card_setup": "POST only, JSON for the card page's script",
    "api_link": "signs in and redirects to a page above",
    "email_confirm": "checked below with a link that is no longer valid",
    "rights_cancel_done": "needs its secret token: axe runs in test_cancellation_page.py",
    "rights_cancel_done_pdf": "a PDF",
    "rights_record_csv": "a CSV file",
    "rights_withdraw_done": "needs its secret token: axe runs in test_cancellation_page.py",
}


def hub_url_names() -> set[str]:
    """Every named URL under /<account>/updateinfo/, includes followed."""

    def walk(patterns) -> set[str]:
        names: set[str] = set()
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                names |= walk(pattern.url_patterns)
            elif isinstance(pattern, URLPattern) and pattern.name:
                names.add(pattern.name)
        return names

    [hub] = [
        p for p in get_resolver().url_patterns if str(p.pattern) == "<slug:account>/updateinfo/"
    ]
    return walk(hub.url_patterns)


def page_paths(customer: Customer) -> list[str]:
    """Every page of PAGES that `customer` has, with its arguments filled in."""
    from django.urls import reverse

    account = customer.vendor.slug
    args = {
        "number": [i.number for i in customer.invoices.order_by("pk")[:1]],
        "subscription_id": [s.pk for s in customer.subscriptions.order_by("pk")],
    }
    paths = []
    for name, argument in PAGES.items():
        if argument is None:
            paths.append(reverse(f"hub:{name}", kwargs={"account": account}))
            continue
        for value in args[argument]:
            paths.append(reverse(f"hub:{name}", kwargs={"account": account, argument: value}))
    return paths
