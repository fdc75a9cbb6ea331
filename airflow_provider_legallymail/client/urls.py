"""Where a URL really goes: the origin the HTTP library will connect to, or a refusal.

``urllib.parse`` and ``requests``/``urllib3`` do not always read a URL's host the same way: in
``https://other.example\\@legallymail.com/`` the first sees ``legallymail.com`` and the second connects to
``other.example``; ``legallymail%2Ecom`` is decoded by one and not the other. The token must go only where
the library will really connect, so a URL's origin is read from the URL exactly as ``requests`` prepares
it, and a URL is refused when the parsers disagree or when it holds anything they may read two ways
(user info, backslashes, whitespace or control characters, non-ASCII or percent-encoded host names).

``requests`` and ``urllib3`` are imported on the first call, not at import.
"""

from __future__ import annotations

import ipaddress
import unicodedata
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import SplitResult, urlsplit

from airflow_provider_legallymail.exceptions import ConfigurationError

if TYPE_CHECKING:
    from urllib3.util import Url

DEFAULT_PORTS = {"http": 80, "https": 443}


class Origin(NamedTuple):
    """Scheme, host and port (default port made explicit); two URLs share an origin when these are equal."""

    scheme: str
    host: str  # lower case; an IP literal in its compressed form, without brackets
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{self.scheme}://{host}:{self.port}"


def is_loopback(hostname: str) -> bool:
    if hostname.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(hostname.strip("[]")).is_loopback
    except ValueError:
        return False


def shown(url: str) -> str:
    """A URL as an error quotes it: as written, without its query, fragment or password, and cut short."""
    text = url.split("?", 1)[0].split("#", 1)[0]
    scheme, sep, rest = text.partition("://")
    userinfo, at, hostpart = rest.rpartition("@")
    if sep and at and ":" in userinfo:
        text = f"{scheme}://{userinfo.split(':', 1)[0]}:***@{hostpart}"
    return text if len(text) <= 200 else text[:200] + "..."


def tried(url: str) -> str:
    """A URL that passed ``checked_origin``, as the library sends it: scheme, host, port and path."""
    parts = urlsplit(url)
    return f"{_origin(parts)}{parts.path}"


def checked_origin(url: str, field: str) -> Origin:
    """The origin ``requests`` will connect to for ``url``; ``ConfigurationError`` naming ``field`` if refused.

    Nothing is sent: the URL is only parsed (by ``urllib.parse``, by ``urllib3`` and as ``requests``
    prepares it), and all of them must agree.
    """
    problem = _problem(url)
    if problem is None:
        origin = _origin(urlsplit(url))
        if origin.scheme == "http" and not is_loopback(origin.host):
            problem = f"plain http:// is refused for {origin.host!r}; use https:// (http is allowed only for loopback)"
        else:
            return origin
    raise ConfigurationError(f"{field}: {shown(url)!r} is refused: {problem}")


def _problem(url: str) -> str | None:
    """Why ``url`` is refused, or None."""
    if not url:
        return "it is empty"
    for position, ch in enumerate(url):
        if ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Zs"):
            return f"it contains whitespace or a control character (U+{ord(ch):04X} at position {position})"
    if "\\" in url:
        return "it contains a backslash, which URL parsers read in different ways"
    try:
        parts = urlsplit(url)
        origin = _origin(parts)
    except ValueError as exc:
        return f"it is not a valid URL ({exc})"
    if origin.scheme not in DEFAULT_PORTS or not origin.host:
        return "it is not an absolute http(s) URL"
    if "@" in parts.netloc:
        return "it contains user info (user:password@); the token comes from the connection"
    if not parts.netloc.isascii():
        return "its host is not ASCII, and the HTTP library would rewrite it (IDNA); write the host in ASCII"
    if "%" in parts.netloc:
        return "its host is percent-encoded, which URL parsers decode in different ways"
    return _disagreement(url, origin)


def _disagreement(url: str, origin: Origin) -> str | None:
    """Compare our reading with urllib3's and with the URL ``requests`` will really send."""
    import requests
    from requests.models import PreparedRequest
    from urllib3.util import parse_url

    prepared = PreparedRequest()
    try:
        prepared.prepare_url(url, None)
        readings = {
            "urllib3": _library_origin(parse_url(url)),
            "requests": _library_origin(parse_url(prepared.url or "")),
            "the prepared URL": _origin(urlsplit(prepared.url or "")),
        }
    except (requests.RequestException, ValueError) as exc:  # urllib3's LocationParseError is a ValueError
        return f"the HTTP library cannot send it ({exc})"
    for reader, reading in readings.items():
        if reading != origin:
            return f"urllib.parse reads its origin as {origin} but {reader} as {reading}"
    return None


def _origin(parts: SplitResult) -> Origin:
    """Raises ValueError for a port out of range or a malformed IPv6 literal."""
    scheme = parts.scheme.lower()
    return Origin(scheme, _host(parts.hostname or ""), parts.port or DEFAULT_PORTS.get(scheme, 0))


def _library_origin(parsed: Url) -> Origin:
    scheme = (parsed.scheme or "").lower()
    return Origin(scheme, _host(parsed.host or ""), parsed.port or DEFAULT_PORTS.get(scheme, 0))


def _host(host: str) -> str:
    host = host.strip("[]").lower()
    try:
        return ipaddress.ip_address(host).compressed
    except ValueError:
        return host
