"""One Legitmailer email, plain or from a template, sent now or queued with a delay, at most once.

The send is one ledger unit delivered by ``delivery.deliverer.Deliverer`` (no lookup: Legitmailer cannot list
sends). A queued email's result records when it is due, so a task that waits for it (also after a retry
that adopted it) knows how long; ``clock`` and ``pause`` are module functions that tests replace.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial
from typing import TYPE_CHECKING, Any

import pendulum

from airflow_provider_legallymail import validation
from airflow_provider_legallymail.delivery.deliverer import SendUnit
from airflow_provider_legallymail.hooks.legitmailer import LegitmailerHook
from airflow_provider_legallymail.storage import digest

if TYPE_CHECKING:
    from airflow_provider_legallymail.hooks.legitmailer import LegitmailerHook


def clock() -> float:
    return time.time()


def pause(seconds: float) -> None:
    time.sleep(seconds)


def _when(value: Any, field: str) -> datetime:
    if isinstance(value, str):
        try:
            parsed = pendulum.parse(value)
        except (ValueError, TypeError):
            raise validation.fail(field, f"{value!r} is not an ISO 8601 date and time") from None
        if not isinstance(parsed, datetime):
            raise validation.fail(field, f"{value!r} is not a date and time")
        value = parsed
    if not isinstance(value, datetime):
        raise validation.fail(field, f"expected a datetime, got {type(value).__name__}")
    return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)


def delay_of(delay: Any, send_at: Any, now: float) -> int | None:
    """Whole seconds to queue the email for, or None to send it now (no delay, or ``send_at`` is past)."""
    if delay is not None and send_at is not None:
        raise validation.fail("delay", "give either delay or send_at, not both")
    if delay is not None:
        if isinstance(delay, str):
            try:
                delay = float(delay)
            except ValueError:
                raise validation.fail("delay", f"{delay!r} is not a number of seconds") from None
        return validation.delay_seconds(delay)
    if send_at is not None:
        seconds = _when(send_at, "send_at").timestamp() - now
        return round(seconds) if seconds >= 1 else None
    return None


@dataclass(frozen=True)
class OutgoingEmail:
    """What to send: ``template`` + ``token_map``, or ``from_address`` + ``subject`` + ``body``."""

    to_address: Any
    from_address: Any = None
    subject: Any = None
    body: Any = None
    content_type: str = "text/html"
    template: Any = None
    token_map: Any = None
    validate: bool = False

    def check(self) -> str:
        """Validate everything before any request; returns ``"template"`` or ``"plain"``."""
        if self.template is not None:
            if any(v is not None for v in (self.from_address, self.subject, self.body)):
                raise validation.fail("template", "a template send takes no from_address, subject or body")
            LegitmailerHook.template_payload(self.template, self.to_address, self._tokens(), self.validate)
            return "template"
        LegitmailerHook.plain_payload(
            self.from_address, self.to_address, self.subject, self.body, self.content_type, self.validate
        )
        return "plain"

    def _tokens(self) -> Mapping[str, Any]:
        tokens = self.token_map if self.token_map is not None else {}
        if isinstance(tokens, str):
            try:
                tokens = json.loads(tokens)
            except ValueError:
                raise validation.fail("token_map", "a string token_map must be a JSON object") from None
        return validation.token_map(tokens)

    def key(self) -> str:
        what = f"template:{self.template}" if self.template is not None else f"subject:{self.subject}"
        return "email:" + digest(str(self.to_address).strip().lower(), what)

    def send(self, hook: LegitmailerHook, delay: int | None) -> dict[str, Any]:
        if self.template is not None:
            tokens = self._tokens()
            if delay is None:
                sent = hook.send_template_email(self.template, self.to_address, tokens, validate=self.validate)
                return {"tracking_id": sent.tracking_id}
            queued = hook.queue_template_email(
                self.template, self.to_address, tokens, delay=delay, validate=self.validate
            )
        else:
            plain = (self.from_address, self.to_address, self.subject, self.body)
            if delay is None:
                sent = hook.send_email(*plain, content_type=self.content_type, validate=self.validate)
                return {"tracking_id": sent.tracking_id}
            queued = hook.queue_email(*plain, delay=delay, content_type=self.content_type, validate=self.validate)
        due = datetime.fromtimestamp(clock() + delay, timezone.utc).isoformat()
        return {"request_id": queued.request_id, "send_at": due}

    def unit(self, hook: LegitmailerHook, delay: int | None) -> SendUnit:
        request = {"queued": delay is not None, "template": self.template, "delay": delay}
        return SendUnit(key=self.key(), kind="Legitmailer email", request=request, send=partial(self.send, hook, delay))


def wait_until(send_at: str, poke_interval: float, stopped: Callable[[], bool] = lambda: False) -> None:
    """Sleep in steps of at most ``poke_interval`` seconds until ``send_at`` has passed or ``stopped()``."""
    deadline = datetime.fromisoformat(send_at).timestamp()
    while not stopped() and (left := deadline - clock()) > 0:
        pause(min(poke_interval, left))
