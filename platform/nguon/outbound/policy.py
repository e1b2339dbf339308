"""Which addresses the server may send HTTP requests to.

Refused: every address that is not globally routable — loopback, private, shared
(100.64/10), link-local, multicast, reserved, unspecified, documentation, and IPv6 forms
that carry such an IPv4 address (mapped ``::ffff:a.b.c.d``, 6to4, Teredo, NAT64) — and
cloud metadata addresses. The operator may allow internal receivers with
``NGUON_OUTBOUND_ALLOW`` (comma-separated networks, e.g. ``10.20.0.0/16,192.168.5.7``);
metadata addresses stay refused even then.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
import socket
from collections.abc import Iterator
from typing import TypeAlias

import httpx
import msgspec

IPAddress: TypeAlias = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOW_ENV = "NGUON_OUTBOUND_ALLOW"
SCHEMES = frozenset({"http", "https"})

METADATA: tuple[IPNetwork, ...] = tuple(
    ipaddress.ip_network(n)
    for n in (
        "169.254.169.254/32",  # AWS, GCP, Azure, OpenStack, DigitalOcean
        "169.254.170.2/32",  # AWS ECS task metadata
        "168.63.129.16/32",  # Azure wire server (a public address)
        "100.100.100.200/32",  # Alibaba Cloud
        "192.0.0.192/32",  # Oracle Cloud
        "fd00:ec2::254/128",  # AWS over IPv6
    )
)
NAT64 = ipaddress.ip_network("64:ff9b::/96")
LOCAL_NAMES = re.compile(r"^(localhost|.*\.localhost|localhost\.localdomain)\.?$", re.IGNORECASE)
# The forms inet_aton accepts: 2130706433, 0x7f000001, 0177.0.0.1, 127.1 ...
_LEGACY_IPV4 = re.compile(r"^(0x[0-9a-f]+|[0-9]+)(\.(0x[0-9a-f]+|[0-9]+)){0,3}$", re.IGNORECASE)


class OutboundRefused(httpx.TransportError):
    """A request to an address the policy refuses; nothing was sent."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"refused by policy: {reason}")
        self.reason = reason


class OutboundPolicy(msgspec.Struct, frozen=True):
    allowed: tuple[IPNetwork, ...] = ()
    """Internal networks the operator allows (metadata addresses are never allowed)."""

    @classmethod
    def parse(cls, raw: str) -> OutboundPolicy:
        networks = []
        for entry in (e.strip() for e in raw.split(",")):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                raise SystemExit(
                    f"{ALLOW_ENV}: {entry!r} is not an IP address or network"
                ) from None
        return cls(allowed=tuple(networks))

    def refusal(self, address: IPAddress) -> str | None:
        """Why ``address`` may not be contacted, or None when it may."""
        if any(address in network for network in METADATA):
            return "cloud metadata address"
        if any(address.version == n.version and address in n for n in self.allowed):
            return None
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return self.refusal(embedded)
        return _category(address)


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _category(address: IPAddress) -> str | None:
    checks = (
        ("unspecified address", address.is_unspecified),
        ("loopback address", address.is_loopback),
        ("link-local address", address.is_link_local),
        ("multicast address", address.is_multicast),
        ("private address", address.is_private),
        ("reserved address", address.is_reserved),
        (
            "site-local address",
            isinstance(address, ipaddress.IPv6Address) and address.is_site_local,
        ),
        ("address not publicly routable", not address.is_global),
    )
    return next((name for name, refused in checks if refused), None)


def literal_address(host: str) -> IPAddress | None:
    """The address a host names literally, in any form a resolver would accept."""
    host = host.strip("[]")
    with contextlib.suppress(ValueError):
        return ipaddress.ip_address(host.split("%", 1)[0])
    if _LEGACY_IPV4.match(host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def check_url(url: str, policy: OutboundPolicy | None = None) -> None:
    """Refuse, without any network lookup, a URL the server must never send to.

    Names are checked again after resolution on every connection (``guarded_client``).
    """
    policy = policy or outbound_policy()
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as error:
        raise OutboundRefused(f"not a valid URL ({error})") from None
    if parsed.scheme not in SCHEMES:
        raise OutboundRefused("only http and https receivers are allowed")
    if not parsed.host:
        raise OutboundRefused("the URL names no host")
    if parsed.userinfo:
        raise OutboundRefused("the URL may not carry a user name or password")
    address = literal_address(parsed.host)
    if address is None:
        if LOCAL_NAMES.match(parsed.host):
            address = ipaddress.IPv4Address("127.0.0.1")
        else:
            return
    reason = policy.refusal(address)
    if reason is not None:
        raise OutboundRefused(f"{parsed.host}: {reason}")


_policy: OutboundPolicy | None = None


def outbound_policy() -> OutboundPolicy:
    """The operator's policy, read from ``NGUON_OUTBOUND_ALLOW`` on first use."""
    global _policy
    if _policy is None:
        _policy = OutboundPolicy.parse(os.environ.get(ALLOW_ENV, ""))
    return _policy


@contextlib.contextmanager
def use_outbound_policy(policy: OutboundPolicy | None) -> Iterator[None]:
    """Apply ``policy`` for the duration (None: read the environment again on first use)."""
    global _policy
    previous, _policy = _policy, policy
    try:
        yield
    finally:
        _policy = previous
