"""A Stripe error in the middle of an import: whole pages stay, nothing is
half-written, and the run says where to resume."""

import io

import pytest
import requests
from django.core.management import CommandError, call_command

from billing.models import Payment, StripeImport
from billing.processors.stripe_import import (
    ImportInterrupted,
    stripe_import_run,
    stripe_import_start,
)
from tests.billing.test_import_stripe import AUTH, account_create


def fail_invoice_lists(base, *, after, count):
    requests.post(
        f"{base}/_test/fail_invoice_lists", data={"after": after, "count": count}, auth=AUTH,
        timeout=5,
    ).raise_for_status()  # fmt: skip


@pytest.fixture(autouse=True)
def _failures_cleared(localstripe):
    """localstripe lives for the whole run: failures a test armed and did not
    use up would break the invoice lists of whichever test comes next."""
    yield
    fail_invoice_lists(localstripe, after=0, count=0)


def test_a_stripe_error_midway_keeps_whole_pages_and_says_how_to_resume(stripe_vendor, localstripe):
    account_create(localstripe, renewals=250)
    # Stripe answers two pages of invoices, then fails (more than the SDK's
    # own retries).
    fail_invoice_lists(localstripe, after=2, count=10)

    run = stripe_import_start(vendor=stripe_vendor)
    with pytest.raises(ImportInterrupted):
        stripe_import_run(run=run)
    run.refresh_from_db()
    assert (run.status, run.stage) == ("failed", "invoices")
    assert run.counts["_cursor"].startswith("in_")
    assert run.error
    assert Payment.objects.count() == 200  # two whole pages, nothing half-written


def test_the_command_says_how_to_resume_and_resumes(stripe_vendor, localstripe):
    account_create(localstripe, renewals=150)
    fail_invoice_lists(localstripe, after=1, count=10)
    with pytest.raises(CommandError, match="--resume") as caught:
        call_command("import_stripe", "northwind", stdout=io.StringIO())
    assert "consistent" in str(caught.value)
    run = StripeImport.objects.get(vendor=stripe_vendor)
    assert f"--resume {run.pk}" in str(caught.value)
    assert Payment.objects.count() == 100

    fail_invoice_lists(localstripe, after=0, count=0)
    out = io.StringIO()
    call_command("import_stripe", "northwind", "--resume", str(run.pk), stdout=out)
    assert "invoices: 52 more" in out.getvalue()  # the rest, after page one
    assert "invoices: 152 created" in out.getvalue()  # the summary covers the whole run
    assert Payment.objects.count() == 152 + 1  # and Eli's one-time charge
    run.refresh_from_db()
    assert run.status == "done"


class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_on_a_terminal_it_draws_a_progress_bar(stripe_vendor, localstripe):
    account_create(localstripe, renewals=5)
    out = Terminal()
    call_command("import_stripe", "northwind", stdout=out)
    text = out.getvalue()
    assert "\r" in text and "objects" in text  # tqdm redraws its line
    assert " more" not in text  # no plain lines on a terminal
    assert "invoices: 7 created" in text
