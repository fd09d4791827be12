"""vendors.mail: one function sends a subject/text/HTML triplet in a vendor's name."""

import ast
from pathlib import Path

from django.core import mail

from vendors import mail as vendor_mail
from vendors.branding import contrast_ratio
from vendors.mail import mail_send


def test_it_sends_both_parts_in_the_vendors_name(vendor, alice, settings):
    settings.DEFAULT_FROM_EMAIL = "Customer Hub <hub@mail.example>"
    mail_send(
        vendor=vendor,
        to=alice.email,
        template="access_link",
        context={"customer": alice, "link_url": "http://testserver/x/", "code": "123456"},
    )
    [message] = mail.outbox
    assert message.from_email == "Northwind Courses <hub@mail.example>"
    assert message.to == ["alice@example.com"]
    assert message.reply_to == ["help@nw.example"]
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    assert "\n" not in message.subject
    assert "123456" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "border-top:4px solid #1f5fbf" in html
    assert "<img" not in html


def test_it_leaves_out_reply_to_without_a_support_address(other_vendor, acme_alice):
    other_vendor.support_email = ""
    mail_send(
        vendor=other_vendor,
        to=acme_alice.email,
        template="profile_link",
        context={"customer": acme_alice, "link_url": "http://testserver/y/"},
    )
    [message] = mail.outbox
    assert message.reply_to == []
    assert message.from_email.startswith("Acme Software <")
    assert "Acme Software" in message.alternatives[0][0]


def test_it_imports_nothing_from_the_apps_above_vendors():
    tree = ast.parse(Path(vendor_mail.__file__).read_text())
    modules = {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)} | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert not {m for m in modules if m.split(".")[0] in {"billing", "magiclinks", "hub"}}


def test_a_pale_brand_colour_reads_in_the_email_too(vendor, alice):
    """Issue 28.2 in the emails: the link written in the brand colour and the
    header line use the shades derived for white (4.5:1 and 3:1), not a
    pale colour as it comes (1.81:1 on white)."""
    vendor.brand_color = "#f2b705"
    mail_send(
        vendor=vendor,
        to=alice.email,
        template="access_link",
        context={"customer": alice, "link_url": "http://testserver/x/", "code": "123456"},
    )
    html = mail.outbox[0].alternatives[0][0]
    ink, line = vendor.brand_ink_color, vendor.brand_line_color
    assert contrast_ratio(ink, "#ffffff") >= 4.5 and contrast_ratio(line, "#ffffff") >= 3
    assert f"border-top:4px solid {line}" in html
    assert f'style="color:{ink};word-break:break-all;"' in html
    assert "color:#f2b705" not in html and "solid #f2b705" not in html
