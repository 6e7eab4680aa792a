"""The client's address, for lock-outs and rate limits only (never stored in clear)."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest

_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[_Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def from_trusted_proxy(remote: str) -> bool:
    """Whether REMOTE_ADDR is the proxy's (TRUSTED_PROXY_ADDRESSES); with none set,
    every request is taken to come through the proxy (check --deploy warns)."""
    entries = tuple(settings.TRUSTED_PROXY_ADDRESSES)
    if not entries:
        return True
    try:
        address = ipaddress.ip_address(remote)
    except ValueError:
        return False
    return any(address in network for network in _networks(entries))


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies the address the outermost
    trusted proxy saw. Entries to the left of that are written by the client and
    are ignored, so a forged X-Forwarded-For changes nothing. A request that does not
    come from the proxy's address (the app reached directly) is taken at its
    REMOTE_ADDR, whatever its header says."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    hops = settings.TRUSTED_PROXY_COUNT
    if hops <= 0 or not from_trusted_proxy(remote):
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if len(forwarded) < hops:
        return remote
    return forwarded[-hops]
