"""The test helper that reads a PDF's document catalog (the language checks
use it) must see it in every PDF WeasyPrint can write: CI once failed a
Spanish invoice whose compressed object stream happened to end in a carriage
return, and the helper cut that byte off."""

import zlib

from tests.support.pdf import pdf_catalog

CATALOG = b"<< /Type /Catalog /Pages 2 0 R /MarkInfo << /Marked true >> /Lang (es) >>"


def pdf_with_object_stream(data: bytes) -> bytes:
    packed = zlib.compress(data)
    return (
        (
            b"%%PDF-1.7\n5 0 obj\n<</Type /ObjStm /Filter /FlateDecode /Length %d>>\nstream\n"
            % len(packed)
        )
        + packed
        + b"\nendstream\nendobj\n%%EOF\n"
    )


def test_it_reads_a_stream_whose_data_ends_in_a_carriage_return():
    for pad in range(5000):
        data = b"1 0 " + CATALOG + b" " + b"x" * pad
        if zlib.compress(data).endswith(b"\r"):
            break
    else:  # pragma: no cover - zlib always gets there within a few hundred
        raise AssertionError("no padding made the stream end in a carriage return")
    assert pdf_catalog(pdf_with_object_stream(data)) == CATALOG.decode()


def test_it_reads_the_catalog_to_its_own_end_when_it_is_the_streams_last_object():
    assert pdf_catalog(pdf_with_object_stream(b"1 0 " + CATALOG)) == CATALOG.decode()
