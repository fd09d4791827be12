"""Reading a PDF's document-level facts in tests: poppler's pdfinfo for what
it reports (page size, tagging, title), and the catalog's /Lang, which
pdfinfo does not show, from the (deflated) object streams."""

import re
import shutil
import subprocess
import tempfile
import zlib
from pathlib import Path

import pytest

from tests.conftest import require


def pdf_text(pdf: bytes) -> str:
    """pdftotext's layout text of the document, CLDR's no-break and narrow
    no-break spaces as plain ones (formatted money and dates use them)."""
    require(bool(shutil.which("pdftotext")), "pdftotext (Debian poppler-utils)")
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    return text.replace("\u00a0", " ").replace("\u202f", " ")


def pdf_info(pdf: bytes) -> dict[str, str]:
    """pdfinfo's fields ("Page size", "Tagged", "Title", ...) for the document."""
    require(bool(shutil.which("pdfinfo")), "pdfinfo (Debian poppler-utils)")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "document.pdf"
        path.write_bytes(pdf)
        output = subprocess.run(
            ["pdfinfo", str(path)], capture_output=True, text=True, check=True
        ).stdout
    fields = {}
    for line in output.splitlines():
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return fields


def pdf_catalog(pdf: bytes) -> str:
    """The document catalog's dictionary as text. WeasyPrint writes it inside
    a compressed object stream, so every Flate stream is inflated first.

    Each stream is read up to `endstream` whole and inflated with a
    decompressor that ignores what follows its end: stripping an end-of-line
    before `endstream` cut the data whenever its last byte was a carriage
    return (one PDF in 256), and the catalog went unseen. The dictionary is
    read to its balanced `>>`, not to the first `>>` followed by a newline
    (the last object of a stream has none)."""
    chunks = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        try:
            chunks.append(zlib.decompressobj().decompress(match.group(1)))
        except zlib.error:
            continue  # not Flate (an image, say): no catalog in there
    for chunk in chunks:
        found = re.search(rb"<<\s*/Type\s*/Catalog", chunk)
        if found:
            depth, at = 0, found.start()
            while at < len(chunk):
                pair = chunk[at : at + 2]
                if pair == b"<<":
                    depth, at = depth + 1, at + 2
                elif pair == b">>":
                    depth, at = depth - 1, at + 2
                    if depth == 0:
                        return chunk[found.start() : at].decode("latin-1")
                else:
                    at += 1
    pytest.fail("no document catalog found in the PDF")
