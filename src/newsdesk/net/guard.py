"""The SSRF guard: which URLs may be requested and which addresses may be connected to.

A feed reader fetches URLs that strangers choose (feeds, their links, their
redirects), so without a guard anyone who can subscribe could make the server
request its own loopback, the LAN or a cloud metadata endpoint. The guard
refuses every address that is not publicly routable, at two checkpoints:

* before any connection, :func:`checked_url` / :func:`checked_target` refuse
  other schemes than http(s) and private IP-literal hosts (aiohttp never calls
  the resolver for literals, so they must be judged here);
* a host name is judged *inside the connector's resolver*
  (:class:`GuardedResolver`), so the address connected to is exactly the one
  checked and a second DNS answer (rebinding) cannot slip past.

``allow_private_networks`` turns the address checks off (tests, benchmarks, the
demo, feeds on your own network); every refused address names that setting.
"""

from __future__ import annotations

import errno
import ipaddress
import socket

from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

from newsdesk.config import ENV_PREFIX
from newsdesk.errors import BlockedAddressError, FetchError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_ALLOW_HINT = f"set {ENV_PREFIX}ALLOW_PRIVATE_NETWORKS=1 to allow it"


class AddressRefused(Exception):
    """Raised inside the resolver, which does not know the URL; becomes BlockedAddressError."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class GuardedResolver(AbstractResolver):
    """Resolve with another resolver, then drop the addresses the SSRF guard refuses.

    It sits in the connector, so aiohttp connects only to addresses checked here:
    no gap between checking a name and connecting to it. When no address is left
    the lookup fails with the reason for the first refused one.
    """

    def __init__(self, inner: AbstractResolver) -> None:
        self._inner = inner

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        results = await self._inner.resolve(host, port, family)
        if not results:
            raise OSError(errno.EHOSTUNREACH, f"no addresses for {host}")
        allowed = [r for r in results if _refusal(r["host"]) is None]
        if allowed:
            return allowed
        address = results[0]["host"]
        raise AddressRefused(f"{host} resolves to {address}, which is {_refusal(address)}; {_ALLOW_HINT}")

    async def close(self) -> None:
        await self._inner.close()


def refused_category(address: IPAddress) -> str | None:
    """Why the SSRF guard refuses ``address`` ("loopback", "private", …), or None if it is public.

    IPv6 forms that embed an IPv4 address (mapped, 6to4, NAT64) are judged by that
    address, since that is where the packets end up.
    """
    if isinstance(address, ipaddress.IPv6Address):
        address = _embedded_ipv4(address) or address
    if address.is_unspecified:
        return "unspecified"
    if address.is_loopback:
        return "loopback"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if address.is_private:
        return "private"
    if address.is_reserved:
        return "reserved"
    if not address.is_global:
        return "not publicly routable"
    return None


def checked_url(url: str, allow_private: bool) -> URL:
    """Parse the URL a caller asked for and refuse it now if it must never be requested."""
    try:
        target = URL(url)
    except (TypeError, ValueError):
        raise FetchError(url, f"invalid URL {url!r}", permanent=True) from None
    return checked_target(target, url, allow_private)


def checked_target(target: URL, requested: str, allow_private: bool) -> URL:
    """Refuse other schemes than http(s) and private IP literals; drop the fragment.

    ``requested`` is the URL the caller asked for; errors carry it, not a redirect hop.
    """
    if not target.scheme:
        raise FetchError(requested, f"not an absolute URL: {target}", permanent=True)
    if target.scheme not in ("http", "https"):
        raise FetchError(requested, f"unsupported URL scheme {target.scheme!r} (only http and https)", permanent=True)
    host = target.host
    if not host:
        raise FetchError(requested, f"URL has no host: {target}", permanent=True)
    if not allow_private:
        _check_literal_host(requested, host)
    return target.with_fragment(None)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _refusal(host: str) -> str | None:
    """The guard's verdict on a resolved address string (unparseable counts as refused)."""
    try:
        return refused_category(ipaddress.ip_address(host))
    except ValueError:
        return "not a valid address"


def _check_literal_host(requested: str, host: str) -> None:
    """Refuse a private IP-literal host now: aiohttp connects to literals without resolving."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        # Something aiohttp would still treat as an address (it skips the resolver for
        # these) but Python cannot read: refuse rather than connect unchecked.
        if ":" in host or host.replace(".", "").isdigit():
            raise FetchError(requested, f"invalid IP address {host}", permanent=True) from None
        return
    category = refused_category(address)
    if category is not None:
        raise BlockedAddressError(requested, f"address {host} is {category}; {_ALLOW_HINT}")
