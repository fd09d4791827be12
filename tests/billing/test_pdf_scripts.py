"""Every script in a PDF: buyers named and addressed in Chinese, Japanese,
Korean, Arabic and Hebrew come out as text drawn with a font that has their
characters, never as WeasyPrint's empty .notdef boxes.

pdftotext alone cannot tell: a box still carries its character in the
PDF's text layer. WeasyPrint warns for every .notdef glyph it draws, so the
test holds the render to zero such warnings as well."""

import logging
import shutil
import subprocess
import unicodedata

import pytest
from django.utils import timezone

from billing.documents.pdf import credit_note_pdf_render, pdf_render
from billing.refunds import refund_record
from tests.billing.test_pdf import pdf_text
from tests.conftest import require
from tests.factories import CustomerFactory, OrderFactory, PaymentFactory

BUYERS = {
    "chinese": {"name": "王小明", "city": "北京市", "line1": "朝阳区建国路88号", "country": "CN"},
    "japanese": {"name": "山田太郎", "city": "千代田区", "line1": "千代田1-1", "country": "JP"},
    "korean": {"name": "김민준", "city": "서울특별시", "line1": "세종대로 110", "country": "KR"},
    "arabic": {"name": "محمد علي", "city": "الرياض", "line1": "طريق الملك فهد", "country": "SA"},
    "hebrew": {"name": "דוד כהן", "city": "תל אביב", "line1": "רחוב הרצל 1", "country": "IL"},
}


def noto_fonts_installed() -> bool:
    if not shutil.which("fc-list"):
        return False
    families = subprocess.run(
        ["fc-list", ":", "family"], capture_output=True, text=True, check=True
    ).stdout
    return all(
        family in families for family in ["Noto Sans CJK", "Noto Sans Arabic", "Noto Sans Hebrew"]
    )


def words(text: str) -> str:
    # pdftotext may hand Arabic back in presentation forms: compare the
    # compatibility-normalised letters, without the layout's spaces.
    return "".join(unicodedata.normalize("NFKC", text).split())


@pytest.fixture
def fonts():
    require(noto_fonts_installed(), "Noto fonts (Debian fonts-noto-cjk and fonts-noto-core)")


@pytest.mark.parametrize("script", sorted(BUYERS))
def test_every_script_is_printed_as_text(fonts, vendor, script, tmp_path, caplog):
    buyer = BUYERS[script]
    customer = CustomerFactory(
        vendor=vendor,
        email=f"{script}@example.com",
        name=buyer["name"],
        address_line1=buyer["line1"],
        city=buyer["city"],
        country=buyer["country"],
    )
    invoice = PaymentFactory(order=OrderFactory(customer=customer)).invoice
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        pdf = pdf_render(invoice=invoice)
    boxes = [r.getMessage() for r in caplog.records if ".notdef" in r.getMessage()]
    assert boxes == []
    text = words(pdf_text(pdf, tmp_path))
    for value in [buyer["name"], buyer["city"], buyer["line1"]]:
        # Word by word: a right-to-left line may come back in visual order.
        for word in value.split():
            assert words(word) in text, value


def test_a_credit_note_prints_every_script_too(fonts, vendor, tmp_path, caplog):
    customer = CustomerFactory(
        vendor=vendor, email="ja@example.com", name="山田太郎 محمد דוד 김민준", country="JP"
    )
    payment = PaymentFactory(order=OrderFactory(customer=customer))
    refund, _ = refund_record(
        payment=payment,
        amount=payment.amount,
        reason="",
        refunded_at=timezone.now(),
        processor_ref="re_scripts",
    )
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        pdf = credit_note_pdf_render(credit_note=refund.credit_note)
    assert [r for r in caplog.records if ".notdef" in r.getMessage()] == []
    assert words("山田太郎") in words(pdf_text(pdf, tmp_path))
