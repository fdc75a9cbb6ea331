"""Connection -> client settings: base URL, token, timeouts, retries, request budget, time zone.

Every extra is parsed here, once, with an error that names the extra when its value is unusable.
No extra's name may contain a word of Airflow's secrets masker (``token``, ``password``, ``secret``...):
the UI's connection form shows such a field as ``***`` and Save stores that mask as its value.
"""

from __future__ import annotations

import ipaddress
import json
import logging
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from urllib.parse import urlsplit

import pendulum

from airflow_provider_legallymail.client.urls import checked_origin, is_loopback, shown
from airflow_provider_legallymail.exceptions import ConfigurationError
from airflow_provider_legallymail.redaction import register_secret

_SCHEMES = ("http", "https")
# LegallyMail: send the token as a "token" JSON body field. Its name before 0.1.0's release was
# "token_in_body", which the masker hides: still read when the new name is absent.
CREDENTIALS_IN_BODY = "credentials_in_body"
LEGACY_CREDENTIALS_IN_BODY = "token_in_body"
MASK = "***"  # what Airflow's secrets masker shows (and the UI form saves back) for a sensitive field

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ApiDefaults:
    """What differs between the two APIs' connections."""

    conn_type: str
    default_host: str
    requests_per_minute: int
    timezone: str
    supports_token_in_body: bool


@dataclass(frozen=True)
class ClientSettings:
    base_url: str
    token: str = field(repr=False)
    timeout: float = 30.0
    max_retries: int = 3
    requests_per_minute: int = 0
    rate_window: float = 60.0  # seconds the budget's requests_per_minute are counted over (sandbox: --rate-window)
    timezone: str = "UTC"
    token_in_body: bool = False
    max_recipients: int = 10
    settle_seconds: float = 30.0
    sandbox_speed: float = 1.0  # API seconds per real second: the sandbox's --speed; 1 for the real APIs
    conn_id: str | None = None  # named in connection errors

    def __post_init__(self) -> None:
        register_secret(self.token)

    @cached_property
    def origin(self) -> str:
        """Where the token may go: the base URL's ``scheme://host:port``, read as the HTTP library connects."""
        return str(checked_origin(self.base_url, "host"))


def build_base_url(host: str | None, schema: str | None, port: int | None, default_host: str) -> str:
    """Join the connection's host, schema and port into the API base URL.

    ``host`` may be a whole URL (``http://127.0.0.1:8080/legallymail``). When it has no scheme, a schema
    field of ``http``/``https`` gives the scheme; any other schema is a path prefix (Airflow keeps a URI's
    path there: ``legitmailer://:KEY@127.0.0.1:8080/legitmailer``), and the scheme is ``http`` for loopback
    hosts, ``https`` for every other host. Plain http to a remote host is refused.
    """
    raw = (host or "").strip()
    given = (schema or "").strip().strip("/")
    scheme = given.lower() if given.lower() in _SCHEMES else None
    prefix = f"/{given}" if raw and given and scheme is None else ""
    if not raw:
        raw = default_host
    elif "://" not in raw:
        raw = _bracket_ipv6(raw)
        raw = f"{scheme or ('http' if is_loopback(_hostname(raw)) else 'https')}://{raw}"
    checked_origin(raw, "host")
    parts = urlsplit(raw)
    path = parts.path.rstrip("/")
    if prefix and path and path != prefix:
        raise ConfigurationError(
            f"host: {shown(raw)!r} has the path {path!r} and the schema field gives another, {prefix!r}; keep one"
        )
    netloc = parts.netloc if not port or parts.port is not None else f"{parts.netloc}:{port}"
    base = f"{parts.scheme.lower()}://{netloc}{path or prefix}"
    checked_origin(base, "host")
    return base


def _bracket_ipv6(host: str) -> str:
    """Airflow reads ``[::1]`` in a URI as the host ``::1``; a URL needs the brackets back."""
    try:
        ipaddress.IPv6Address(host)
    except ValueError:
        return host
    return f"[{host}]"


def _hostname(host_without_scheme: str) -> str:
    try:
        return urlsplit(f"//{host_without_scheme}").hostname or ""
    except ValueError:  # a bad port or IPv6 literal: checked_origin says what is wrong
        return ""


def _extras(conn: Any) -> dict[str, Any]:
    extra = getattr(conn, "extra_dejson", None)
    if extra is None:
        raw = getattr(conn, "extra", None) or "{}"
        extra = json.loads(raw) if isinstance(raw, str) else dict(raw)
    return dict(extra)


def _number(extras: dict[str, Any], name: str, default: float, *, minimum: float, integer: bool) -> float:
    value = extras.get(name)
    if value is None or value == "":
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigurationError(f"extra {name!r}: {value!r} is not a number") from None
    if integer and number != int(number):
        raise ConfigurationError(f"extra {name!r}: {value!r} is not a whole number")
    if number < minimum:
        raise ConfigurationError(f"extra {name!r}: {value!r} is below the minimum {minimum:g}")
    return number


def _boolean(extras: dict[str, Any], name: str, default: bool) -> bool:
    value = extras.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes", "on", "body"):
        return True
    if text in ("false", "0", "no", "off", "header"):
        return False
    raise ConfigurationError(f"extra {name!r}: {value!r} is not a boolean")


def _timezone(extras: dict[str, Any], default: str) -> str:
    name = str(extras.get("timezone") or default)
    try:
        pendulum.timezone(name)
    except Exception:
        raise ConfigurationError(f"extra 'timezone': {name!r} is not a known IANA time zone") from None
    return name


def _credentials_in_body(extras: dict[str, Any], defaults: ApiDefaults) -> bool:
    """The ``credentials_in_body`` extra, else the legacy ``token_in_body``; a masked legacy value is an error."""
    name = CREDENTIALS_IN_BODY
    if extras.get(name) is None and extras.get(LEGACY_CREDENTIALS_IN_BODY) is not None:
        name = LEGACY_CREDENTIALS_IN_BODY
        if extras[name] == MASK:
            raise ConfigurationError(
                f"extra {name!r}: {MASK!r} is the mask Airflow's connection form shows for this field, which "
                f"its Save stored as the value; set the extra {CREDENTIALS_IN_BODY!r} (true or false) instead "
                f"and remove {name!r}"
            )
        log.warning("extra %r is deprecated: rename it to %r", name, CREDENTIALS_IN_BODY)
    enabled = _boolean(extras, name, False)
    if enabled and not defaults.supports_token_in_body:
        raise ConfigurationError(f"extra {name!r}: not supported by {defaults.conn_type} connections")
    return enabled


def settings_from_connection(conn: Any, defaults: ApiDefaults) -> ClientSettings:
    conn_id = getattr(conn, "conn_id", None)
    token = (getattr(conn, "password", None) or "").strip()
    if not token:
        raise ConfigurationError(f"connection {conn_id!r}: the API token (password field) is empty")
    register_secret(token)  # before anything below can put it in an error
    extras = _extras(conn)
    token_in_body = _credentials_in_body(extras, defaults)
    try:
        base_url = build_base_url(conn.host, conn.schema, conn.port, defaults.default_host)
    except ConfigurationError as exc:
        raise ConfigurationError(f"connection {conn_id!r}: {exc.message}") from None
    return ClientSettings(
        base_url=base_url,
        token=token,
        timeout=_number(extras, "timeout", 30.0, minimum=0.001, integer=False),
        max_retries=int(_number(extras, "max_retries", 3, minimum=0, integer=True)),
        requests_per_minute=int(
            _number(extras, "requests_per_minute", defaults.requests_per_minute, minimum=0, integer=True)
        ),
        rate_window=_number(extras, "rate_window", 60.0, minimum=0.001, integer=False),
        timezone=_timezone(extras, defaults.timezone),
        token_in_body=token_in_body,
        max_recipients=int(_number(extras, "max_recipients", 10, minimum=1, integer=True)),
        settle_seconds=_number(extras, "settle_seconds", 30.0, minimum=0, integer=False),
        sandbox_speed=_number(extras, "sandbox_speed", 1.0, minimum=1, integer=False),
        conn_id=conn_id,
    )
