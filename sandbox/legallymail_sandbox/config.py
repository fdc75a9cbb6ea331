"""``SandboxConfig``: every knob of the sandbox (tokens, credits, limits, clock, timelines, storage)."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from typing import Literal, get_args

from airflow_provider_legallymail import limits

DEFAULT_LEGALLYMAIL_TOKEN = "sandbox-legallymail-token"
DEFAULT_LEGITMAILER_TOKEN = "sandbox-legitmailer-key"

# Which certificates a recipient that has read lists: only ``read`` (as the documented example shows), or
# ``delivered`` and ``read`` (the docs do not say the real API drops the delivered one; test both).
ReadCertificates = Literal["read_only", "delivered_and_read"]
READ_CERTIFICATES: tuple[str, ...] = get_args(ReadCertificates)


@dataclass(frozen=True)
class SandboxConfig:
    """How a sandbox starts; ``POST /_sandbox/reset`` brings a running sandbox back to exactly this.

    Times of the timelines are sandbox seconds (see ``speed``); ``rate_window`` is real seconds.
    """

    legallymail_token: str = DEFAULT_LEGALLYMAIL_TOKEN
    legitmailer_token: str = DEFAULT_LEGITMAILER_TOKEN
    credits: int = 100
    sms_credits: int = 50
    max_recipients: int = limits.MAX_RECIPIENTS_DEFAULT
    rate_limit: int = limits.LEGALLYMAIL_REQUESTS_PER_MINUTE
    rate_window: float = 60.0
    speed: float = 1.0
    timezone: str = "Europe/Madrid"
    delivered_after: float = 5.0
    read_after: float = 30.0
    sign_after: float = 60.0
    signature_ttl: float = 7 * 24 * 3600.0
    sms_delivered_after: float = 5.0
    sms_confirmed_after: float = 10.0
    read_certificates: ReadCertificates = "read_only"
    db_path: str | None = None
    account_email: str = "sandbox@example.com"
    account_name: str = "Sandbox User"

    def __post_init__(self) -> None:
        if not self.legallymail_token.strip() or not self.legitmailer_token.strip():
            raise ValueError("the sandbox tokens must not be empty")
        for name in ("credits", "sms_credits", "rate_limit"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        if self.max_recipients < 1:
            raise ValueError("max_recipients must be >= 1")
        if self.rate_window <= 0:
            raise ValueError("rate_window must be > 0")
        if self.speed < 0:
            raise ValueError("speed must be >= 0")
        for name in ("delivered_after", "read_after", "sign_after", "sms_delivered_after", "sms_confirmed_after"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        if self.read_certificates not in READ_CERTIFICATES:
            raise ValueError(f"read_certificates must be one of {', '.join(READ_CERTIFICATES)}")
        if self.signature_ttl <= 0:
            raise ValueError("signature_ttl must be > 0")
        try:
            zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {self.timezone!r}") from None
