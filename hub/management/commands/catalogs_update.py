"""`make messages`: extract our strings into the catalogs of every
language of settings.LANGUAGES but English (the source), both domains, with
the options the staleness check uses (hub.catalogs.makemessages_args).
Needs GNU gettext (xgettext)."""

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from hub.catalogs import DOMAINS, makemessages_args, translated_languages


class Command(BaseCommand):
    help = "Update locale/<lang>/LC_MESSAGES/*.po from the source (makemessages)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--locale",
            action="append",
            dest="languages",
            help="A language to update (repeatable); default: every one of LANGUAGES but English",
        )

    def handle(self, *args, languages=None, **options) -> None:
        languages = languages or translated_languages(settings.LANGUAGES)
        for domain in DOMAINS:
            name, *arguments = makemessages_args(languages, domain)
            call_command(name, *arguments, verbosity=options["verbosity"])
