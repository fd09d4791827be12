"""Reads of vendors. Keyword-only, named <noun>_<verb>."""

import copy
import time

from django.conf import settings
from django.db.models.signals import post_delete, post_save

from .models import Vendor

# slug -> (loaded at, vendor). Per process: every hub request starts by
# loading its vendor, a 40-column row that rarely changes, and that query
# (with its compilation) was one of the four or five every page makes.
_by_slug: dict[str, tuple[float, Vendor]] = {}
# Known vendors only, so probing made-up slugs cannot grow it; the bound is
# for a process serving a very large number of vendors.
MAX_CACHED_VENDORS = 2000


def vendor_for_slug(*, slug: str) -> Vendor | None:
    """The vendor with `slug`, or None; each caller gets its own instance.

    Kept for HUB_VENDOR_CACHE_SECONDS (a few seconds in production, 0 turns
    it off). A change saved in this process is seen at once; one saved in
    another web process is seen within those seconds. That includes settings
    that matter (self-cancel, keys, deletion): a few seconds is the delay we
    accept for them, and a deleted vendor's customers are signed out by their
    own lookup, which is never cached.
    """
    ttl = settings.HUB_VENDOR_CACHE_SECONDS
    if ttl <= 0:
        return Vendor.objects.filter(slug=slug).first()
    now = time.monotonic()
    hit = _by_slug.get(slug)
    if hit is None or now - hit[0] >= ttl:
        vendor = Vendor.objects.filter(slug=slug).first()
        if vendor is None:
            _by_slug.pop(slug, None)
            return None
        if len(_by_slug) >= MAX_CACHED_VENDORS:
            _by_slug.clear()
        hit = _by_slug[slug] = (now, vendor)
    # A copy: a request that sets an attribute on its vendor must not hand
    # that to the next request.
    return copy.copy(hit[1])


def vendor_cache_clear(**kwargs) -> None:
    """Forget every cached vendor (also connected to Vendor saves and deletes)."""
    _by_slug.clear()


post_save.connect(vendor_cache_clear, sender=Vendor, dispatch_uid="vendor_cache_clear_saved")
post_delete.connect(vendor_cache_clear, sender=Vendor, dispatch_uid="vendor_cache_clear_deleted")
