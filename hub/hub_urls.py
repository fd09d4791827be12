"""The customer hub under /<account>/updateinfo/ (the URL contract in DESIGN.md)."""

from django.urls import include, path

from . import (
    contact_views,
    dashboard_views,
    invoice_views,
    language_views,
    purchase_views,
    subscription_views,
)

app_name = "hub"

urlpatterns = [
    path("", dashboard_views.home, name="home"),
    path("profile/", dashboard_views.profile, name="profile"),
    path("purchases/", purchase_views.purchases, name="purchases"),
    path("purchases/print/", purchase_views.purchases_print, name="purchases_print"),
    path("purchases.csv", purchase_views.purchases_csv, name="purchases_csv"),
    path("invoices/<str:number>/", invoice_views.invoice, name="invoice"),
    path("invoices/<str:number>/pdf", invoice_views.invoice_pdf, name="invoice_pdf"),
    path("invoices/<str:number>/xml", invoice_views.invoice_xml_download, name="invoice_xml"),
    path("credit-notes/<str:number>/pdf", invoice_views.credit_note_pdf, name="credit_note_pdf"),
    path(
        "credit-notes/<str:number>/xml",
        invoice_views.credit_note_xml_download,
        name="credit_note_xml",
    ),
    path("subscriptions/", subscription_views.subscriptions, name="subscriptions"),
    path(
        "subscriptions/<int:subscription_id>/cancel/",
        subscription_views.cancel,
        name="subscription_cancel",
    ),
    path(
        "subscriptions/<int:subscription_id>/cancel/done/",
        subscription_views.cancel_done,
        name="subscription_cancel_done",
    ),
    path(
        "subscriptions/<int:subscription_id>/keep/",
        subscription_views.keep,
        name="subscription_keep",
    ),
    path("subscriptions/<int:subscription_id>/card/", subscription_views.card, name="card"),
    path(
        "subscriptions/<int:subscription_id>/card/setup/",
        subscription_views.card_setup,
        name="card_setup",
    ),
    path(
        "subscriptions/<int:subscription_id>/card/updated/",
        subscription_views.card_updated,
        name="card_updated",
    ),
    path(
        "subscriptions/<int:subscription_id>/pay/",
        subscription_views.pay,
        name="subscription_pay",
    ),
    # The card-updated page's "Pay now" posted here before the pay page existed.
    path(
        "subscriptions/<int:subscription_id>/card/retry/",
        subscription_views.pay,
        name="card_retry",
    ),
    path(
        "subscriptions/<int:subscription_id>/card/email-link/",
        subscription_views.card_email_link,
        name="card_email_link",
    ),
    path("contact/", contact_views.contact, name="contact"),
    path("language/", language_views.language, name="language"),
    # The public cancellation page (rights owns it; no sign-in before it).
    path("", include("rights.urls")),
    # Access, sign-in and sign-out (magiclinks owns these).
    path("", include("magiclinks.urls")),
]
