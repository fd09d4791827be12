"""Email in a vendor's name: one function renders a subject / text / HTML
template triplet and sends it.

Templates live at emails/<name>_subject.txt, emails/<name>_body.txt and
emails/<name>_body.html; the HTML ones extend emails/base.html, which carries
the vendor's name and brand colour. Every email has both parts, is written in
the recipient's language (decided by the caller when the mail is built: see
`language`), and carries no remote images (no tracking pixels).
"""

from email.mime.image import MIMEImage
from email.utils import formataddr, parseaddr
from smtplib import SMTPException

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from .formatting import language_pick
from .languages import with_language
from .models import Vendor
from .retries import DATABASE_ERRORS, DURABLE_TASK_OPTIONS

# Options of every Celery task that sends mail. An SMTP server that is down
# (or refuses us for a while) must not lose a sign-in link or a notice: the
# task retries with exponential backoff, 1 s doubling to 2,048 s, then hourly:
# 24 retries over about 13 hours (4,095 s + 12 x 3,600 s). No jitter, so the
# schedule is what this says. Retries due later than the broker can hold a
# message wait in the database (vendors.retries); a database error is
# retried like a mail server that is down.
MAIL_TASK_OPTIONS: dict = {
    **DURABLE_TASK_OPTIONS,
    "autoretry_for": (SMTPException, OSError, *DATABASE_ERRORS),
    "retry_backoff": True,
    "retry_backoff_max": 60 * 60,
    "retry_jitter": False,
    "max_retries": 24,
}


def mail_send(
    *,
    vendor: Vendor,
    to: str,
    template: str,
    context: dict | None = None,
    language: str = "",
) -> None:
    """Render `emails/<template>_*` for `vendor` and send it to `to` (see
    mail_message, which builds it)."""
    mail_message(vendor=vendor, to=to, template=template, context=context, language=language).send()


def mail_message(
    *,
    vendor: Vendor,
    to: str,
    template: str,
    context: dict | None = None,
    language: str = "",
    attachments: tuple[tuple[str, bytes, str], ...] = (),
) -> EmailMultiAlternatives:
    """Render `emails/<template>_*` for `vendor`, addressed to `to`, unsent:
    the caller sends it alone (mail_send) or with others over one SMTP
    connection (billing.documents.receipts). `attachments` are (file name,
    bytes, MIME type).

    `language` is the recipient's (for a customer: `Customer.mail_language`,
    their stored choice, else the language of the page they asked from, else
    the vendor's), restricted to the vendor's languages; the vendor's own
    when not given. Text, dates, money and the message's Content-Language all
    follow it, and our links in the email (`*_url` values under SITE_URL)
    carry it, so the page the link opens speaks it too.

    The From name is the vendor's; the address stays ours (DEFAULT_FROM_EMAIL)
    so that SPF/DKIM keep passing, and replies go to the vendor's support
    address when they have one.
    """
    language = language_pick(vendor, language)
    logo = _logo_bytes(vendor)
    context = {
        "vendor": vendor,
        "site_url": settings.SITE_URL,
        "logo_cid": LOGO_CID if logo else "",
        # Every footer's "Cancel contracts here" (§ 312k BGB), in the email's
        # language like the email's other links (below).
        "cancel_url": f"{settings.SITE_URL}{vendor.hub_path}cancel/",
        "subscriptions_url": f"{settings.SITE_URL}{vendor.hub_path}subscriptions/",
        **(context or {}),
    }
    for key, value in list(context.items()):
        if (
            key.endswith("_url")
            and isinstance(value, str)
            and value.startswith(settings.SITE_URL + "/")
        ):
            context[key] = with_language(value, language)
    context["LANGUAGE_CODE"] = language
    with translation.override(language):
        # Django's list of right-to-left languages (LANGUAGES_BIDI), which
        # knows any code of LANGUAGES, unlike get_language_info's table.
        context["LANGUAGE_BIDI"] = translation.get_language_bidi()
        subject = render_to_string(f"emails/{template}_subject.txt", context)
        body = render_to_string(f"emails/{template}_body.txt", context)
        # The same footer under every plain-text body (the HTML part's is
        # in emails/base.html): the public cancellation page, § 312k BGB.
        footer = render_to_string("emails/_footer.txt", context)
        text = body.rstrip("\n") + "\n\n" + footer if footer.strip() else body
        html = render_to_string(f"emails/{template}_body.html", context)
    # A header line must not carry a line break.
    subject_line = " ".join(subject.split())
    _, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    message = EmailMultiAlternatives(
        subject=subject_line,
        body=text,
        from_email=formataddr((vendor.name, address)),
        to=[to],
        reply_to=[vendor.support_email] if vendor.support_email else None,
        headers={"Auto-Submitted": "auto-generated", "Content-Language": language},
    )
    message.attach_alternative(html, "text/html")
    if logo:
        # The logo travels inside the message (cid:), not as a remote image:
        # nothing is fetched when the email is opened, so nothing reports it.
        image = MIMEImage(logo)
        image.add_header("Content-ID", f"<{LOGO_CID}>")
        image.add_header("Content-Disposition", "inline", filename="logo")
        message.mixed_subtype = "related"  # type: ignore[attr-defined]
        message.attach(image)
    for filename, content, mimetype in attachments:
        message.attach(filename, content, mimetype)
    return message


LOGO_CID = "vendor-logo"
LOGO_MAX_BYTES = 200 * 1024


def _logo_bytes(vendor: Vendor) -> bytes:
    """The vendor's logo for inline use, or b"" (none, unreadable or too big
    for an email)."""
    if not vendor.logo:
        return b""
    try:
        with vendor.logo.open("rb") as handle:
            data = handle.read(LOGO_MAX_BYTES + 1)
    except (OSError, ValueError):
        return b""
    return data if len(data) <= LOGO_MAX_BYTES else b""
