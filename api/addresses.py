"""The client address of a request, believing X-Forwarded-For only from trusted proxies."""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from aiohttp import web

from wiring.keys import SETTINGS

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def parse_networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    """Addresses or CIDRs; a bare address is a one-address network. Raises ValueError."""
    return tuple(ipaddress.ip_network(entry.strip(), strict=False) for entry in entries)


Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_address(text: str) -> Address | None:
    """An address as peers and proxies write it: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`,
    `[2001:db8::1]:443`; an IPv4-mapped IPv6 address is its IPv4 address. None if garbage."""
    text = text.strip()
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]  # IPv4 with a port
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def _trusted(ip: Address | None, networks: tuple[Network, ...]) -> bool:
    return ip is not None and any(ip in network for network in networks)


def resolve_client_address(
    peer: str | None, forwarded_for: list[str], networks: tuple[Network, ...]
) -> str:
    """`peer`, unless it is a trusted proxy: then the right-most X-Forwarded-For hop that is not
    itself trusted (hops to its right were added by our own proxies). A garbage hop there
    stops the walk at the last trusted hop: nothing left of it can be believed. Addresses come
    back in canonical form, so one client is always one key."""
    peer_ip = parse_address(peer or "")
    if peer_ip is None:
        return peer or "unknown"
    if not _trusted(peer_ip, networks):
        return str(peer_ip)
    address = peer_ip
    hops = [hop for header in forwarded_for for hop in header.split(",") if hop.strip()]
    for hop in reversed(hops):
        hop_ip = parse_address(hop)
        if hop_ip is None:
            break
        address = hop_ip
        if not _trusted(hop_ip, networks):
            break
    return str(address)


def client_address(request: web.Request) -> str:
    networks = parse_networks(request.app[SETTINGS].http.trusted_proxies)
    return resolve_client_address(
        request.remote, request.headers.getall("X-Forwarded-For", []), networks
    )
