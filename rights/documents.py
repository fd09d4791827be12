"""The cancellation confirmation as a PDF the customer keeps (a durable
medium), rendered with the invoices' WeasyPrint setup: the same fetcher that
refuses every URL but our own static files, the same fonts, tagged PDF/UA."""

import weasyprint
from django.template.loader import render_to_string
from django.utils import translation

from billing.documents.pdf import PDF_FONT_STACK, PDF_OPTIONS, InvoiceURLFetcher, paper_size

from .models import CancellationDeclaration


def declaration_pdf_render(*, declaration: CancellationDeclaration, language: str) -> bytes:
    vendor = declaration.vendor
    with translation.override(language):
        html = render_to_string(
            "rights/confirmation_pdf.html",
            {
                "declaration": declaration,
                "vendor": vendor,
                "paper_size": paper_size(vendor),
                "pdf_font_stack": PDF_FONT_STACK,
            },
        )
    document = weasyprint.HTML(string=html, url_fetcher=InvoiceURLFetcher(), base_url=None)
    return document.write_pdf(**PDF_OPTIONS)


def declaration_pdf_filename(declaration: CancellationDeclaration) -> str:
    return f"cancellation-{declaration.created_at:%Y-%m-%d-%H%M%S}.pdf"
