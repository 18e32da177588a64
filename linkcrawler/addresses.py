"""Which network addresses a crawl may send requests to (``LINKCRAWLER_ALLOW_PRIVATE_TARGETS``).

A crawler run inside a company network reads links written by strangers; it must not become a way into that
network. The rule is decided on the address a host resolves to, never on the URL's text, so that no spelling of
an address (``2130706433``, ``0x7f000001``, ``0177.0.0.1``, ``[::ffff:127.0.0.1]``) and no DNS name gets around
it: an address that is not globally reachable (loopback, private, link-local, shared/CGNAT, multicast, reserved,
unspecified) is not contacted, except the site's own host and port and the networks the user allows.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

MODES = ("auto", "false", "true")

_LABELS = (
    ("is_unspecified", "unspecified"),
    ("is_loopback", "loopback"),
    ("is_link_local", "link-local"),
    ("is_multicast", "multicast"),
    ("is_private", "private"),
    ("is_reserved", "reserved"),
)
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # RFC 6598 carrier-grade NAT


def parse_mode(value: object) -> str:
    """``auto``, ``false`` or ``true`` from a setting's value (a bool, or text in any case); ValueError else."""
    mode = str(value).strip().lower()
    if mode not in MODES:
        raise ValueError(mode)
    return mode


def parse_networks(values: Iterable[str]) -> tuple[IPNetwork, ...]:
    """Networks (``10.1.2.3``, ``192.168.5.0/24``, ``fd00::/8``) from text; ValueError names a bad one."""
    return tuple(ipaddress.ip_network(v.strip(), strict=False) for v in values)


def plain(address: IPAddress) -> IPAddress:
    """The IPv4 address inside an IPv4-mapped IPv6 address (``::ffff:127.0.0.1``); the address itself else."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def non_public(address: IPAddress) -> str:
    """What makes an address off limits (``loopback``, ``private``, ``link-local``, ``shared``, ``multicast``,
    ``reserved``, ``unspecified``, ``not global``), or '' for a globally reachable unicast address."""
    address = plain(address)
    for attribute, label in _LABELS:
        if getattr(address, attribute):
            return label
    if address in _SHARED:
        return "shared"
    if not address.is_global:
        return "not global"
    return ""


def literal(host: str) -> IPAddress | None:
    """The address a host that is written as a canonical IP literal names (brackets allowed), else None."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


@dataclass(frozen=True)
class AddressPolicy:
    """Which resolved addresses may be contacted: every address when ``allow_private``, else the globally
    reachable ones and those in ``allowed`` networks."""

    allow_private: bool
    allowed: tuple[IPNetwork, ...] = ()

    def refusal(self, address: IPAddress) -> str:
        """Why ``address`` may not be contacted (``127.0.0.9 is a loopback address``), or '' when it may."""
        if self.allow_private:
            return ""
        kind = non_public(address)
        if not kind:
            return ""
        if any(address in net or plain(address) in net for net in self.allowed):
            return ""
        article = "an" if kind[0] in "aeiou" else "a"
        return f"{plain(address)} is {article} {kind} address"
