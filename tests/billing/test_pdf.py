"""The invoice PDF: its text, its speed, and a renderer that fetches nothing
but our own static files and the seller's stored logo."""

import http.server
import logging
import shutil
import subprocess
import threading
from decimal import Decimal

import pytest
import weasyprint
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from billing.documents.invoices import invoice_issue
from billing.documents.pdf import InvoiceURLFetcher, RefusedURL, pdf_render
from tests.factories import OrderFactory, PaymentFactory

PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d4944415478da63f8cfc0f01f0005000201a0b6a6f50000000049454e44ae426082"
)


def pdf_text(pdf: bytes, tmp_path) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    path = tmp_path / "invoice.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.fixture
def invoice(vendor, alice):
    alice.address_line1 = "7 Elm Row"
    alice.city = "Leeds"
    alice.save()
    order = OrderFactory(customer=alice, product="Watercolour Course", amount=Decimal("49.00"))
    return PaymentFactory(order=order).invoice


def test_it_prints_seller_number_buyer_lines_and_total(invoice, tmp_path):
    pdf = pdf_render(invoice=invoice)
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf, tmp_path)
    for expected in [
        "Northwind Courses",
        "help@nw.example",
        "1 Test Street",
        invoice.number,
        "Alice Adams",
        "alice@example.com",
        "7 Elm Row",
        "Watercolour Course",
        "$49.00",
        "Total",
        "Visa •••• 4242",
    ]:
        assert expected in text, expected


def test_it_prints_the_snapshot_not_the_live_vendor_and_customer(invoice, vendor, alice, tmp_path):
    vendor.name = "Renamed Ltd"
    vendor.save()
    alice.name = "Alice Renamed"
    alice.save()
    invoice.refresh_from_db()
    text = pdf_text(pdf_render(invoice=invoice), tmp_path)
    assert "Northwind Courses" in text and "Renamed Ltd" not in text
    assert "Alice Adams" in text and "Alice Renamed" not in text


def test_it_shows_tax_and_subtotal_when_present(alice, tmp_path):
    payment = PaymentFactory(
        order=OrderFactory(customer=alice, amount=Decimal("120.00")), invoice=False
    )
    invoice = invoice_issue(payment=payment, tax_label="VAT 20%", tax_amount=Decimal("20.00"))
    text = pdf_text(pdf_render(invoice=invoice), tmp_path)
    assert "Subtotal" in text and "$100.00" in text
    assert "VAT 20%" in text and "$20.00" in text
    assert "$120.00" in text


def test_it_formats_money_in_the_vendors_locale(acme_alice, tmp_path):
    order = OrderFactory(customer=acme_alice, product="Acme Sync Lizenz", amount=Decimal("1234.50"))
    invoice = PaymentFactory(order=order).invoice
    text = pdf_text(pdf_render(invoice=invoice), tmp_path)
    assert "1.234,50 €" in text  # acme is German (pdftotext turns the no-break space into a space)
    assert "Alice at Acme" in text


def test_it_embeds_the_sellers_stored_logo(vendor, alice, caplog):
    vendor.logo.save("northwind.png", ContentFile(PNG_1PX))
    invoice = PaymentFactory(order=OrderFactory(customer=alice)).invoice
    assert invoice.seller["logo"] == vendor.logo.name
    without_logo = PaymentFactory(order=OrderFactory(customer=alice)).invoice
    without_logo.seller["logo"] = ""
    # The image is inside the PDF: an /Image XObject only when the logo is there.
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        pdf = pdf_render(invoice=invoice)
    assert b"/Image" in pdf
    # Described, as PDF/UA asks of every image (an empty alt is an error there).
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert b"/Image" not in pdf_render(invoice=without_logo)


# --- the URL fetcher ----------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:1/",
        "https://example.com/logo.png",
        "http://169.254.169.254/latest/meta-data/",
        "HTTP://example.com/",
        "ftp://example.com/x.css",
        "file:///etc/passwd",
        "//example.com/logo.png",
        "hub-static:../hub/settings.py",
        "hub-static:/etc/passwd",
        "hub-static:",
        "hub-media:../../etc/passwd",
        "gopher://example.com/",
    ],
)
def test_the_fetcher_refuses_anything_but_our_files(url):
    with pytest.raises(RefusedURL):
        InvoiceURLFetcher().fetch(url)


def test_the_fetcher_refuses_file_urls_even_inside_our_static_and_media(settings):
    from django.contrib.staticfiles import finders

    static_path = finders.find("invoice.css")
    assert static_path
    name = default_storage.save("logos/x.png", ContentFile(PNG_1PX))
    media_path = default_storage.path(name)
    fetcher = InvoiceURLFetcher(media_names=[name])
    for path in (static_path, media_path):
        with pytest.raises(RefusedURL):
            fetcher.fetch(f"file://{path}")


def test_the_fetcher_reads_our_static_files_from_disk():
    response = InvoiceURLFetcher().fetch("hub-static:invoice.css")
    assert b".invoice" in response.read()
    assert response.content_type == "text/css"


def test_the_fetcher_reads_only_the_allowed_stored_files():
    allowed = default_storage.save("logos/allowed.png", ContentFile(PNG_1PX))
    other = default_storage.save("logos/other-vendor.png", ContentFile(PNG_1PX))
    fetcher = InvoiceURLFetcher(media_names=[allowed])
    assert fetcher.fetch(f"hub-media:{allowed}").read() == PNG_1PX
    with pytest.raises(RefusedURL):
        fetcher.fetch(f"hub-media:{other}")


def test_the_fetcher_allows_data_urls():
    response = InvoiceURLFetcher().fetch("data:text/css;base64,Ym9keXtjb2xvcjpyZWR9")
    assert response.read() == b"body{color:red}"


class _Recorder(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):
        type(self).hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()
        self.wfile.write(PNG_1PX)

    def log_message(self, *args):
        pass


def test_a_document_pointing_elsewhere_makes_no_request():
    """End to end through WeasyPrint: markup and CSS that point at a server
    (the kind of URL an injected invoice field would carry) reach nothing."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Recorder.hits = []
    base = f"http://127.0.0.1:{server.server_address[1]}"
    html = f"""<html><head><link rel="stylesheet" href="{base}/style.css">
        <style>@import url("{base}/import.css"); body {{ background: url("{base}/bg.png") }}</style>
        </head><body><img src="{base}/logo.png"><img src="file:///etc/hostname">
        <img src="data:image/png;base64,iVBORw0KGgo="></body></html>"""
    try:
        pdf = weasyprint.HTML(string=html, url_fetcher=InvoiceURLFetcher()).write_pdf()
    finally:
        server.shutdown()
        server.server_close()
    assert pdf.startswith(b"%PDF-")
    assert _Recorder.hits == []


def test_typed_text_is_printed_as_text_not_markup(vendor, alice, tmp_path):
    vendor.name = 'Evil "Corp" <b>Bold</b> & Co'
    vendor.save()
    alice.name = "<img src='http://127.0.0.1:1/x.png'>Mallory"
    alice.save()
    invoice = PaymentFactory(order=OrderFactory(customer=alice)).invoice
    text = pdf_text(pdf_render(invoice=invoice), tmp_path)
    assert 'Evil "Corp" <b>Bold</b> & Co' in text
    assert "<img src='http://127.0.0.1:1/x.png'>Mallory" in text


def test_the_warm_up_lays_out_a_document_through_the_narrowed_fetcher(
    monkeypatch, db, django_assert_num_queries
):
    """Web and worker processes call it at start; it renders the real invoice
    template with made-up data, touching neither the database nor storage,
    and fetches nothing but our own stylesheet (and the e-invoice XML it
    embeds, inline as a data: URL)."""
    from billing.documents import pdf

    fetched = []
    original = pdf.InvoiceURLFetcher.fetch

    def spy(self, url, headers=None):
        fetched.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(pdf.InvoiceURLFetcher, "fetch", spy)
    with django_assert_num_queries(0):
        pdf.pdf_warm_up()
    stylesheet, xml = fetched
    assert stylesheet == "hub-static:invoice.css"
    assert xml.startswith("data:text/xml;base64,")


def test_gunicorn_warms_up_weasyprint_once_unless_told_not_to(monkeypatch):
    """One gunicorn configuration: the preloading master warms WeasyPrint
    before it forks; without preloading each worker does."""
    from types import SimpleNamespace

    from billing.documents import pdf
    from hub import gunicorn_conf

    calls = []
    monkeypatch.setattr(pdf, "pdf_warm_up", lambda: calls.append(1))
    preloaded = SimpleNamespace(cfg=SimpleNamespace(preload_app=True))
    gunicorn_conf.when_ready(preloaded)
    gunicorn_conf.post_worker_init(preloaded)
    assert calls == [1]
    gunicorn_conf.post_worker_init(SimpleNamespace(cfg=SimpleNamespace(preload_app=False)))
    assert calls == [1, 1]
    monkeypatch.setenv("PDF_WARM_UP", "0")
    gunicorn_conf.when_ready(preloaded)
    assert calls == [1, 1]
