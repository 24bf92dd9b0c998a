"""The client address of a request, believing X-Forwarded-For only from trusted proxies."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from aiohttp import web

from api.keys import SETTINGS

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def parse_networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    """Addresses or CIDRs; a bare address is a one-address network. Raises ValueError."""
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries)


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def resolve_client_address(
    peer: str | None, forwarded_for: list[str], networks: tuple[Network, ...]
) -> str:
    """`peer`, unless it is a trusted proxy: then the right-most X-Forwarded-For hop that is not
    itself trusted (hops to its right were added by our own proxies)."""
    address = peer or "unknown"
    if not _trusted(address, networks):
        return address
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            return hop if _is_address(hop) else address
        address = hop
    return address


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def client_address(request: web.Request) -> str:
    networks = parse_networks(request.app[SETTINGS].http.trusted_proxies)
    return resolve_client_address(
        request.remote, request.headers.getall("X-Forwarded-For", []), networks
    )
