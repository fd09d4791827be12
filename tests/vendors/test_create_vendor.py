"""manage.py create_vendor (issue 11, point 7): a vendor, its owner, and a
one-time 24-hour link for the owner to set a password."""

import io
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from vendors.models import Vendor, VendorMembership
from vendors.onboarding import owner_link_tokens


def create(*args) -> str:
    out = io.StringIO()
    call_command("create_vendor", *args, stdout=out)
    return out.getvalue()


def link_path(output: str) -> str:
    match = re.search(r"http://testserver(/admin/welcome/[^/\s]+/[^/\s]+/)", output)
    assert match, output
    return match.group(1)


def set_password(client: Client, path: str, password: str):
    form = client.get(path, follow=True)
    return client.post(
        form.redirect_chain[-1][0] if form.redirect_chain else path,
        {"new_password1": password, "new_password2": password},
    )


def test_it_creates_the_vendor_and_its_owner_and_prints_a_link(db):
    output = create("bookshop", "--name", "The Bookshop", "--owner-email", "Owen@Books.example")
    vendor = Vendor.objects.get(slug="bookshop")
    assert vendor.name == "The Bookshop"
    user = get_user_model().objects.get(email="owen@books.example")
    assert user.is_staff and not user.is_superuser and not user.has_usable_password()
    assert VendorMembership.objects.get(user=user, vendor=vendor).role == "owner"
    assert "valid 24 hours" in output

    client = Client()
    response = set_password(client, link_path(output), "a-long-Password-for-owen-42")
    assert response.status_code == 302
    assert Client().login(username="owen@books.example", password="a-long-Password-for-owen-42")


def test_the_link_works_once(db):
    path = link_path(create("bookshop", "--name", "B", "--owner-email", "owen@books.example"))
    set_password(Client(), path, "a-long-Password-for-owen-42")
    again = Client().get(path, follow=True)
    assert again.context["validlink"] is False


def test_the_link_expires_after_24_hours(db, monkeypatch):
    path = link_path(create("bookshop", "--name", "B", "--owner-email", "owen@books.example"))
    later = timezone.now().replace(tzinfo=None) + timedelta(hours=24, minutes=1)
    monkeypatch.setattr(owner_link_tokens, "_now", lambda: later)
    assert Client().get(path, follow=True).context["validlink"] is False


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("admin", "“admin” is reserved."),
        ("api", "“api” is reserved."),
        ("Bad_Slug", "Use 3 to 40 lowercase letters"),
        ("northwind", "The account “northwind” is already taken."),
    ],
)
def test_it_refuses_a_reserved_malformed_or_taken_account(vendor, slug, message):
    with pytest.raises(CommandError, match=message):
        create(slug, "--name", "X", "--owner-email", "x@example.com")
    assert Vendor.objects.count() == 1
    assert not get_user_model().objects.filter(email="x@example.com").exists()


def test_an_existing_user_becomes_owner_without_a_new_link(db, northwind_staff):
    output = create("second-shop", "--name", "Second", "--owner-email", northwind_staff.email)
    assert "already has a password" in output
    assert "/admin/welcome/" not in output
    membership = VendorMembership.objects.get(vendor__slug="second-shop")
    assert membership.user == northwind_staff and membership.role == "owner"
