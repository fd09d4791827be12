"""A new vendor and its first owner, and the one-time link with which the
owner sets their password (nobody ever types a password for someone else).

The link is Django's password-reset token with its own salt and a 24-hour
limit: it is signed with SECRET_KEY over the user's password hash and last
login, so it stops working as soon as it has been used (the password
changes), and is never stored anywhere.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.contrib.auth.views import PasswordResetConfirmView
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse, reverse_lazy
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode
from django.utils.translation import gettext as _

from .models import Vendor, VendorMembership, slug_format_validator, validate_slug_not_reserved

OWNER_LINK_MAX_AGE = 24 * 60 * 60


class OwnerLinkTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "customer-hub.vendors.owner-link"

    def check_token(self, user, token) -> bool:
        if not super().check_token(user, token):
            return False
        try:
            issued = base36_to_int(str(token).split("-", 1)[0])
        except ValueError:
            return False
        return self._num_seconds(self._now()) - issued <= OWNER_LINK_MAX_AGE


owner_link_tokens = OwnerLinkTokenGenerator()


def vendor_slug_check(slug: str) -> None:
    """Raise ValidationError with a message for a person when `slug` cannot
    be a new account: malformed, reserved, or taken."""
    slug_format_validator(slug)
    validate_slug_not_reserved(slug)
    if Vendor.objects.filter(slug=slug).exists():
        raise ValidationError(_("The account “%(slug)s” is already taken."), params={"slug": slug})


def owner_link_url(*, user) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = owner_link_tokens.make_token(user)
    return settings.SITE_URL + reverse(
        "vendor_owner_password", kwargs={"uidb64": uid, "token": token}
    )


def vendor_create_with_owner(*, slug: str, name: str, owner_email: str):
    """Create the vendor and make `owner_email` its owner (a new staff user
    without a usable password, or the existing user of that email).
    Returns (vendor, user, link): the link is None for a user who already
    has a password."""
    vendor_slug_check(slug)
    User = get_user_model()
    email = owner_email.strip().lower()
    with transaction.atomic():
        vendor = Vendor(slug=slug, name=name)
        vendor.full_clean()
        vendor.save()
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = User(username=email, email=email, is_staff=True)
            user.set_unusable_password()
            user.save()
        elif not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        VendorMembership.objects.create(user=user, vendor=vendor, role=VendorMembership.Role.OWNER)
    link = None if user.has_usable_password() else owner_link_url(user=user)
    return vendor, user, link


class OwnerPasswordView(PasswordResetConfirmView):
    """Set the password from the one-time link (Django's reset flow, with
    our token; the token leaves the URL at once for a session-held one)."""

    token_generator = owner_link_tokens
    success_url = reverse_lazy("admin:login")
    template_name = "registration/password_reset_confirm.html"
