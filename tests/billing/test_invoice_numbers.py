"""Invoice numbers: per vendor, sequential, unique and gap-free, also when
payments are recorded concurrently or a transaction rolls back."""

import threading

import pytest
from django.db import connection, transaction

from billing.documents.invoices import invoice_issue
from billing.models import Invoice, InvoiceSequence
from tests.factories import CustomerFactory, OrderFactory, PaymentFactory, VendorFactory


def unpaid_invoicing(vendor, count: int) -> list:
    """`count` paid payments of `vendor` that have no invoice yet."""
    customer = CustomerFactory(vendor=vendor)
    return [
        PaymentFactory(order=OrderFactory(customer=customer), invoice=False) for _ in range(count)
    ]


def test_it_numbers_invoices_per_vendor_from_one(vendor, other_vendor):
    for payment in unpaid_invoicing(vendor, 3):
        invoice_issue(payment=payment)
    acme = invoice_issue(payment=unpaid_invoicing(other_vendor, 1)[0])
    numbers = list(Invoice.objects.filter(vendor=vendor).order_by("sequence"))
    assert [i.number for i in numbers] == [
        "NORTHWIND-000001",
        "NORTHWIND-000002",
        "NORTHWIND-000003",
    ]
    assert (acme.sequence, acme.number) == (1, "ACME-000001")


def test_issuing_twice_returns_the_same_invoice_and_takes_no_number(vendor):
    payment = unpaid_invoicing(vendor, 1)[0]
    first = invoice_issue(payment=payment)
    assert invoice_issue(payment=payment) == first
    assert InvoiceSequence.objects.get(vendor=vendor).last_number == 1


def test_a_rolled_back_invoice_gives_its_number_back(vendor):
    first, second = unpaid_invoicing(vendor, 2)
    with pytest.raises(RuntimeError), transaction.atomic():
        invoice_issue(payment=first)
        raise RuntimeError("the payment could not be recorded")
    assert invoice_issue(payment=second).sequence == 1


def issue_concurrently(payments, *, fail=()) -> list[BaseException]:
    """Issue one invoice per payment, each in its own thread and transaction,
    all started at the same moment; payments in `fail` roll back afterwards.
    Returns the unexpected errors."""
    barrier = threading.Barrier(len(payments), timeout=30)
    errors: list[BaseException] = []

    def run(payment):
        try:
            with transaction.atomic():
                barrier.wait()
                invoice_issue(payment=payment)
                if payment in fail:
                    raise RuntimeError("rollback")
        except RuntimeError as exc:
            if str(exc) != "rollback":
                errors.append(exc)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(p,)) for p in payments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a thread is stuck"
    return errors


@pytest.mark.services
def test_concurrent_transactions_never_share_a_number(postgres, transactional_db):
    vendor = VendorFactory(slug="busy-shop")
    # The first round also races the creation of the vendor's sequence row.
    for round_size in (4, 6):
        errors = issue_concurrently(unpaid_invoicing(vendor, round_size))
        assert errors == []
    sequences = sorted(Invoice.objects.filter(vendor=vendor).values_list("sequence", flat=True))
    assert sequences == list(range(1, 11))
    numbers = set(Invoice.objects.filter(vendor=vendor).values_list("number", flat=True))
    assert numbers == {f"BUSY-SHOP-{n:06d}" for n in range(1, 11)}


@pytest.mark.services
def test_a_concurrent_rollback_leaves_no_gap(postgres, transactional_db):
    vendor = VendorFactory(slug="busy-shop")
    invoice_issue(payment=unpaid_invoicing(vendor, 1)[0])
    payments = unpaid_invoicing(vendor, 6)
    errors = issue_concurrently(payments, fail=payments[::2])
    assert errors == []
    sequences = sorted(Invoice.objects.filter(vendor=vendor).values_list("sequence", flat=True))
    assert sequences == [1, 2, 3, 4]
    assert InvoiceSequence.objects.get(vendor=vendor).last_number == 4
    assert set(Invoice.objects.values_list("payment", flat=True)) >= {p.pk for p in payments[1::2]}
