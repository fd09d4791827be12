"""The demo's mailbox: DevMailBackend keeps every message as an .eml file
under DEV_MAIL_DIR, and /_dev/mail/ shows them, with DEBUG on only."""

import base64

import pytest
from django.core.mail import EmailMultiAlternatives, get_connection


@pytest.fixture
def dev_mail(settings, tmp_path):
    settings.DEBUG = True
    settings.EMAIL_BACKEND = "hub.devmail.DevMailBackend"
    settings.DEV_MAIL_DIR = tmp_path / "mail"
    return settings.DEV_MAIL_DIR


def send(subject="Your access link", to="alex@example.com"):
    message = EmailMultiAlternatives(
        subject=subject,
        body="Open http://testserver/demo/updateinfo/access/tok/ to sign in.",
        to=[to],
        connection=get_connection(),
    )
    message.attach_alternative(
        '<p><a href="/demo/updateinfo/access/tok/">Sign in</a></p>', "text/html"
    )
    message.send()


def test_the_backend_writes_one_eml_file_per_message(dev_mail, capsys):
    send()
    send(subject="Second")
    files = sorted(dev_mail.glob("*.eml"))
    assert len(files) == 2
    assert "Subject: Your access link" in files[0].read_text() + files[1].read_text()
    assert "Your access link" in capsys.readouterr().out  # and prints it, like the console


def test_the_mailbox_lists_the_messages(client, dev_mail):
    send()
    send(subject="Receipt for your order", to="blair@example.com")
    response = client.get("/_dev/mail/")
    assert response.status_code == 200
    assert "Your access link" in response.text
    assert "Receipt for your order" in response.text
    assert "blair@example.com" in response.text


def test_the_mailbox_is_empty_before_any_mail(client, dev_mail):
    response = client.get("/_dev/mail/")
    assert response.status_code == 200
    assert "No mail yet" in response.text


def test_a_message_shows_its_html_and_its_text(client, dev_mail):
    send()
    (path,) = dev_mail.glob("*.eml")
    response = client.get(f"/_dev/mail/{path.stem}/")
    assert response.status_code == 200
    assert '<a href="/demo/updateinfo/access/tok/">Sign in</a>' in response.text
    # The email's inline styles apply in the preview; scripts still may not run.
    csp = response["Content-Security-Policy"]
    assert "style-src 'unsafe-inline'" in csp and "default-src 'none'" in csp
    assert "script-src" not in csp
    text = client.get(f"/_dev/mail/{path.stem}/?part=text")
    assert text["Content-Type"].startswith("text/plain")
    assert "http://testserver/demo/updateinfo/access/tok/" in text.text


def test_an_unknown_message_is_a_404(client, dev_mail):
    send()
    assert client.get("/_dev/mail/nothing-here/").status_code == 404
    assert client.get("/_dev/mail/..%2F..%2Fsettings/").status_code == 404


def test_the_mailbox_is_a_404_with_debug_off(client, dev_mail, settings):
    send()
    (path,) = dev_mail.glob("*.eml")
    settings.DEBUG = False
    assert client.get("/_dev/mail/").status_code == 404
    assert client.get(f"/_dev/mail/{path.stem}/").status_code == 404


def test_the_vendors_logo_shows_in_the_preview(client, dev_mail, vendor):
    # Mail carries the logo inline (cid:), which no browser resolves: the
    # preview turns it into a data: URL, which its CSP allows.
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.factories import CustomerFactory
    from vendors.mail import mail_send

    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    )
    vendor.logo = SimpleUploadedFile("logo.png", png, content_type="image/png")
    vendor.save()
    customer = CustomerFactory(vendor=vendor)
    mail_send(
        vendor=vendor,
        to=customer.email,
        template="profile_link",
        context={"customer": customer, "link_url": "http://testserver/x/"},
    )
    (path,) = dev_mail.glob("*.eml")
    html = client.get(f"/_dev/mail/{path.stem}/").text
    assert "cid:" not in html
    assert "data:image/png;base64," in html


def test_the_demo_prints_a_message_as_a_person_reads_it(client, dev_mail, vendor, capsys):
    """Issue 21: no raw MIME and no base64 logo in the terminal; the text,
    who sent it, and where to see it."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.factories import CustomerFactory
    from vendors.mail import mail_send

    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
    )
    vendor.logo = SimpleUploadedFile("logo.png", png, content_type="image/png")
    vendor.save()
    customer = CustomerFactory(vendor=vendor)
    mail_send(
        vendor=vendor,
        to=customer.email,
        template="profile_link",
        context={"customer": customer, "link_url": "http://testserver/x/"},
    )
    printed = capsys.readouterr().out
    (path,) = dev_mail.glob("*.eml")
    assert "http://testserver/x/" in printed and f"To:      {customer.email}" in printed
    assert "Northwind Courses" in printed
    assert f"/_dev/mail/{path.stem}/" in printed and "all mail: " in printed
    for raw in ("Content-Type:", "Content-Transfer-Encoding", "MIME-Version", "iVBORw0KGgo"):
        assert raw not in printed


def test_the_mailbox_names_each_messages_vendor_and_links_back(client, dev_mail, vendor):
    from tests.factories import CustomerFactory
    from vendors.mail import mail_send

    customer = CustomerFactory(vendor=vendor)
    mail_send(
        vendor=vendor,
        to=customer.email,
        template="profile_link",
        context={"customer": customer, "link_url": "http://testserver/x/"},
    )
    listing = client.get("/_dev/mail/").text
    assert "<td>Northwind Courses</td>" in listing
    (path,) = dev_mail.glob("*.eml")
    for part in ("", "?part=text"):
        page = client.get(f"/_dev/mail/{path.stem}/{part}").text
        assert "/_dev/mail/" in page and "Northwind Courses" in page
    assert '<a href="/_dev/mail/">← All mail</a>' in client.get(f"/_dev/mail/{path.stem}/").text
