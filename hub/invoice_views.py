"""One invoice of the signed-in customer: the page, its PDF and its
e-invoice XML (and the same downloads for its credit notes)."""

from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from billing.documents.credit_notes import (
    credit_note_get,
    credit_note_pdf_ensure,
    credit_note_pdf_filename,
)
from billing.documents.einvoice import (
    credit_note_xml,
    credit_note_xml_filename,
    einvoice_exists,
    invoice_xml,
    invoice_xml_filename,
)
from billing.documents.invoices import (
    invoice_get,
    invoice_logo_url,
    invoice_pdf_filename,
    invoice_pdf_open,
    invoice_shows_quantities,
)
from magiclinks.sessions import CustomerRequest, customer_required


@require_safe
@customer_required
def invoice(request: CustomerRequest, account: str, number: str) -> HttpResponse:
    invoice = invoice_get(customer=request.customer, number=number)
    context = {
        "invoice": invoice,
        "payment": invoice.payment,
        "logo_url": invoice_logo_url(invoice),
        "show_quantities": invoice_shows_quantities(invoice),
        "pdf_filename": invoice_pdf_filename(invoice),
        # Its credit notes are in the invoice's currency: the same answer.
        "einvoice": einvoice_exists(currency=invoice.currency),
    }
    return render(request, "hub/invoice.html", context)


@require_safe
@customer_required
def invoice_pdf(request: CustomerRequest, account: str, number: str) -> FileResponse:
    """The stored PDF; rendered and stored first if this is its first download."""
    invoice = invoice_get(customer=request.customer, number=number)
    response = FileResponse(
        invoice_pdf_open(invoice=invoice),
        as_attachment=True,
        filename=invoice_pdf_filename(invoice),
        content_type="application/pdf",
    )
    # A customer's invoice: no shared cache may keep it.
    response["Cache-Control"] = "private, no-store"
    return response


@require_safe
@customer_required
def credit_note_pdf(request: CustomerRequest, account: str, number: str) -> FileResponse:
    """A refund's credit note as a PDF, rendered once and kept like invoices."""
    credit_note = credit_note_pdf_ensure(
        credit_note=credit_note_get(customer=request.customer, number=number)
    )
    response = FileResponse(
        credit_note.pdf.storage.open(str(credit_note.pdf.name), "rb"),
        as_attachment=True,
        filename=credit_note_pdf_filename(credit_note),
        content_type="application/pdf",
    )
    response["Cache-Control"] = "private, no-store"
    return response


def _xml_response(xml: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(xml, content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # A customer's invoice: no shared cache may keep it.
    response["Cache-Control"] = "private, no-store"
    return response


@require_safe
@customer_required
def invoice_xml_download(request: CustomerRequest, account: str, number: str) -> HttpResponse:
    """The invoice as an EN 16931 e-invoice (the XML its PDF embeds), for
    accounting software that reads the XML alone. Built from the snapshot
    on each download: a few milliseconds, nothing to store. Not found for
    a currency that has no e-invoice (billing.documents.einvoice)."""
    invoice = invoice_get(customer=request.customer, number=number)
    if not einvoice_exists(currency=invoice.currency):
        raise Http404("This invoice has no e-invoice.")
    return _xml_response(invoice_xml(invoice), invoice_xml_filename(invoice))


@require_safe
@customer_required
def credit_note_xml_download(request: CustomerRequest, account: str, number: str) -> HttpResponse:
    """A credit note as an EN 16931 e-invoice (type 381)."""
    credit_note = credit_note_get(customer=request.customer, number=number)
    if not einvoice_exists(currency=credit_note.currency):
        raise Http404("This credit note has no e-invoice.")
    return _xml_response(credit_note_xml(credit_note), credit_note_xml_filename(credit_note))
