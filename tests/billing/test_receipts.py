"""Receipts: one per newly paid payment, in the vendor's style, never two."""

import re
from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.base import ContentFile

from billing.documents.receipts import payment_failed_notify, payment_receipt_send
from billing.models import Payment
from billing.tasks import payment_receipt_task
from hub.management.commands.seed_demo import logo_png
from tests.factories import OrderFactory, PaymentFactory, SubscriptionFactory


def paid_payment(customer, **kwargs):
    order = OrderFactory(customer=customer, product="Course Workbook", amount=Decimal("19.00"))
    return PaymentFactory(order=order, **kwargs)


def test_a_detailed_receipt_lists_lines_and_total_and_ends_with_the_hub_button(alice):
    payment = paid_payment(alice)

    assert payment_receipt_send(payment_id=payment.pk) is True

    [receipt] = mail.outbox
    assert receipt.to == ["alice@example.com"]
    assert receipt.subject == "Your receipt from Northwind Courses"
    html = receipt.alternatives[0][0]
    button = "http://testserver/northwind/updateinfo/?email=alice%40example.com"
    for part in (receipt.body, html):
        assert "Course Workbook" in part
        assert "$19.00" in part
        assert payment.invoice.number in part
        assert button in part
    assert "View my purchases" in html
    payment.refresh_from_db()
    assert payment.receipt_sent_at is not None


CANCEL_PAGE = ["/northwind/updateinfo/cancel/"]


def hub_paths(text: str) -> list[str]:
    return re.findall(r"/northwind/updateinfo/[^\s\"<]*", text)


def test_a_detailed_receipt_without_the_email_button_has_no_hub_link(alice, vendor):
    vendor.email_button = False
    vendor.save()
    payment_receipt_send(payment_id=paid_payment(alice).pk)
    [receipt] = mail.outbox
    assert "Course Workbook" in receipt.body and "$19.00" in receipt.body
    # Only the footer's public cancellation page (§ 312k BGB), no hub link.
    assert hub_paths(receipt.body) == hub_paths(receipt.alternatives[0][0]) == CANCEL_PAGE


def test_a_basic_receipt_is_short_and_has_no_hub_button(alice, vendor):
    vendor.receipt_style = "basic"
    vendor.save()
    payment = paid_payment(alice)
    payment_receipt_send(payment_id=payment.pk)
    [receipt] = mail.outbox
    html = receipt.alternatives[0][0]
    assert "$19.00" in receipt.body and "Course Workbook" in receipt.body
    assert payment.invoice.number not in receipt.body
    assert hub_paths(receipt.body) == hub_paths(html) == CANCEL_PAGE
    assert "View my purchases" not in html


def test_no_receipt_when_the_vendor_sends_none(alice, vendor):
    vendor.send_receipts = False
    vendor.save()
    assert payment_receipt_send(payment_id=paid_payment(alice).pk) is False
    assert mail.outbox == []


def test_a_retried_receipt_task_sends_one_receipt(alice, django_capture_on_commit_callbacks):
    payment = paid_payment(alice)
    with django_capture_on_commit_callbacks(execute=True):
        payment_receipt_task.delay(payment.pk)
        payment_receipt_task.delay(payment.pk)  # acks_late: a lost worker reruns it
    payment_receipt_task.apply(args=[payment.pk])
    assert len(mail.outbox) == 1


def test_a_send_that_fails_gives_the_claim_back(alice, settings):
    payment = paid_payment(alice)
    settings.EMAIL_BACKEND = "tests.magiclinks.failing_mail.Backend"
    with pytest.raises(OSError):
        payment_receipt_send(payment_id=payment.pk)
    payment.refresh_from_db()
    assert payment.receipt_sent_at is None  # the task's retry will send it
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert payment_receipt_send(payment_id=payment.pk) is True


def test_the_receipt_carries_the_vendors_logo_inline(alice, vendor):
    vendor.logo.save("northwind.png", ContentFile(logo_png("#123456", "N")))
    payment_receipt_send(payment_id=paid_payment(alice).pk)
    [receipt] = mail.outbox
    html = receipt.alternatives[0][0]
    assert 'src="cid:vendor-logo"' in html
    message = receipt.message()
    images = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert len(images) == 1 and images[0]["Content-ID"] == "<vendor-logo>"


def test_a_failed_payment_notice_says_what_failed_and_links_to_the_card_page(alice):
    subscription = SubscriptionFactory(customer=alice, product="Pro Membership")
    order = OrderFactory(customer=alice, product="Pro Membership", subscription=subscription)
    payment = PaymentFactory(
        order=order,
        subscription=subscription,
        status=Payment.Status.FAILED,
        failure_message="Your card was declined.",
    )

    assert payment_failed_notify(payment_id=payment.pk) is True
    assert payment_failed_notify(payment_id=payment.pk) is False

    [notice] = mail.outbox
    assert notice.subject == "Your payment for Pro Membership failed"
    link = (
        "http://testserver/northwind/updateinfo/?email=alice%40example.com&next=%2Fnorthwind"
        f"%2Fupdateinfo%2Fsubscriptions%2F{subscription.pk}%2Fcard%2F"
    )
    html = notice.alternatives[0][0]
    assert "Your card was declined." in notice.body and "Your card was declined." in html
    assert link in notice.body
    assert link.replace("&", "&amp;") in html


def test_the_card_link_lands_on_the_prefilled_access_form(client, alice):
    subscription = SubscriptionFactory(customer=alice)
    path = (
        "/northwind/updateinfo/?email=alice%40example.com"
        f"&next=%2Fnorthwind%2Fupdateinfo%2Fsubscriptions%2F{subscription.pk}%2Fcard%2F"
    )
    response = client.get(path)
    assert response.status_code == 200
    assert 'value="alice@example.com"' in response.content.decode()
