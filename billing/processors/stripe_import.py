"""Import a vendor's existing Stripe account: customers, subscriptions,
invoices, charges and refunds, page by page.

Safe to run again: every row is keyed by its Stripe id, and a second run
over unchanged data changes nothing (it reports everything as unchanged).
Historical invoices keep Stripe's number and date and never take a number
from our sequence; they send no receipts.

Each page of Stripe results is written in one transaction and the next
page's cursor is saved on the StripeImport row afterwards: a Stripe error
midway leaves every finished page in place and nothing half-written, and
`--resume <run id>` starts again after the last finished page.

Queries are bounded per page: the rows we already have for a page are read
in one query each, and an unchanged object costs no query at all.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from billing.models import Customer, Payment, Processor, StripeImport, Subscription
from vendors.models import Vendor

from .adapters import stripe_adapter_for
from .adapters.base import ProcessorError, ProcessorSubscription
from .stripe_sync import (
    CREATED,
    MERGED,
    UNCHANGED,
    UPDATED,
    Effects,
    stripe_charge_record,
    stripe_customer_record,
    stripe_invoice_record,
    stripe_refunds_record,
    stripe_subscription_record,
)

STAGES = ("customers", "subscriptions", "invoices", "charges")
PAGE_SIZE = 100
STRIPE = Processor.STRIPE


@dataclass
class ImportReport:
    """created / updated / unchanged / skipped, per kind of object."""

    counts: dict[str, Counter] = field(default_factory=dict)
    # Stripe customer id -> email, for Stripe customers whose email (in any
    # case) another Stripe customer's customer already had: merged into that
    # customer (see stripe_customer_record), and told to the operator.
    merged_customers: dict[str, str] = field(default_factory=dict)

    def add(self, kind: str, outcome: str) -> None:
        self.counts.setdefault(kind, Counter())[outcome] += 1

    @property
    def changes(self) -> int:
        return sum(c[CREATED] + c[UPDATED] for c in self.counts.values())

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {kind: dict(counter) for kind, counter in self.counts.items()}

    def copy(self) -> ImportReport:
        return ImportReport(
            counts={kind: Counter(c) for kind, c in self.counts.items()},
            merged_customers=dict(self.merged_customers),
        )

    def summary(self) -> str:
        lines = []
        for kind in STAGES:
            c = self.counts.get(kind, Counter())
            lines.append(
                f"{kind}: {c[CREATED]} created, {c[UPDATED]} updated, "
                f"{c[UNCHANGED]} unchanged, {c['skipped']} skipped"
                + (f", {c[MERGED]} merged" if c[MERGED] else "")
            )
        refunds = self.counts.get("refunds", Counter())
        lines.append(f"refunds: {refunds[CREATED]} created")
        for stripe_id, email in sorted(self.merged_customers.items()):
            lines.append(
                f"merged: Stripe customer {stripe_id} <{email}> has the email of another "
                f"Stripe customer; both are one customer here, who sees both's "
                f"subscriptions and payments"
            )
        return "\n".join(lines)

    def refunds_add(self, count: int) -> None:
        if count:
            self.counts.setdefault("refunds", Counter())[CREATED] += count


class ImportInterrupted(Exception):
    """Stripe failed midway, or the operator pressed Ctrl-C (`error` None);
    what was imported stays, `run` says where to resume."""

    def __init__(self, run: StripeImport, error: ProcessorError | None) -> None:
        super().__init__(error.message if error else "interrupted")
        self.run = run
        self.error = error


class ImportRefused(Exception):
    """The import cannot start: no key, a key Stripe refuses, Stripe out of
    reach. The message is for the operator (the command's user, the admin),
    not a customer's "contact the seller"; no run row is left behind."""


def stripe_import_check(*, vendor: Vendor) -> None:
    """Raise ImportRefused unless the vendor's Stripe key works now (the
    connection check: two reads)."""
    if not vendor.stripe_secret_key:
        raise ImportRefused(
            _(
                "%(account)s has no Stripe secret key: add it to the vendor's Stripe "
                "connection in the admin, then import."
            )
            % {"account": vendor.slug}
        )
    report = stripe_adapter_for(vendor=vendor).connection_check()
    if report.ok:
        return
    if report.code == "not_connected":
        raise ImportRefused(
            _(
                "Stripe refused %(account)s's secret key (revoked, mistyped or without read "
                "access): replace it in the vendor's Stripe connection, then import."
            )
            % {"account": vendor.slug}
        )
    if report.code in ("network", "unavailable"):
        raise ImportRefused(
            _(
                "Stripe could not be reached (%(code)s): check this server's network access "
                "to api.stripe.com and Stripe's status page, then import again."
            )
            % {"code": report.code}
        )
    raise ImportRefused(
        _("Stripe refused the connection check (%(code)s).") % {"code": report.code}
    )


Progress = Callable[[str, int], None]


def stripe_import_start(*, vendor: Vendor, since: datetime | None = None) -> StripeImport:
    """A new run, once the vendor's key is known to work (else ImportRefused
    and no row)."""
    stripe_import_check(vendor=vendor)
    return StripeImport.objects.create(vendor=vendor, since=since)


def stripe_import_run(*, run: StripeImport, progress: Progress | None = None) -> ImportReport:
    """Run (or resume) an import. Raises ImportInterrupted on a Stripe error
    or Ctrl-C, ImportRefused for a run that already finished (running it
    again would count its objects twice: start a new run instead)."""
    if run.status == StripeImport.Status.DONE:
        raise ImportRefused(
            _(
                "Import run %(run)s already finished. Start a new run: it changes only what "
                "changed at Stripe since."
            )
            % {"run": run.pk}
        )
    vendor = run.vendor
    adapter = stripe_adapter_for(vendor=vendor)
    report = ImportReport()
    for kind, counter in (run.counts or {}).items():
        if not kind.startswith("_"):
            report.counts[kind] = Counter(counter)
    report.merged_customers = dict((run.counts or {}).get("_merged_customers") or {})
    StripeImport.objects.filter(pk=run.pk).update(
        status=StripeImport.Status.RUNNING, started_at=run.started_at or timezone.now(), error=""
    )
    stages = STAGES[STAGES.index(run.stage) :] if run.stage in STAGES else STAGES
    cursor = run.counts.get("_cursor", "") if isinstance(run.counts, dict) else ""
    # Where a Ctrl-C leaves the run: as last saved (a page rolled back is
    # simply imported again on resume).
    saved: tuple[str, str, ImportReport] = (run.stage or STAGES[0], cursor, report.copy())
    try:
        for stage in stages:
            listers = {
                "customers": adapter.customer_list,
                "subscriptions": adapter.subscription_list,
                "invoices": adapter.invoice_list,
                "charges": adapter.charge_list,
            }
            while True:
                # What the finished pages counted: a page that fails is rolled
                # back, so its counts must not stay (a resume counts it again).
                before = report.copy()
                saved = (stage, cursor, before)
                try:
                    page = listers[stage](cursor=cursor, limit=PAGE_SIZE)
                    with transaction.atomic():
                        _IMPORTERS[stage](vendor, adapter, page.items, run.since, report)
                except ProcessorError as error:
                    _save(run, stage, cursor, before, StripeImport.Status.FAILED, error.message)
                    raise ImportInterrupted(run, error) from error
                cursor = page.next_cursor
                # Where a resume starts: this stage's next page, or (the
                # stage done) the next stage, so a finished stage never runs
                # (and counts) twice.
                following = STAGES[STAGES.index(stage) + 1 :]
                resume_at = stage if cursor or not following else following[0]
                _save(run, resume_at, cursor, report, StripeImport.Status.RUNNING, "")
                saved = (resume_at, cursor, report.copy())
                if progress:
                    progress(stage, len(page.items))
                if not cursor:
                    break
    except KeyboardInterrupt:
        stage, cursor, counted = saved
        _save(run, stage, cursor, counted, StripeImport.Status.INTERRUPTED, "Ctrl-C")
        raise ImportInterrupted(run, None) from None
    _save(run, "", "", report, StripeImport.Status.DONE, "")
    StripeImport.objects.filter(pk=run.pk).update(finished_at=timezone.now())
    return report


def _save(run, stage, cursor, report, status, error) -> None:
    counts: dict[str, Any] = report.as_dict()
    counts["_cursor"] = cursor
    counts["_merged_customers"] = report.merged_customers
    run.stage, run.counts, run.status, run.error = stage, counts, status, error
    run.processed = sum(sum(c.values()) for c in report.counts.values())
    StripeImport.objects.filter(pk=run.pk).update(
        stage=stage, counts=counts, status=status, error=error[:2000], processed=run.processed
    )


def _old(created: datetime | None, since: datetime | None) -> bool:
    return since is not None and created is not None and created < since


# --- per page --------------------------------------------------------------------------


def _customers(vendor, adapter, items, since, report) -> None:
    existing = {
        c.stripe_customer_id: c
        for c in Customer.objects.filter(
            vendor=vendor, stripe_customer_id__in=[i.id for i in items]
        )
    }
    for remote in items:
        if _old(remote.created, since) and remote.id not in existing:
            report.add("customers", "skipped")
            continue
        customer, outcome = stripe_customer_record(
            vendor=vendor, remote=remote, existing=existing.get(remote.id)
        )
        if outcome == MERGED:
            report.merged_customers[remote.id] = remote.email
        report.add("customers", outcome)


def _subscription_unchanged(ours: Subscription, remote: ProcessorSubscription) -> bool:
    card = remote.card
    return (
        ours.status == remote.status
        and ours.cancel_at_period_end == remote.cancel_at_period_end
        and ours.current_period_end == remote.current_period_end
        and ours.next_payment_at == remote.next_payment_at
        and ours.canceled_at == remote.canceled_at
        and ours.trial_end == remote.trial_end
        and (remote.amount is None or ours.amount == remote.amount)
        and (not card or not card.last4 or ours.card_last4 == card.last4)
    )


def _subscriptions(vendor, adapter, items, since, report) -> None:
    existing = {
        s.processor_id: s
        for s in Subscription.objects.filter(
            vendor=vendor, processor=STRIPE, processor_id__in=[i.id for i in items]
        )
    }
    for remote in items:
        ours = existing.get(remote.id)
        if ours is not None and _subscription_unchanged(ours, remote):
            report.add("subscriptions", UNCHANGED)
            continue
        if ours is None and _old(remote.created, since):
            report.add("subscriptions", "skipped")
            continue
        _, outcome = stripe_subscription_record(vendor=vendor, adapter=adapter, remote=remote)
        report.add("subscriptions", outcome)


def _invoices(vendor, adapter, items, since, report) -> None:
    references = [i.charge_id or i.id for i in items]
    existing = set(
        Payment.objects.filter(
            vendor=vendor, processor=STRIPE, processor_ref__in=references
        ).values_list("processor_ref", flat=True)
    )
    for remote in items:
        if (remote.charge_id or remote.id) in existing:
            report.add("invoices", UNCHANGED)
            continue
        attempted = remote.status in ("open", "uncollectible") and remote.charge_id
        if not (remote.status == "paid" or attempted) or _old(remote.created, since):
            # Drafts, voided invoices and open ones never charged are not
            # history worth a row; a later payment arrives by webhook.
            report.add("invoices", "skipped")
            continue
        # A failed renewal (an open invoice whose charge failed) is recorded
        # as a failed payment, so a past-due customer's hub shows it and the
        # way to pay; stripe_invoice_record reads its charge for the reason.
        effects = Effects()
        payment, outcome = stripe_invoice_record(
            vendor=vendor,
            adapter=adapter,
            remote=remote,
            historical=True,
            fetch_charge=False,
            effects=effects,
        )
        report.add("invoices", outcome if payment is not None else "skipped")
        report.refunds_add(len(effects.refunds))


def _charges(vendor, adapter, items, since, report) -> None:
    payments = {
        p.processor_ref: p
        for p in Payment.objects.filter(
            vendor=vendor, processor=STRIPE, processor_ref__in=[i.id for i in items]
        )
    }
    for charge in items:
        payment = payments.get(charge.id)
        if payment is not None:
            if charge.amount_refunded == payment.amount_refunded:
                report.add("charges", UNCHANGED)
                continue
            full = adapter.charge_get(charge_id=charge.id)  # with every refund
            new = stripe_refunds_record(payment=payment, charge=full)
            report.add("charges", UPDATED if new else UNCHANGED)
            report.refunds_add(new)
            continue
        if charge.status != "succeeded" or _old(charge.created, since):
            # Failed attempts are recorded through their invoices.
            report.add("charges", "skipped")
            continue
        if adapter.invoice_id_for_payment_intent(payment_intent_id=charge.payment_intent_id):
            # It paid an invoice that the invoices stage skipped (a charge no
            # longer names its invoice: its payment intent's InvoicePayment
            # does). Invoices recorded there are found above by charge id,
            # so this read is made only for charges we have no row for.
            report.add("charges", "skipped")
            continue
        if charge.amount_refunded:
            charge = adapter.charge_get(charge_id=charge.id)
        effects = Effects()
        _, outcome = stripe_charge_record(
            vendor=vendor, adapter=adapter, charge=charge, historical=True, effects=effects
        )
        report.add("charges", outcome)
        report.refunds_add(len(effects.refunds))


_IMPORTERS = {
    "customers": _customers,
    "subscriptions": _subscriptions,
    "invoices": _invoices,
    "charges": _charges,
}
