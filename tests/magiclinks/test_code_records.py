"""What each wrong code leaves in the audit trail: the try's number at its
link, and whether the per-email cap had already been reached (issue 27:
survivors of mutation testing of magiclinks/services.py)."""

from django.test import Client

from billing.models import AuditEvent
from magiclinks.models import AccessLink

from .fixtures import code_of, last_email_to, request_access


def asked_code(client, vendor, email, capture) -> str:
    request_access(client, vendor, email, capture)
    return code_of(last_email_to(email))


def code_url(vendor) -> str:
    return f"{vendor.hub_path}access/code/"


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def failures():
    return list(
        AuditEvent.objects.filter(action="access.code_failed")
        .order_by("id")
        .values_list("customer__email", "details")
    )


def test_each_wrong_code_is_recorded_with_its_try_number(
    client, vendor, alice, django_capture_on_commit_callbacks
):
    code = asked_code(client, vendor, "alice@example.com", django_capture_on_commit_callbacks)
    for _ in range(3):
        client.post(code_url(vendor), {"code": wrong(code)}, REMOTE_ADDR="203.0.113.7")
    assert failures() == [("alice@example.com", {"attempt": n, "capped": False}) for n in (1, 2, 3)]
    assert AccessLink.objects.get().attempts == 3
    ips = AuditEvent.objects.filter(action="access.code_failed").values_list("ip", flat=True)
    assert set(ips) == {"203.0.113.7"}


def test_a_right_code_past_the_cap_is_refused_and_recorded_as_capped(
    client, vendor, alice, django_capture_on_commit_callbacks
):
    for _ in range(2):  # ten wrong codes within the hour: the per-email cap
        code = asked_code(client, vendor, "alice@example.com", django_capture_on_commit_callbacks)
        for _ in range(5):
            client.post(code_url(vendor), {"code": wrong(code)})
    assert [d["capped"] for _, d in failures()] == [False] * 10
    code = asked_code(client, vendor, "alice@example.com", django_capture_on_commit_callbacks)
    for _ in range(2):
        assert client.post(code_url(vendor), {"code": code}).status_code == 200
    assert failures()[-2:] == [
        ("alice@example.com", {"attempt": 1, "capped": True}),
        ("alice@example.com", {"attempt": 2, "capped": True}),
    ]
    # Each try counts at its link, capped or not.
    assert AccessLink.objects.order_by("-created_at").first().attempts == 2


def test_a_code_for_an_unknown_email_is_recorded_without_a_customer(
    vendor, alice, django_capture_on_commit_callbacks
):
    # Alice's own link, with the first id there is: no dummy may count at it.
    request_access(Client(), vendor, "alice@example.com", django_capture_on_commit_callbacks)
    AccessLink.objects.update(id=1)
    browser = Client()
    request_access(browser, vendor, "nobody@example.com", django_capture_on_commit_callbacks)
    browser.post(code_url(vendor), {"code": "123456"})
    assert failures() == [(None, {"attempt": None, "capped": False})]
    # Nothing of Alice's was counted.
    assert not AccessLink.objects.exclude(attempts=0).exists()


def test_a_wrong_code_counts_at_its_own_link_only(
    vendor, alice, bob, django_capture_on_commit_callbacks
):
    bobs = Client()
    asked_code(bobs, vendor, "bob@example.com", django_capture_on_commit_callbacks)
    code = asked_code(
        client := Client(), vendor, "alice@example.com", django_capture_on_commit_callbacks
    )
    client.post(code_url(vendor), {"code": wrong(code)})
    assert dict(AccessLink.objects.values_list("customer__email", "attempts")) == {
        "alice@example.com": 1,
        "bob@example.com": 0,
    }
