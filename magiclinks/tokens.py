"""The secrets of an access link and how each is kept.

- token: 256 bits from `secrets`, URL-safe; stored as its SHA-256 only.
- code: 6 digits from `secrets`; stored as an HMAC keyed with SECRET_KEY and
  bound to the link's token hash, because a million values are too few for a
  plain hash to hide them.
- binding: 256 bits in a cookie of the browser that asked; stored as SHA-256.
Comparisons of these values use hmac.compare_digest.
"""

import hashlib
import hmac
import secrets

from django.utils.crypto import salted_hmac

CODE_DIGITS = 6


def token_new() -> str:
    return secrets.token_urlsafe(32)


def code_new() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def secret_hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def code_hash(*, token_hash: str, code: str) -> str:
    return salted_hmac(
        "magiclinks.AccessLink.code", f"{token_hash}:{code}", algorithm="sha256"
    ).hexdigest()


def hashes_match(a: str, b: str) -> bool:
    return bool(a) and bool(b) and hmac.compare_digest(a.encode(), b.encode())
