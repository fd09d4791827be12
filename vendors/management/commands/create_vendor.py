"""manage.py create_vendor <account> --name "Shop" --owner-email owner@shop.example

Creates the vendor and its owner, and prints a one-time link (24 hours) for
the owner to set their password. Nothing else ever shows that link."""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from vendors.onboarding import OWNER_LINK_MAX_AGE, vendor_create_with_owner


class Command(BaseCommand):
    help = "Create a vendor and its owner; print the owner's one-time password link."

    def add_arguments(self, parser):
        parser.add_argument("account", help="the account slug: the hub lives at /<account>/")
        parser.add_argument("--name", required=True, help="the display name")
        parser.add_argument("--owner-email", required=True, help="the owner's email")

    def handle(self, *args, account: str, name: str, owner_email: str, **options):
        try:
            vendor, user, link = vendor_create_with_owner(
                slug=account, name=name, owner_email=owner_email
            )
        except ValidationError as exc:
            raise CommandError(" ".join(_messages(exc))) from None
        self.stdout.write(f"Created vendor “{vendor.name}” at {vendor.hub_url}")
        self.stdout.write(f"Owner: {user.get_username()}")
        if link:
            hours = OWNER_LINK_MAX_AGE // 3600
            self.stdout.write(f"One-time link to set the password (valid {hours} hours):")
            self.stdout.write(link)
        else:
            self.stdout.write("The owner already has a password: they sign in at /admin/.")


def _messages(exc: ValidationError) -> list[str]:
    if hasattr(exc, "error_dict"):
        return [f"{field}: {m}" for field, errors in exc.message_dict.items() for m in errors]
    return list(exc.messages)
