"""Issue 23's "no page, email or PDF mixes languages": in each of German,
French and Spanish, every hub page (signed out and signed in, for every demo
customer), every email (subject, text, HTML) and every invoice and credit
note (the HTML WeasyPrint lays out, and the PDF's /Lang) speaks that
language only:

- no English sentence of ours: the catalog says which English texts have a
  different translation (msgstr != msgid); none of those, of a length that
  cannot be a coincidence (12 characters or two words), may be seen;
- no English month name (one the language does not share: German has
  "April" too) and no amount written the English way ("$1,234.56": all
  three write a decimal comma);
- no English country name where the language names the country otherwise.

A message whose translation is still empty (or fuzzy) in the catalog, or
that the source has and the catalog lacks (a fresh extraction, as `make
messages` runs it, says which), is not translated yet: the failure names
those apart ("not translated yet"), with the pages that show them, so that
what the catalog lacks and what the code gets wrong read differently.
The checks themselves are tested against a page that mixes on purpose
(test_the_checks_find_english_in_a_german_page).
"""

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.pofile import read_po
from django.apps import apps
from django.conf import settings
from django.core import mail
from django.test import Client

from billing.documents.pdf import (
    credit_note_pdf_html,
    credit_note_pdf_render,
    invoice_pdf_html,
    pdf_render,
)
from billing.models import CreditNote, Customer, Invoice
from tests.browser.hub_pages import page_paths
from tests.conftest import sign_in
from tests.hub.test_pseudo_locale import DEMO_EMAILS, email_names, emails_triggered
from tests.magiclinks.fixtures import _rate_limits_isolated  # noqa: F401
from tests.support.catalogs import data_strings, visible_text
from tests.support.pdf import pdf_catalog
from vendors.models import Vendor

LANGUAGES = ["de", "fr", "es"]
# The emailed access link with its language (`?lang=`).
EMAILED_LINK = re.compile(
    r"https?://[^/\s]+(/[a-z0-9-]+/updateinfo/access/[\w-]{40,}/(\?lang=[\w-]+)?)"
)
LOCALE = Path(settings.BASE_DIR) / "locale"

_PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdifr]|%[sdif]|\{\w*\}|<[^>]+>|%%")


def _long_enough(text: str) -> bool:
    return len(text) >= 12 or len(text.split()) >= 2 and len(text) >= 8


@dataclass
class Catalog:
    """The English texts a page in `language` must not show: each literal
    piece of a msgid translated otherwise; and those not translated yet."""

    language: str
    english: dict[str, str] = field(default_factory=dict)  # piece -> msgid
    untranslated: set[str] = field(default_factory=set)  # msgids


def _read(path: Path):
    with path.open("rb") as handle:
        return read_po(handle)


@cache
def catalog(language: str, fresh: Path | None = None) -> Catalog:
    """The catalog of `language`; with `fresh` (a locale dir `make messages`
    has just updated), the messages the source has and the catalog lacks
    count as not translated yet: the page shows them in English too."""
    po = _read(LOCALE / language / "LC_MESSAGES" / "django.po")
    if fresh is not None:
        for message in _read(fresh / language / "LC_MESSAGES" / "django.po"):
            if message.id and (message.id, message.context) not in {
                (m.id, m.context) for m in [po.get(message.id, message.context)] if m
            }:
                message.string = "" if isinstance(message.id, str) else ("",) * len(message.id)
                po[message.id] = message
    found = Catalog(language)
    translations = []
    for message in po:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple | list) else (message.id,)
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        missing = not any(strings) or message.fuzzy
        translations += [s for s in strings if s and not message.fuzzy]
        for msgid in ids:
            if missing:
                found.untranslated.add(msgid)
            elif msgid in strings:
                continue  # the same word in both ("Status" in German)
            for piece in _PLACEHOLDER.split(msgid):
                piece = " ".join(piece.split()).strip(" .,:;·()")
                if _long_enough(piece):
                    found.english.setdefault(piece, msgid)
    # An English piece that a translation holds ("E-Mail" aside, names of
    # things kept in English: "PayPal", "Stripe") is no sign of English.
    for piece in list(found.english):
        if any(piece in text for text in translations):
            del found.english[piece]
    return found


@cache
def month_names(language: str) -> re.Pattern:
    """English month names, wide and abbreviated, the language does not share."""

    def names(locale: str) -> set[str]:
        months = Locale.parse(locale).months
        return {
            name.rstrip(".")
            for context in ("format", "stand-alone")
            for width in ("wide", "abbreviated")
            for name in months[context][width].values()
        }

    english = names("en") - {name.capitalize() for name in names(language)} - names(language)
    return re.compile(r"\b(" + "|".join(sorted(english, key=len, reverse=True)) + r")\b\.? \d")


# An amount as English writes it: a decimal point before two digits, next to
# a currency sign or code ("$1,234.56", "EUR 12.00", "12.00 €").
ENGLISH_MONEY = re.compile(
    r"([$€£]|\b[A-Z]{3})\s?\d{1,3}(,\d{3})*\.\d{2}\b|\b\d{1,3}(,\d{3})*\.\d{2}\s?([$€£]|[A-Z]{3}\b)"
)


LINKS = re.compile(r"\bhttps?://\S+|(?<!\w)/[\w./?=&%-]+")


@cache
def country_names(language: str, codes: frozenset[str]) -> dict[str, str]:
    """English names of the countries the data holds, where `language` says otherwise."""
    english, own = Locale("en").territories, Locale.parse(language).territories
    return {english[c]: c for c in codes if c in english and english[c] != own.get(c)}


class Findings:
    def __init__(
        self, language: str, data: list[str], countries: frozenset[str], fresh: Path | None = None
    ) -> None:
        self.language = language
        self.catalog = catalog(language, fresh)
        self.months = month_names(language)
        self.countries = country_names(language, countries)
        # The rows' own words (product names, addresses) are the vendor's or
        # the customer's: an English product name is not ours to translate.
        self.data = sorted(data, key=len, reverse=True)
        self.found: dict[str, list[str]] = {}
        self.untranslated: dict[str, list[str]] = {}

    def check(self, name: str, text: str) -> None:
        text = " ".join(text.split())
        text = LINKS.sub(" ", text)  # "/subscriptions/" in a link is no English
        for value in self.data:
            if len(value) >= 4:
                text = text.replace(value, " ")
        wrong, pending = [], []
        for piece, msgid in self.catalog.english.items():
            if piece in text:
                (pending if msgid in self.catalog.untranslated else wrong).append(
                    f"English {piece!r}"
                )
        wrong += [f"English date {m.group(0)!r}" for m in self.months.finditer(text)]
        wrong += [
            f"English amount {m.group(0)!r}"
            for m in ENGLISH_MONEY.finditer(text)
            # CLDR's Spanish of the United States (es_US, the demo vendor's
            # region) writes dollars as English does: "$215.42".
            if not (self.language == "es" and m.group(0).startswith("$"))
        ]
        wrong += [
            f"English country name {english!r}"
            for english in self.countries
            if re.search(rf"\b{re.escape(english)}\b", text)
        ]
        if wrong:
            self.found[name] = wrong
        if pending:
            self.untranslated[name] = pending

    def page(self, name: str, response) -> None:
        assert response.status_code < 500, (name, response.status_code)
        markup = response.content.decode()
        if "text/html" in response.get("Content-Type", ""):
            declared = re.search(r'<html lang="([^"]+)"', markup)
            assert declared and declared.group(1) == self.language, (name, declared)
        self.check(name, visible_text(markup))

    def report(self) -> str:
        lines = [f"{name}: {found}" for name, found in self.found.items()]
        if self.untranslated:
            lines.append(
                f"-- not translated yet in locale/{self.language} (empty, fuzzy or missing):"
            )
            where: dict[str, list[str]] = {}
            for name, pieces in self.untranslated.items():
                for piece in pieces:
                    where.setdefault(piece, []).append(name)
            for piece, names in where.items():
                lines.append(f"{piece} in {len(names)} page(s)/email(s), e.g. {names[:3]}")
        return "\n".join(lines)


@pytest.fixture
def demo(transactional_db, settings, stripe_api, paypal_api):
    from io import StringIO

    from django.core.management import call_command

    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    settings.DEBUG = False


def data() -> list[str]:
    models = [m for m in apps.get_models() if m._meta.app_label in ("vendors", "billing")]
    # Our fallback product names are ours, not data: test_fallback_product_names
    # checks they are shown in the page's language.
    return [value for value in data_strings(models) if value not in ("Purchase", "Subscription")]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.django_db(transaction=True)
def test_no_page_email_or_document_mixes_languages(
    demo,
    settings,
    language,
    extracted,
    _rate_limits_isolated,  # noqa: F811
):
    # Every demo vendor offers the language and issues documents in the
    # customer's; every customer chose it. The vendors speak it too: their
    # staff's notices and a declaration made without a page language (the
    # public pages' emails below) are in the vendor's language.
    Vendor.objects.update(
        languages=["en", "de", "fr", "es"],
        document_language=Vendor.DocumentLanguage.CUSTOMER,
        locale=language,
    )
    Customer.objects.update(language=language)
    countries = frozenset(c for c in Customer.objects.values_list("country", flat=True) if c)
    findings = Findings(language, data(), countries, fresh=extracted)
    mail.outbox.clear()

    signed_out(findings, language)
    for account, email in DEMO_EMAILS:
        customer = Customer.objects.get(vendor__slug=account, email=email)
        client = Client()
        sign_in(client, customer)
        for path in page_paths(customer):
            findings.page(f"{account} {email} {path}", client.get(path, follow=True))
    emails_triggered()
    sent = set()
    for message in mail.outbox:
        name = f"email to {message.to[0]}: {message.subject[:40]}"
        assert message.extra_headers.get("Content-Language") == language, name
        html = next(body for body, kind in message.alternatives if kind == "text/html")
        findings.check(name + " (subject)", message.subject)
        findings.check(name + " (text)", message.body)
        findings.check(name + " (html)", visible_text(html))
        sent.add(message.subject)
    assert len(sent) >= len(email_names()) - 1, sent  # every kind of email went out

    invoices = Invoice.objects.select_related("vendor", "payment")
    notes = CreditNote.objects.select_related("vendor")
    assert invoices and notes
    for invoice in invoices:
        findings.check(f"invoice {invoice.number}", visible_text(invoice_pdf_html(invoice=invoice)))
    for note in notes:
        findings.check(
            f"credit note {note.number}", visible_text(credit_note_pdf_html(credit_note=note))
        )
    # The PDF declares the language it is written in.
    assert f"/Lang ({language})" in pdf_catalog(pdf_render(invoice=invoices[0]))
    assert f"/Lang ({language})" in pdf_catalog(credit_note_pdf_render(credit_note=notes[0]))

    assert not findings.found and not findings.untranslated, findings.report()
    # The same checks see the English page for what it is.
    english = Findings(language, data(), countries)
    english_page = Client().get("/demo/updateinfo/?lang=en").content.decode()
    english.check("English access form", visible_text(english_page))
    assert len(english.found["English access form"]) >= 3


def signed_out(findings: Findings, language: str) -> None:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    hub = "/demo/updateinfo/"
    findings.page("access form", client.get(hub))
    findings.page("access form, bad email", client.post(f"{hub}access/", {"email": "no"}))
    findings.page(
        "check email", client.post(f"{hub}access/", {"email": "alex@example.com"}, follow=True)
    )
    findings.page("code form", client.get(f"{hub}access/code/"))
    findings.page("code form, wrong code", client.post(f"{hub}access/code/", {"code": "000000"}))
    link = EMAILED_LINK.search(mail.outbox[-1].body).group(1)
    other = Client(HTTP_ACCEPT_LANGUAGE="en")  # the link carries the language
    findings.page("continue", other.get(link))
    findings.page("unknown page of a hub", client.get(f"{hub}nothing-here/"))
    for account in ("demo", "acme"):
        for page in ("cancel", "withdraw"):
            response = client.get(f"/{account}/updateinfo/{page}/")
            if response.status_code != 404:  # a vendor may turn the page off
                findings.page(f"{account} public {page} page", response)
    findings.page(
        "acme access form", Client(HTTP_ACCEPT_LANGUAGE=language).get("/acme/updateinfo/")
    )


def test_the_checks_find_english_in_a_german_page():
    findings = Findings("de", ["Northwind Courses"], frozenset({"DE", "US"}))
    findings.check("good", "Northwind Courses · 7. Dezember 2026 · 1.234,56 € · Deutschland")
    findings.check(
        "mixed",
        "Purchase history · Paid on Dec 7, 2026 · $1,234.56 · 12.00 EUR · Germany · 7. April 2026",
    )
    assert "good" not in findings.found
    found = findings.found["mixed"]
    assert "English date 'Dec 7'" in found
    assert "English amount '$1,234.56'" in found
    assert "English amount '12.00 EUR'" in found
    assert "English country name 'Germany'" in found
    assert not any("April" in item for item in found)  # German says April too
    assert any(
        "Purchase history" in item for item in found + findings.untranslated.get("mixed", [])
    )
