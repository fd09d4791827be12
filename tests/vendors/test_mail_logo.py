"""Every email of the project carries the vendor's logo in its header, inline
(cid:), when the vendor has one. The list of emails is read from the
templates folder, so a new email cannot be left out."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.files.base import ContentFile
from django.utils import timezone

from rights.models import CancellationDeclaration, Reminder
from tests.billing.test_pdf import PNG_1PX
from tests.factories import OrderFactory, PaymentFactory, SubscriptionFactory
from vendors.mail import LOGO_CID, mail_send

EMAILS = sorted(
    path.name.removesuffix("_body.html")
    for path in (Path(settings.BASE_DIR) / "templates" / "emails").glob("*_body.html")
)


def test_it_found_the_projects_emails():
    assert {"access_link", "receipt", "subscription_canceled"} <= set(EMAILS)


def any_email_context(customer) -> dict:
    """What the emails' callers pass, together: each template takes its own
    part; the header comes from emails/base.html, which every email extends."""
    subscription = SubscriptionFactory(customer=customer)
    payment = PaymentFactory(order=OrderFactory(customer=customer))
    return {
        "customer": customer,
        "payment": payment,
        "invoice": payment.invoice,
        "product": payment.order.product,
        "subscription": subscription,
        "requested_at": timezone.now(),
        "effective_at": subscription.current_period_end,
        "kept_at": timezone.now(),
        "next_payment_at": subscription.next_payment_at,
        "url": "https://hub.example/northwind/updateinfo/access/t/",
        "card_url": "https://hub.example/northwind/updateinfo/access/t/",
        "button_url": "https://hub.example/northwind/updateinfo/",
        "declaration": CancellationDeclaration(
            vendor=customer.vendor,
            created_at=timezone.now(),
            kind="ordinary",
            name=customer.name,
            email=customer.email,
            when="asap",
        ),
        "admin_url": "https://hub.example/admin/",
        "reminder": Reminder(
            kind="trial_end",
            event_at=timezone.now(),
            amount=subscription.amount,
            currency=subscription.currency,
        ),
    }


@pytest.mark.parametrize("template", EMAILS)
def test_every_email_has_the_vendors_logo_in_its_header(alice, vendor, template):
    vendor.logo.save("northwind.png", ContentFile(PNG_1PX))
    context = any_email_context(alice)
    mail.outbox.clear()  # the factories' receipts
    mail_send(vendor=vendor, to="alice@example.com", template=template, context=context)

    [message] = mail.outbox
    html = message.alternatives[0][0]
    header = re.search(
        rf'<td[^>]*><img src="cid:{LOGO_CID}"[^>]*>{re.escape(vendor.name)}</td>', html
    )
    assert header, f"{template}: no logo in the header"
    assert html.count(f"cid:{LOGO_CID}") == 1
    mime = message.message()
    images = [part for part in mime.walk() if part.get_content_maintype() == "image"]
    assert [part["Content-ID"] for part in images] == [f"<{LOGO_CID}>"]
    assert images[0].get_payload(decode=True) == PNG_1PX


def test_without_a_logo_no_email_points_at_one(vendor):
    mail_send(vendor=vendor, to="alice@example.com", template=EMAILS[0])
    [message] = mail.outbox
    assert "cid:" not in message.alternatives[0][0]
    assert not [p for p in message.message().walk() if p.get_content_maintype() == "image"]
