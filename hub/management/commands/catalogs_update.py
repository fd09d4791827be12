"""`make messages`: extract our strings into the catalogs of every
translated language, both domains, with the options the staleness check
uses (hub.catalogs.makemessages_args). Needs GNU gettext (xgettext)."""

from django.core.management import call_command
from django.core.management.base import BaseCommand

from hub.catalogs import DOMAINS, TRANSLATED, makemessages_args


class Command(BaseCommand):
    help = "Update locale/<lang>/LC_MESSAGES/*.po from the source (makemessages)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--locale",
            action="append",
            dest="languages",
            help="A language to update (repeatable); default: " + ", ".join(TRANSLATED),
        )

    def handle(self, *args, languages=None, **options) -> None:
        for domain in DOMAINS:
            name, *arguments = makemessages_args(languages or TRANSLATED, domain)
            call_command(name, *arguments, verbosity=options["verbosity"])
