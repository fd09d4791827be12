"""The secrets of an access link, pinned (issue 27): the code's range and
spread, and exactly how the code and token are kept, computed here from
their definitions rather than with the functions under test."""

import hashlib
import hmac
from collections import Counter

from django.conf import settings

from magiclinks.models import AccessLink
from magiclinks.tokens import code_new, hashes_match, token_new

from .fixtures import code_of, last_email_to, link_path, request_access

DRAWS = 3000


def test_codes_are_six_digits_drawn_from_a_million():
    codes = [code_new() for _ in range(DRAWS)]
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    values = [int(c) for c in codes]
    # From a million values, 3,000 draws repeat a handful at most; from a
    # smaller range (a typo in 10**6) they would repeat by the hundred.
    assert len(set(values)) > DRAWS - 30
    # Every leading digit, leading zeros kept (000123 is a code), roughly even.
    leading = Counter(c[0] for c in codes)
    assert set(leading) == set("0123456789")
    assert min(leading.values()) > DRAWS / 10 / 2
    assert min(values) < 10_000 and max(values) > 990_000


def test_tokens_carry_256_bits():
    tokens = {token_new() for _ in range(200)}
    assert len(tokens) == 200
    assert all(len(t) == 43 for t in tokens)  # 32 bytes, URL-safe base64, unpadded


def test_the_stored_code_hash_is_an_hmac_keyed_with_the_secret_key_and_the_token(
    client, vendor, alice, django_capture_on_commit_callbacks
):
    request_access(client, vendor, "alice@example.com", django_capture_on_commit_callbacks)
    message = last_email_to("alice@example.com")
    token = link_path(message).rstrip("/").rsplit("/", 1)[1]
    code = code_of(message)
    link = AccessLink.objects.get()
    token_hash = hashlib.sha256(token.encode()).hexdigest()
    assert link.token_hash == token_hash
    # Django's salted_hmac: the key is sha256(salt + SECRET_KEY).
    key = hashlib.sha256(b"magiclinks.AccessLink.code" + settings.SECRET_KEY.encode()).digest()
    expected = hmac.new(key, f"{token_hash}:{code}".encode(), hashlib.sha256).hexdigest()
    assert link.code_hash == expected


def test_hashes_match_only_equal_non_empty_values():
    digest = hashlib.sha256(b"x").hexdigest()
    assert hashes_match(digest, str(digest)) is True
    assert hashes_match(digest, hashlib.sha256(b"y").hexdigest()) is False
    assert hashes_match("", "") is False
    assert hashes_match(digest, "") is False
    assert hashes_match("", digest) is False
