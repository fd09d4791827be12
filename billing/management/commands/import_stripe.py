"""manage.py import_stripe <account> [--since YYYY-MM-DD] [--resume RUN_ID]

Brings a vendor's existing Stripe account into the hub (billing.processors.stripe_import).
A progress bar on a terminal, plain lines otherwise (logs, CI); a summary of
what was created, updated and skipped at the end. Safe to run again.
"""

from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from billing.models import StripeImport
from billing.processors.adapters.base import ProcessorError
from billing.processors.stripe_import import (
    ImportInterrupted,
    ImportRefused,
    stripe_import_run,
    stripe_import_start,
)
from vendors.models import Vendor


class Command(BaseCommand):
    help = "Import a vendor's Stripe customers, subscriptions, invoices, charges and refunds."

    def add_arguments(self, parser):
        parser.add_argument("account", help="The vendor's account (slug).")
        parser.add_argument(
            "--since", help="Only objects created on or after this date (YYYY-MM-DD, UTC)."
        )
        parser.add_argument(
            "--resume", type=int, help="Continue an interrupted run (its id) where it stopped."
        )

    def handle(self, *args, account: str, since: str | None, resume: int | None, **options):
        vendor = Vendor.objects.filter(slug=account).first()
        if vendor is None:
            raise CommandError(f"No vendor with the account {account!r}.")
        if resume:
            run = StripeImport.objects.filter(pk=resume, vendor=vendor).first()
            if run is None:
                raise CommandError(f"No import run {resume} for {account}.")
        else:
            try:
                run = stripe_import_start(vendor=vendor, since=_date(since))
            except ImportRefused as refused:
                raise CommandError(str(refused)) from None
        terminal = self.stdout.isatty()
        bar = tqdm(unit=" objects", file=self.stdout._out, disable=not terminal)

        def progress(stage: str, count: int) -> None:
            if terminal:
                bar.set_description(stage)
                bar.update(count)
            else:
                self.stdout.write(f"{stage}: {count} more")

        resume_with = f"manage.py import_stripe {account} --resume {run.pk}"
        try:
            report = stripe_import_run(run=run, progress=progress)
        except ImportInterrupted as interrupted:
            bar.close()
            if interrupted.error is None:  # Ctrl-C: one line, no traceback
                raise CommandError(
                    f"Import run {run.pk} interrupted; what was imported so far is kept. "
                    f"Resume with: {resume_with}"
                ) from None
            raise CommandError(
                f"Stripe failed during {interrupted.run.stage} "
                f"({interrupted.error.code or 'error'}): {interrupted.error.message} "
                f"What was imported so far is complete and consistent. Resume with: "
                f"{resume_with}"
            ) from None
        except ImportRefused as refused:
            bar.close()
            raise CommandError(str(refused)) from None
        except ProcessorError as error:
            bar.close()
            raise CommandError(f"{error.message} ({error.code})") from None
        bar.close()
        self.stdout.write(report.summary())
        self.stdout.write(f"{report.changes} changes.")


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise CommandError("--since takes a date as YYYY-MM-DD.") from None
