"""Whether a URL can be subscribed to: its syntax, length and port, checked before it is stored.

A URL the fetcher cannot request (``http://[::1``, port 99999, 200 KB long) would
otherwise be accepted by ``sources add --no-discover`` or an OPML import and fail
only at the next update, as a source in error. :func:`refused_feed_url` says why
such a URL is refused, in our own words (never the parser's message, which can
repeat the URL), so the import reports it beside the line that lists it.

The URL is read with yarl, as the fetcher reads it (``net/guard.py: checked_url``),
so what passes here the fetcher can request. Which *addresses* may be requested
(the SSRF policy: no private or loopback networks) is not decided here: a host
name can resolve anywhere later, so the fetcher's guard checks every request and
redirect hop (``net/guard.py``).
"""

from __future__ import annotations

import ipaddress
import re

from yarl import URL

__all__ = ["MAX_FEED_URL_LENGTH", "refused_feed_url"]

MAX_FEED_URL_LENGTH = 2048  # the long-standing practical limit (browsers, CDNs, sitemaps); real feeds stay far below
_MAX_HOST_LENGTH = 253  # DNS: a name of at most 253 characters, labels of at most 63
_MAX_LABEL_LENGTH = 63

_HTTP_RE = re.compile(r"https?://", re.IGNORECASE)
_SPACE_OR_CONTROL_RE = re.compile(r"[\x00-\x20\x7f-\x9f]|\s")
_AUTHORITY_END_RE = re.compile(r"[/?#]")
_HOST_LABEL_RE = re.compile(r"[A-Za-z0-9_-]+")  # after IDNA encoding; "_" is common enough in real hosts


def refused_feed_url(url: str) -> str | None:
    """Why ``url`` cannot be subscribed to, in a short sentence; None when it can."""
    if len(url) > MAX_FEED_URL_LENGTH:
        return f"not a valid URL (longer than {MAX_FEED_URL_LENGTH} characters)"
    if not _HTTP_RE.match(url):
        return "only http:// and https:// URLs can be subscribed"
    if _SPACE_OR_CONTROL_RE.search(url):
        return "not a valid URL (it contains a space or a control character)"
    try:
        parsed = URL(url)
        host, port = parsed.raw_host, parsed.explicit_port
        if host and "xn--" in host.lower():
            parsed.host  # noqa: B018 -- decodes the IDNA (punycode) labels, which fails for a broken one
    except (ValueError, TypeError) as exc:  # UnicodeError is a ValueError
        return f"not a valid URL ({_parse_problem(exc)})"
    if not host:
        return "not a valid URL (it has no host)"
    if port is not None and not 1 <= port <= 65535:
        return "not a valid URL (the port must be a number from 1 to 65535)"
    problem = _host_problem(host, bracketed="[" in url and _host_in_brackets(url))
    return f"not a valid URL ({problem})" if problem else None


def _parse_problem(exc: BaseException) -> str:
    message = str(exc).lower()
    if "ipv6" in message:
        return "the brackets around an IPv6 address do not match"
    if "required" in message:  # "host is required for absolute URLs"
        return "it has no host"
    if "port" in message:
        return "the port must be a number from 1 to 65535"
    if isinstance(exc, UnicodeError) or "idna" in message:
        return "the host is not a valid international domain name"
    if "host" in message:
        return "the host contains a character a host name cannot have"
    return "it cannot be read as a URL"


def _host_in_brackets(url: str) -> bool:
    """Whether the URL writes its host in [ ] (an IPv6 address): yarl drops the brackets of some."""
    authority = _AUTHORITY_END_RE.split(url.split("://", 1)[1], maxsplit=1)[0]
    return authority.rpartition("@")[2].startswith("[")


def _host_problem(host: str, *, bracketed: bool) -> str | None:
    if bracketed:
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            return "the host is not a valid IPv6 address"
        return None
    name = host.removesuffix(".")  # a fully qualified name may end with the root's dot
    if len(name) > _MAX_HOST_LENGTH:
        return f"the host name is longer than {_MAX_HOST_LENGTH} characters"
    labels = name.split(".")
    if labels[-1].isdigit():  # 1.2.3.4, and 1.2.3.4.5 or 256.1.1.1 that mean to be one
        try:
            ipaddress.IPv4Address(name)
        except ValueError:
            return "the host is not a valid IPv4 address"
        return None
    for label in labels:
        if not label:
            return "the host name has an empty part between dots"
        if len(label) > _MAX_LABEL_LENGTH:
            return f"a part of the host name is longer than {_MAX_LABEL_LENGTH} characters"
        if not _HOST_LABEL_RE.fullmatch(label):
            return "the host contains a character a host name cannot have"
    return None
