"""The client address: X-Forwarded-For is believed only from trusted proxies, read from the right
(the hops our own proxies appended), and stops at anything that is not an address."""

from __future__ import annotations

import pytest

from api.addresses import parse_address, parse_networks, resolve_client_address
from domain.users import address_key_of
from settings import ConfigError, load_settings

NGINX = parse_networks(("127.0.0.1",))
PROXIES = parse_networks(("127.0.0.1", "10.0.0.0/8", "fd00::/8"))


def resolve(peer: str | None, *headers: str, networks=PROXIES) -> str:
    return resolve_client_address(peer, list(headers), networks)


def test_an_untrusted_peer_is_the_client_whatever_it_forwards() -> None:
    assert resolve("198.51.100.7", "1.2.3.4") == "198.51.100.7"
    assert resolve("198.51.100.7", "1.2.3.4", networks=()) == "198.51.100.7"
    assert resolve("127.0.0.1", "1.2.3.4", networks=()) == "127.0.0.1"


def test_the_right_most_untrusted_hop_is_the_client() -> None:
    # The client forged "6.6.6.6"; nginx appended the address it saw (203.0.113.9).
    assert resolve("127.0.0.1", "6.6.6.6, 203.0.113.9") == "203.0.113.9"
    # Two layers of our own proxies (10.x and 127.0.0.1) are skipped.
    assert resolve("127.0.0.1", "6.6.6.6, 203.0.113.9, 10.1.2.3") == "203.0.113.9"
    # Several headers are one list, in order.
    assert resolve("127.0.0.1", "6.6.6.6", "203.0.113.9, 10.1.2.3") == "203.0.113.9"


def test_without_a_forwarded_address_the_proxy_is_the_client() -> None:
    assert resolve("127.0.0.1") == "127.0.0.1"
    assert resolve("127.0.0.1", "", " , ") == "127.0.0.1"
    assert resolve("127.0.0.1", "10.0.0.5") == "10.0.0.5"  # only trusted hops: the left-most


@pytest.mark.parametrize("garbage", ["evil", "1.2.3.999", "unknown", "::zz", "<script>"])
def test_a_garbage_hop_stops_the_walk_at_the_last_trusted_hop(garbage: str) -> None:
    assert resolve("127.0.0.1", f"203.0.113.9, {garbage}") == "127.0.0.1"
    assert resolve("127.0.0.1", f"203.0.113.9, {garbage}, 10.0.0.9") == "10.0.0.9"
    # Left of the client's real address, garbage is never reached.
    assert resolve("127.0.0.1", f"{garbage}, 203.0.113.9") == "203.0.113.9"


def test_ipv6_and_ports_and_mapped_addresses() -> None:
    assert resolve("127.0.0.1", "2001:DB8:0:0::1") == "2001:db8::1"  # canonical form
    assert resolve("fd00::1", "2001:db8::1, fd12::7") == "2001:db8::1"
    assert resolve("127.0.0.1", "[2001:db8::1]:443") == "2001:db8::1"
    assert resolve("127.0.0.1", "203.0.113.9:5678") == "203.0.113.9"
    # A dual-stack listener reports an IPv4 peer as ::ffff:a.b.c.d: still our trusted nginx.
    assert resolve("::ffff:127.0.0.1", "203.0.113.9", networks=NGINX) == "203.0.113.9"
    assert parse_address("::ffff:203.0.113.9") == parse_address("203.0.113.9")


def test_cidrs_and_bare_addresses_parse_and_bad_entries_fail() -> None:
    assert resolve("10.200.3.4", "203.0.113.9") == "203.0.113.9"  # inside 10.0.0.0/8
    assert resolve("11.0.0.1", "203.0.113.9") == "11.0.0.1"  # outside it
    assert [str(n) for n in parse_networks(("10.1.2.3/8", " ::1 "))] == ["10.0.0.0/8", "::1/128"]
    with pytest.raises(ValueError):
        parse_networks(("not-a-network",))


def test_a_missing_peer_is_unknown() -> None:
    assert resolve(None, "203.0.113.9") == "unknown"


def test_an_ipv6_client_is_throttled_per_64() -> None:
    assert address_key_of("2001:db8:1:2::1") == address_key_of("2001:db8:1:2:ffff::9")
    assert address_key_of("2001:db8:1:2::1") != address_key_of("2001:db8:1:3::1")
    assert address_key_of("203.0.113.9") == "203.0.113.9"


def test_a_bad_trusted_proxy_entry_stops_the_start() -> None:
    with pytest.raises(ConfigError, match=r"\[http\]"):
        load_settings(environ={"TRUSTED_PROXIES": "127.0.0.1, nginx.local"})
    assert load_settings(environ={"TRUSTED_PROXIES": "127.0.0.1,10.0.0.0/8"}).http.trusted_proxies
