"""The address of the person at the other end of a request.

Production runs behind a TLS proxy, whose address is what the socket
(`REMOTE_ADDR`) shows for every request: keying rate limits on it would make
one site-wide bucket, where one abuser locks everyone out. `X-Forwarded-For`
is written by whoever sends the request, though, so it is believed only as
far as hops we trust: when the request comes from a proxy in
`TRUSTED_PROXIES` (a CIDR list), the header is read from the right, skipping
the trusted proxies' own entries, and the right-most hop that is not one of
ours is the client. Anything left of that hop was written by the client and
is ignored. With no trusted proxy, `REMOTE_ADDR` is the answer.

The header is parsed by python-ipware (the engine of django-ipware): ports,
brackets, IPv4-mapped IPv6 and RFC 7239 `for=` tokens are its business.
Rate limits and the audit trail both use `client_ip`, so the two agree.
"""

import ipaddress
from functools import cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from python_ipware.modern.parsers import parse_ip, split_proxy_chain

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@cache
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    try:
        return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries)
    except ValueError as exc:
        raise ImproperlyConfigured(
            f"TRUSTED_PROXIES holds something that is not a CIDR: {exc}"
        ) from exc


def trusted_proxies() -> tuple[Network, ...]:
    return _networks(tuple(e for e in settings.TRUSTED_PROXIES if e.strip()))


def _trusted(ip: Address, networks: tuple[Network, ...]) -> bool:
    return any(ip.version == net.version and ip in net for net in networks)


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: REMOTE_ADDR, or the right-most untrusted hop of
    X-Forwarded-For when REMOTE_ADDR is a trusted proxy."""
    remote = parse_ip(request.META.get("REMOTE_ADDR"))
    if remote is None:
        return None
    networks = trusted_proxies()
    if not networks or not _trusted(remote, networks):
        return str(remote)
    # strict: one malformed hop makes the whole header untrustworthy.
    chain = split_proxy_chain(request.META.get("HTTP_X_FORWARDED_FOR", ""), strict=True)
    if not chain:
        return str(remote)
    for hop in reversed(chain):
        if not _trusted(hop, networks):
            return str(hop)
    # Every hop is one of ours (an internal client): the left-most one.
    return str(chain[0])


def client_ip_key(ip: str | None) -> str:
    """What a per-IP limit counts: the address, or its /64 for IPv6, where
    one subscriber is routinely given a whole /64 to pick addresses from."""
    if not ip:
        return ""
    address = ipaddress.ip_address(ip)
    if address.version == 6:
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)
