"""Invoice PDFs: WeasyPrint, fed only with our own files.

An invoice is rendered from data that customers and vendors typed (names,
addresses, product names). HTML escaping keeps markup out, but a PDF renderer
that follows URLs would still be a server-side request forgery waiting to
happen: a `url()` or `<img src>` pointing at the cloud metadata service, at an
internal admin, or at `file:///etc/passwd`. So WeasyPrint gets a fetcher that
refuses every URL except two private schemes the invoice template uses:

- `hub-static:<path>` — one of our own static files, read from disk through the
  staticfiles finders (or the collected STATIC_ROOT), never over HTTP;
- `hub-media:<name>` — a file in Django's default storage, and only the names
  the caller allowed (the seller's logo recorded in the invoice snapshot).

`data:` URLs are allowed: they carry their bytes inline and reach nothing.
`file:` is refused outright, even inside our own folders: the two schemes
above already reach every file the invoice needs, and refusing the whole
scheme leaves no path-traversal or symlink question to get right.
"""

import base64
import mimetypes
from collections.abc import Iterable

import pydyf
import weasyprint
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.utils import translation

from billing.models import CreditNote, Invoice
from vendors.formatting import language_pick, vendor_language

from .einvoice import XML_FILENAME, credit_note_xml, einvoice_exists, invoice_xml
from .facturx import facturx_xmp
from .invoices import invoice_shows_quantities

STATIC_SCHEME = "hub-static:"
MEDIA_SCHEME = "hub-media:"
DATA_SCHEME = "data:"

# Where US Letter, not A4, is the paper in the printer.
LETTER_COUNTRIES = frozenset({"US", "CA"})

# Tagged PDF/UA-1: a structure tree (headings, tables, reading order) that
# screen readers follow, the title shown instead of the file name, and the
# document's language (from <html lang>, the vendor's language). Measured on
# the 2-core dev machine, outside the test suite: first render in a process
# ~95 ms and warm ~49 ms, untagged and tagged alike. Documents that are not
# invoices (rights.documents) keep it.
PDF_OPTIONS = {"pdf_variant": "pdf/ua-1"}

# Invoices and credit notes are PDF/A-3a: archivable (fonts embedded, sRGB
# output intent), allowed to carry the e-invoice XML (Factur-X / ZUGFeRD need
# PDF/A-3), and tagged as PDF/UA-1 asks ("a" is PDF/A's tagged level: the
# same structure tree, title and language). WeasyPrint writes one variant's
# identification, so the PDF/UA-1 one comes with the Factur-X XMP
# (billing.documents.facturx). Measured in fresh processes on the shared
# 2-core machine under load (CPU time, median of 3): first render after the
# warm-up 166 ms as PDF/UA-1, 182 ms as the e-invoice; warm 109 ms and 114
# ms; building the XML takes 2-4 ms of it.
EINVOICE_PDF_OPTIONS = {"pdf_variant": "pdf/a-3a"}


def paper_size(vendor) -> str:
    """The CSS page size for the vendor's PDFs: its country's paper."""
    return "letter" if (getattr(vendor, "country", "") or "") in LETTER_COUNTRIES else "A4"


class RefusedURL(ValueError):
    """A URL the invoice renderer will not fetch."""


def _clean_name(name: str) -> str:
    """A relative storage or static name without traversal, else RefusedURL."""
    name = name.lstrip("/")
    parts = name.split("/")
    if not name or any(part in ("", ".", "..") for part in parts) or "\\" in name:
        raise RefusedURL(f"not a clean file name: {name!r}")
    return name


def _response(url: str, body: bytes, name: str) -> weasyprint.urls.URLFetcherResponse:
    mime_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return weasyprint.urls.URLFetcherResponse(url, body, {"Content-Type": mime_type})


def static_bytes(name: str) -> bytes:
    """One of our static files, read from disk (finders first, then STATIC_ROOT)."""
    name = _clean_name(name)
    try:
        path = finders.find(name)
    except SuspiciousFileOperation as error:
        raise RefusedURL(str(error)) from error
    if path:
        with open(path, "rb") as handle:
            return handle.read()
    try:
        with staticfiles_storage.open(name, "rb") as handle:
            return handle.read()
    except (OSError, SuspiciousFileOperation) as error:
        raise RefusedURL(f"no such static file: {name!r}") from error


class InvoiceURLFetcher(weasyprint.urls.URLFetcher):
    """WeasyPrint's fetcher, narrowed to our static files, the allowed stored
    media names and inline data: everything else raises before any I/O."""

    def __init__(self, *, media_names: Iterable[str] = (), **kwargs):
        super().__init__(allow_redirects=False, **kwargs)
        self.media_names = {_clean_name(n) for n in media_names if n}

    def fetch(self, url: str, headers=None):
        if url.startswith(DATA_SCHEME):
            # The stock data: handler decodes the URL itself; no I/O happens.
            return super().fetch(url, headers)
        if url.startswith(STATIC_SCHEME):
            name = url.removeprefix(STATIC_SCHEME)
            return _response(url, static_bytes(name), name)
        if url.startswith(MEDIA_SCHEME):
            name = _clean_name(url.removeprefix(MEDIA_SCHEME))
            if name not in self.media_names:
                raise RefusedURL(f"media file not allowed for this document: {name!r}")
            try:
                with default_storage.open(name, "rb") as handle:
                    return _response(url, handle.read(), name)
            except OSError as error:
                raise RefusedURL(f"no such stored file: {name!r}") from error
        raise RefusedURL(f"the invoice renderer fetches no such URL: {url[:80]!r}")


# The fonts the PDFs ask for, in order. DejaVu draws Latin, Greek and
# Cyrillic as our pages always have; the Noto families (Debian fonts-noto-core
# and fonts-noto-cjk, installed by the Dockerfile and .ci/run) draw what
# DejaVu lacks, so a buyer named in Chinese, Japanese, Korean, Arabic or
# Hebrew is printed as text, not as empty boxes. Pango picks, per character,
# the first family that has it; a family that is not installed is skipped.
# Unquoted family names (valid CSS identifiers), so that the template's
# autoescaping has nothing to change inside the <style> element.
PDF_FONT_STACK = ", ".join(
    [
        "DejaVu Sans",
        "Noto Sans",
        "Noto Sans CJK JP",
        "Noto Sans CJK SC",
        "Noto Sans CJK KR",
        "Noto Sans Arabic",
        "Noto Sans Hebrew",
        "sans-serif",
    ]
)


def document_language(*, vendor, customer_id: int | None, customer=None) -> str:
    """The language of an invoice or credit note: the vendor's, or the
    customer's when the vendor issues documents in its customers' languages
    (`Vendor.document_language`). Only the words, dates, amounts' notation
    and country names follow it: the number and the amounts are the
    document's, whatever the language."""
    if vendor.document_language == vendor.DocumentLanguage.CUSTOMER and customer_id:
        return language_pick(vendor, customer.language)
    return vendor_language(vendor)


def invoice_pdf_html(*, invoice: Invoice) -> str:
    """The HTML WeasyPrint lays out, in the document's language; WeasyPrint
    takes the PDF's /Lang from <html lang>."""
    vendor = invoice.vendor
    language = document_language(
        vendor=vendor,
        customer_id=invoice.customer_id,
        customer=invoice.customer if invoice.customer_id else None,
    )
    with translation.override(language):
        return render_to_string(
            "billing/invoice_pdf.html",
            {
                "invoice": invoice,
                "vendor": vendor,
                "payment": invoice.payment,
                "show_quantities": invoice_shows_quantities(invoice),
                "paper_size": paper_size(vendor),
                "logo_url": f"{MEDIA_SCHEME}{invoice.seller['logo']}"
                if invoice.seller.get("logo")
                else "",
                "stylesheet_url": f"{STATIC_SCHEME}invoice.css",
                "pdf_font_stack": PDF_FONT_STACK,
                # PDF/UA wants every image described (WeasyPrint logs an error
                # for an empty alt); on the HTML page the logo stays decorative,
                # the seller's name standing next to it.
                "for_pdf": True,
            },
        )


def _write_pdf(html: str, fetcher: InvoiceURLFetcher, *, xml: bytes | None, issued_at) -> bytes:
    """The PDF/A-3 with the e-invoice XML embedded as Factur-X wants it: the
    file factur-x.xml (text/xml), related to the document as its
    "Alternative" (the XML is the same invoice, not supporting data: what
    ZUGFeRD asks for the EN 16931 profile), and the fx: XMP metadata.

    The attachment's dates are the document's issue date, so the same
    invoice renders to the same attachment whenever it is rendered.

    Without XML (a currency EN 16931 cannot state, billing.documents.einvoice
    .einvoice_exists) the document is a tagged PDF/UA-1 and claims nothing
    about Factur-X."""
    document = weasyprint.HTML(string=html, url_fetcher=fetcher, base_url=None).render()
    if xml is None:
        return document.write_pdf(**PDF_OPTIONS)
    document.metadata.xmp_metadata = [facturx_xmp()]
    attachment = weasyprint.Attachment(
        # A data: URL carries the MIME type Factur-X asks for (text/xml);
        # the file name alone would give application/xml.
        url="data:text/xml;base64," + base64.b64encode(xml).decode(),
        url_fetcher=fetcher,
        name=XML_FILENAME,
        description="Factur-X / ZUGFeRD e-invoice (EN 16931)",
        relationship="Alternative",
        created=issued_at,
        modified=issued_at,
    )
    return document.write_pdf(
        attachments=[attachment], finisher=_one_associated_file, **EINVOICE_PDF_OPTIONS
    )


def _one_associated_file(document, pdf) -> None:
    """WeasyPrint (70) lists the attachment twice in the catalog's /AF, once
    from the embedded files' names and once as a file specification; the
    document has one associated file, and validators count entries."""
    if "AF" in pdf.catalog:
        pdf.catalog["AF"] = pydyf.Array(dict.fromkeys(pdf.catalog["AF"]))


def pdf_render(*, invoice: Invoice) -> bytes:
    """Render the invoice as a tagged PDF/A-3 e-invoice (bytes) on the
    seller's paper (A4, or US Letter in the US and Canada). Storing it is the
    caller's job (billing.documents.invoices.invoice_pdf_ensure)."""
    html = invoice_pdf_html(invoice=invoice)
    fetcher = InvoiceURLFetcher(media_names=[invoice.seller.get("logo", "")])
    xml = invoice_xml(invoice) if einvoice_exists(currency=invoice.currency) else None
    return _write_pdf(html, fetcher, xml=xml, issued_at=invoice.issued_at)


def pdf_warm_up() -> None:
    """Render a made-up invoice with the real template, once per process.

    WeasyPrint's first document in a process loads Pango, the fonts, the
    stylesheets and its layout code: the import alone is over half a second,
    and the first real invoice still took twice a warm one after a one-line
    warm-up document. Web and worker processes call this when they start
    (hub/gunicorn_conf.py, hub.celery), so no customer's download pays for it.
    Nothing is read from or written to the database or storage.
    """
    from datetime import UTC, datetime
    from decimal import Decimal

    from billing.models import Order, Payment
    from vendors.models import Vendor

    vendor = Vendor(slug="warm-up", name="Warm-up", address="1 Road\nTown", locale="en")
    order = Order(vendor=vendor, number="WARM-1", product="Plan", amount=Decimal("12.50"))
    payment = Payment(
        vendor=vendor,
        order=order,
        amount=Decimal("12.50"),
        currency="USD",
        status=Payment.Status.PAID,
    )
    invoice = Invoice(
        vendor=vendor,
        payment=payment,
        number="WARM-000001",
        issued_at=datetime(2026, 1, 1, tzinfo=UTC),
        seller={"name": "Warm-up", "address": "1 Road\nTown", "support_email": "", "logo": ""},
        buyer={"name": "Customer", "email": "customer@example.com", "address": ["Town"]},
        lines=[{"description": "Plan", "quantity": 1, "unit_amount": "12.50", "amount": "12.50"}],
        subtotal=Decimal("12.50"),
        total=Decimal("12.50"),
        currency="USD",
        paid_via="Visa •••• 4242",
    )
    # The whole path, the e-invoice XML and its embedding included.
    _write_pdf(
        invoice_pdf_html(invoice=invoice),
        InvoiceURLFetcher(),
        xml=invoice_xml(invoice),
        issued_at=invoice.issued_at,
    )


def credit_note_pdf_html(*, credit_note: CreditNote) -> str:
    """The credit note's HTML WeasyPrint lays out, in the document language
    the vendor chose (its own or the customer's)."""
    vendor = credit_note.vendor
    logo = credit_note.seller.get("logo") or ""
    language = document_language(
        vendor=vendor,
        customer_id=credit_note.customer_id,
        customer=credit_note.customer if credit_note.customer_id else None,
    )
    with translation.override(language):
        return render_to_string(
            "billing/credit_note_pdf.html",
            {
                "credit_note": credit_note,
                "vendor": vendor,
                "logo_url": f"{MEDIA_SCHEME}{logo}" if logo else "",
                "stylesheet_url": f"{STATIC_SCHEME}invoice.css",
                "paper_size": paper_size(vendor),
                "pdf_font_stack": PDF_FONT_STACK,
                "for_pdf": True,
            },
        )


def credit_note_pdf_render(*, credit_note: CreditNote) -> bytes:
    """A credit note as a tagged PDF/A-3 e-invoice (bytes) on the seller's
    paper, with the same fetcher rules."""
    html = credit_note_pdf_html(credit_note=credit_note)
    logo = credit_note.seller.get("logo") or ""
    fetcher = InvoiceURLFetcher(media_names=[logo])
    xml = credit_note_xml(credit_note) if einvoice_exists(currency=credit_note.currency) else None
    return _write_pdf(html, fetcher, xml=xml, issued_at=credit_note.issued_at)
