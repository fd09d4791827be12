"""The API key service itself (issue 27), with more than one key and more
than one vendor in the database: revoking one key stops that key only, the
limit is enforced by the service (under a lock), malformed keys fail alike."""

import hashlib
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from vendors.api_keys import api_key_authenticate, api_key_create, api_key_revoke
from vendors.models import API_KEYS_PER_VENDOR, ApiKey


def test_revoking_a_key_stops_that_key_only(vendor, other_vendor, frozen_clock):
    first, first_raw = api_key_create(vendor=vendor, name="Website")
    second, second_raw = api_key_create(vendor=vendor, name="App")
    theirs, theirs_raw = api_key_create(vendor=other_vendor, name="Acme site")
    revoked_at = frozen_clock.now
    api_key_revoke(api_key=first)
    assert api_key_authenticate(raw=first_raw) is None
    assert api_key_authenticate(raw=second_raw) == second
    assert api_key_authenticate(raw=theirs_raw) == theirs
    assert dict(ApiKey.objects.values_list("name", "revoked_at")) == {
        "Website": revoked_at,
        "App": None,
        "Acme site": None,
    }
    # Revoking again keeps the first date: the row is the record.
    frozen_clock.advance(days=1)
    api_key_revoke(api_key=first)
    assert ApiKey.objects.get(pk=first.pk).revoked_at == revoked_at


def test_the_service_refuses_a_key_over_the_limit(vendor, other_vendor):
    for n in range(API_KEYS_PER_VENDOR):
        api_key_create(vendor=vendor, name=f"Key {n}")
    api_key_create(vendor=other_vendor, name="Theirs do not count")
    with pytest.raises(ValidationError) as refused:
        api_key_create(vendor=vendor, name="One too many")
    assert refused.value.code == "too_many_keys"
    assert refused.value.messages == [
        f"A vendor can have at most {API_KEYS_PER_VENDOR} API keys: revoke one first."
    ]
    assert vendor.api_keys.count() == API_KEYS_PER_VENDOR
    api_key_revoke(api_key=vendor.api_keys.first())
    key, _ = api_key_create(vendor=vendor, name="Replacement")
    assert key.vendor == vendor


def test_two_owners_saving_at_once_cannot_pass_the_limit(postgres, transactional_db, vendor):
    for n in range(API_KEYS_PER_VENDOR - 1):
        api_key_create(vendor=vendor, name=f"Key {n}")
    first_holds_the_lock = threading.Event()
    release = threading.Event()
    outcome: dict = {}

    def first_owner():
        try:
            with transaction.atomic():
                api_key_create(vendor=vendor, name="First")
                first_holds_the_lock.set()
                release.wait(timeout=10)
        finally:
            connection.close()

    def second_owner():
        try:
            api_key_create(vendor=vendor, name="Second")
            outcome["second"] = "created"
        except ValidationError:
            outcome["second"] = "refused"
        finally:
            connection.close()

    first = threading.Thread(target=first_owner)
    first.start()
    assert first_holds_the_lock.wait(timeout=10)
    second = threading.Thread(target=second_owner)
    second.start()
    # The second owner waits on the vendor row; without the lock it would
    # count the keys now, not see the first owner's, and create a sixth.
    second.join(timeout=1)
    release.set()
    first.join(timeout=10)
    second.join(timeout=10)
    assert outcome == {"second": "refused"}
    assert vendor.api_keys.count() == API_KEYS_PER_VENDOR


@pytest.mark.parametrize(
    "shape",
    [
        "{prefix}_{secret}",  # no marker
        "hub_{prefix}_",  # no secret
        "hub_{prefix}x_{secret}",  # prefix one too long
        "hub_{short}_{secret}",  # prefix one too short
        "key_{prefix}_{secret}",  # another marker
        "hub_{prefix}_{secret}x",  # wrong secret
        "hub_{prefix}_{long}",  # absurdly long secret, never hashed
    ],
)
def test_malformed_or_wrong_keys_are_refused(vendor, shape):
    key, raw = api_key_create(vendor=vendor, name="Website")
    _, prefix, secret = raw.split("_", 2)
    candidate = shape.format(prefix=prefix, secret=secret, short=prefix[:-1], long="a" * 101)
    assert api_key_authenticate(raw=candidate) is None
    assert api_key_authenticate(raw=raw) == key


def test_a_secret_of_a_hundred_characters_is_still_checked(vendor):
    key, raw = api_key_create(vendor=vendor, name="Website")
    # Not ours, but the same length as the longest accepted: refused by the
    # hash comparison, not by the length check (which would answer faster).
    prefix = raw.split("_")[1]
    ApiKey.objects.filter(pk=key.pk).update(key_hash=hashlib.sha256(b"a" * 100).hexdigest())
    assert api_key_authenticate(raw=f"hub_{prefix}_{'a' * 100}") == key


def test_last_use_is_written_at_most_once_a_minute(vendor, frozen_clock, django_assert_num_queries):
    key, raw = api_key_create(vendor=vendor, name="Website")
    start = frozen_clock.now
    api_key_authenticate(raw=raw)
    assert ApiKey.objects.get().last_used_at == start
    frozen_clock.advance(seconds=59)
    with django_assert_num_queries(1):  # the read only, no UPDATE
        assert api_key_authenticate(raw=raw).last_used_at == start
    assert ApiKey.objects.get().last_used_at == start
    frozen_clock.advance(seconds=1)
    assert api_key_authenticate(raw=raw).last_used_at == frozen_clock.now
    assert ApiKey.objects.get().last_used_at == frozen_clock.now


def test_a_key_made_without_a_signed_in_user_has_no_creator(vendor):
    from django.contrib.auth.models import AnonymousUser

    key, _ = api_key_create(vendor=vendor, name="Script", user=AnonymousUser())
    assert key.created_by is None


def test_authenticating_reads_the_key_and_its_vendor_in_one_query(
    vendor, frozen_clock, django_assert_num_queries
):
    _, raw = api_key_create(vendor=vendor, name="Website")
    api_key_authenticate(raw=raw)  # records the use; the next call only reads
    with django_assert_num_queries(1):
        assert api_key_authenticate(raw=raw).vendor.slug == "northwind"
