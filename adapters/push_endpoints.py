"""Which Web Push endpoints the server may POST to (no SSRF through a subscription).

A subscription's endpoint is a URL a client hands us; the server later POSTs to it. Without these
checks a user could make the server call its own admin ports, the cloud metadata service
(169.254.169.254) or hosts on the private network.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[Iterable[str]]]


class InvalidEndpoint(ValueError):
    """The endpoint is refused; `reason` is short and safe to show to the client."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def is_public_address(address: IPAddress) -> bool:
    """Globally routable unicast only: not private, loopback, link-local, multicast, reserved,
    unspecified, shared (100.64/10) or documentation space; IPv4-mapped IPv6 judged as IPv4."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not (
        address.is_multicast or address.is_reserved or address.is_link_local
    )


async def validate_endpoint(
    url: str,
    *,
    allow_http: bool = False,
    allow_private: bool | None = None,
    resolver: Resolver = system_resolver,
) -> str:
    """Return the endpoint if the server may POST to it, else raise InvalidEndpoint.

    `allow_http` (tests only, `[push] allow_http_endpoints`) also allows private and loopback
    hosts unless `allow_private` says otherwise. A host name is resolved and *every* address must
    be public. That check cannot stop DNS rebinding (the name may resolve differently when the
    POST connects a moment later); the sender re-validates before each POST, which narrows the
    window, and it never follows redirects, which closes the other easy way around the check.
    """
    if allow_private is None:
        allow_private = allow_http
    parts = urlsplit(url)
    schemes = ("https", "http") if allow_http else ("https",)
    if parts.scheme not in schemes:
        raise InvalidEndpoint("the endpoint must be an https URL")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise InvalidEndpoint("the endpoint must not contain user information")
    host = parts.hostname
    if not host:
        raise InvalidEndpoint("the endpoint has no host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise InvalidEndpoint("the endpoint has an invalid port") from None
    if allow_private:
        return url
    for address in await _addresses(host, port, resolver):
        if not is_public_address(address):
            raise InvalidEndpoint("the endpoint's host is not a public address")
    return url


async def _addresses(host: str, port: int, resolver: Resolver) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        resolved = list(await resolver(host, port))
    except OSError:
        raise InvalidEndpoint("the endpoint's host does not resolve") from None
    if not resolved:
        raise InvalidEndpoint("the endpoint's host does not resolve")
    # getaddrinfo may return scoped IPv6 ("fe80::1%eth0"): the scope is not part of the address.
    return [ipaddress.ip_address(address.split("%", 1)[0]) for address in resolved]
