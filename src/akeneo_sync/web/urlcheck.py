"""SSRF guard for `pim_url`: the activate URL is called by anyone, and the app then POSTs to it.

`pim_url` arrives unauthenticated (Akeneo signs nothing on the activate request), yet the
callback makes a server-side request to it. So the URL must be https, carry no credentials or
fragment, and every address its host resolves to must be public: one private address among
several is enough for an attacker to reach internal services.

A Unicode host is checked in the ASCII (`xn--`, IDNA 2008) form httpx connects to: the system
resolver's IDNA 2003 form of `straße.example` is `strasse.example`, another host. The allow-list
is matched against the host (or `scheme://host[:port]`), never the whole URL, where a `.*` could
reach into the path.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

import httpx

from akeneo_sync.logging import get_logger
from akeneo_sync.web.ports import Resolver

__all__ = ["PimUrlError", "PimUrlPolicy", "system_resolver", "validate_pim_url"]

MAX_URL_CHARS: Final = 2048
_log = get_logger(__name__)
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class PimUrlError(ValueError):
    """The `pim_url` is refused; the message says why and is safe to show to the user."""


@dataclass(frozen=True, slots=True)
class PimUrlPolicy:
    """What a `pim_url` may be."""

    allow_private: bool = False
    allowlist: re.Pattern[str] | None = None


def system_resolver(host: str) -> Sequence[str]:
    """Every address the system resolver gives for `host` (A and AAAA)."""
    infos = socket.getaddrinfo(host, 443, proto=socket.IPPROTO_TCP)
    return sorted({str(info[4][0]) for info in infos})


def _is_forbidden(address: IpAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        # ::ffff:10.0.0.1 and 64:ff9b::/96-style embeddings reach IPv4 hosts: judge the IPv4 inside.
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None and _is_forbidden(embedded):
            return True
        if address in ipaddress.IPv6Network("fc00::/7"):
            return True
    return bool(
        address.is_loopback
        or address.is_link_local
        or address.is_private
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
        or not address.is_global
    )


def _parse_ip(text: str) -> IpAddress | None:
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        return None


def validate_pim_url(raw: str, policy: PimUrlPolicy, resolver: Resolver = system_resolver) -> str:
    """The normalised PIM base URL (no trailing `/`); `PimUrlError` when it is refused."""
    url = raw.strip()
    if not url:
        raise PimUrlError("pim_url is missing")
    if len(url) > MAX_URL_CHARS or any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in url):
        raise PimUrlError("pim_url is too long or contains control characters or spaces")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _ = parts.port  # raises ValueError for a port out of range
    except ValueError as exc:
        raise PimUrlError("pim_url is not a valid URL") from exc
    if parts.scheme not in ("https", "http"):
        raise PimUrlError("pim_url must be an https:// URL")
    if not host:
        raise PimUrlError("pim_url has no host name")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise PimUrlError("pim_url must not contain credentials")
    if parts.fragment or "#" in url:
        raise PimUrlError("pim_url must not contain a fragment")
    if parts.query:
        raise PimUrlError("pim_url must not contain a query string")
    port = f":{parts.port}" if parts.port is not None else ""
    if host.isascii():
        normalised = url.rstrip("/")
    else:
        host = _ascii_host(url)
        normalised = f"{parts.scheme}://{host}{port}{parts.path}".rstrip("/")
    if policy.allowlist is not None and not (
        policy.allowlist.fullmatch(host) or policy.allowlist.fullmatch(f"{parts.scheme}://{host}{port}")
    ):
        raise PimUrlError("pim_url is not on this app's allow-list of PIMs")
    addresses = _resolve(host, resolver)
    if parts.scheme == "http" and not (policy.allow_private and all(a.is_loopback for a in addresses)):
        raise PimUrlError("pim_url must be an https:// URL")
    if not policy.allow_private:
        refused = [str(a) for a in addresses if _is_forbidden(a)]
        if refused:
            # The addresses go to the log only: the page would map the internal network for anyone.
            _log.info("pim_url_private_address", host=host, addresses=refused)
            raise PimUrlError(f"pim_url host {host} is not allowed; only public PIMs can be connected")
    return normalised


def _ascii_host(url: str) -> str:
    try:
        return httpx.URL(url).raw_host.decode("ascii").lower()
    except (httpx.InvalidURL, UnicodeError, ValueError) as exc:
        raise PimUrlError("pim_url host is not a valid international domain name") from exc


def _resolve(host: str, resolver: Resolver) -> list[IpAddress]:
    literal = _parse_ip(host)
    if literal is not None:
        return [literal]
    try:
        resolved = list(resolver(host))
    except (OSError, UnicodeError, ValueError) as exc:
        raise PimUrlError(f"pim_url host {host} does not resolve") from exc
    addresses = [a for a in (_parse_ip(text) for text in resolved) if a is not None]
    if not addresses or len(addresses) != len(resolved):
        raise PimUrlError(f"pim_url host {host} does not resolve")
    return addresses
