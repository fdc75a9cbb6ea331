"""Typed errors raised by the hooks: one base class, one subclass per kind of failure.

Every error keeps the HTTP status code (None for client-side checks), the method, the endpoint path and
the API's own message. None of them ever holds the connection's token: every text an error keeps goes
through ``redaction.scrub`` when the error is built, whoever builds it.

Refusals that another try cannot change (bad input, a permanent 4xx, an unusable connection) derive from
``RefusedError``, which is also an ``AirflowFailException``: Airflow fails the task without spending its
retries on them, wherever they are raised (an operator, or a hook called from a ``@task``). 429, 5xx and
network failures stay ordinary errors that retries may cure.
"""

from __future__ import annotations

import json
from typing import Any

from airflow.exceptions import AirflowException  # type: ignore[attr-defined]  # re-exported in 3.2+

from airflow_provider_legallymail.compat import AirflowFailException
from airflow_provider_legallymail.redaction import scrub


class MailApiError(AirflowException):
    """Base of every error this provider raises about a LegallyMail or Legitmailer call."""

    default_status: int | None = None

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        method: str | None = None,
        endpoint: str | None = None,
        api_message: str | None = None,
    ) -> None:
        self.status_code = status_code if status_code is not None else self.default_status  # type: ignore[assignment]
        self.method = scrub(method) if method else method
        self.endpoint = scrub(endpoint) if endpoint else endpoint
        self.api_message = scrub(api_message) if api_message else api_message
        self.message = scrub(message)
        super().__init__(self._render())

    def _render(self) -> str:
        where = " ".join(part for part in (self.method, self.endpoint) if part)
        status = f"HTTP {self.status_code}" if self.status_code is not None else ""
        prefix = ", ".join(part for part in (where, status) if part)
        return f"{prefix}: {self.message}" if prefix else self.message


class RefusedError(MailApiError, AirflowFailException):
    """Refused for good: sending the same request again cannot succeed, so Airflow does not retry it."""


class ConfigurationError(RefusedError):
    """The connection itself is unusable (bad extra, plain http to a remote host...)."""


class ValidationError(RefusedError):
    """Invalid input: rejected client-side before any request, or answered 400 by the API."""

    default_status = None

    def __init__(self, message: str, *, field: str | None = None, **kwargs: Any) -> None:
        self.field = field
        super().__init__(message, **kwargs)


class AuthenticationError(RefusedError):
    """401: the token is invalid or missing."""

    default_status = 401


class PermissionDeniedError(RefusedError):
    """403: no permission for this call, or no credits left on the account."""

    default_status = 403


class NotFoundError(RefusedError):
    """404: the tracking id, uuid, template or contact does not exist."""

    default_status = 404


class MethodNotAllowedError(RefusedError):
    """405: the endpoint does not accept this method."""

    default_status = 405


class RateLimitedError(MailApiError):
    """429 that could not be waited out within the retry limits."""

    default_status = 429

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)


class ServerError(MailApiError):
    """5xx from the API (after the retries allowed for this method)."""


class ConnectionFailedError(MailApiError):
    """The API could not be reached at all; the request was never delivered."""


class OutcomeUnknownError(MailApiError):
    """A non-idempotent request (a send) may or may not have been processed.

    Raised instead of sending again: the read timed out, the connection was reset after the request was
    written, or a gateway answered 502/504. Look the send up (``list_emails`` / ``list_signatures``)
    before deciding to send again.

    ``sent_at``: when the request whose answer was lost went out (epoch seconds), which may be well after
    the call began (a wait for the request budget, earlier attempts refused with 429/503 and their
    backoff); the API may commit it until ``timeout`` + ``settle_seconds`` after that. None when unknown.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        method: str | None = None,
        endpoint: str | None = None,
        api_message: str | None = None,
        sent_at: float | None = None,
    ) -> None:
        self.sent_at = sent_at
        super().__init__(message, status_code=status_code, method=method, endpoint=endpoint, api_message=api_message)


class UnreadableAnswerError(MailApiError):
    """An answer the provider does not read: larger or slower than its bounds, JSON nested too deep or not
    JSON at all, an encoding it does not decode, a timestamp out of range. The message names the bound.

    A send whose answer is unreadable raises ``OutcomeUnknownError`` instead (it may have been processed).
    """


class EvidenceIntegrityError(MailApiError):
    """A certificate or signed document does not have the SHA-256 the API (or the archive's manifest) gives.

    The message names the file, its source URL and both hashes; nothing is written under the file's name.
    """


NOT_PROCESSED_STATUSES = frozenset({429, 503})
"""Answers the APIs give before processing a request: sending it again cannot make a duplicate."""


def proves_not_processed(exc: BaseException) -> bool:
    """True when ``exc`` proves the API did not process the request: refused (4xx, 429, 503) or never reached."""
    if isinstance(exc, ServerError):
        return exc.status_code in NOT_PROCESSED_STATUSES
    return isinstance(exc, RefusedError | RateLimitedError | ConnectionFailedError)


_BY_STATUS: dict[int, type[MailApiError]] = {
    400: ValidationError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    405: MethodNotAllowedError,
    429: RateLimitedError,
}

_DEFAULT_TEXT: dict[int, str] = {
    400: "invalid data",
    401: "invalid or missing token",
    403: "permission denied; the account's credits or emails may be exhausted",
    404: "resource not found",
    405: "method not allowed",
    429: "rate limit exceeded",
}


def api_message_from_body(body: str) -> str:
    """The API's own error text: its JSON ``message``/``error`` field, or the body itself, trimmed.

    The body is scrubbed before it is parsed, and the text parsed out of it again (JSON unescapes).
    """
    body = scrub(body)
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return body.strip()[:500]
    if isinstance(data, dict):
        for key in ("message", "error", "detail", "errors"):
            value = data.get(key)
            if value:
                return scrub(value) if isinstance(value, str) else scrub(json.dumps(value))[:500]
    return body.strip()[:500]


def _class_by_range(status_code: int) -> type[MailApiError]:
    if status_code >= 500:
        return ServerError
    if 400 <= status_code < 500 and status_code not in (408, 425, 429):  # timeouts and "too early" may pass
        return RefusedError
    return MailApiError


def error_for_status(status_code: int, *, method: str, endpoint: str, body: str, **kwargs: Any) -> MailApiError:
    """Map an error response to its typed exception, keeping the status code and the API's message."""
    api_message = api_message_from_body(body)
    cls = _BY_STATUS.get(status_code) or _class_by_range(status_code)
    text = api_message or _DEFAULT_TEXT.get(status_code, "request failed")
    if status_code == 403 and "credit" not in text.lower():
        text = f"{text} (403: no permission, or the account's credits/emails may be exhausted)"
    return cls(text, status_code=status_code, method=method, endpoint=endpoint, api_message=api_message, **kwargs)


class OutcomeFailedError(MailApiError, AirflowFailException):  # type: ignore[misc]
    """A wait ended in a terminal failure: a recipient bounced, a signer declined, an SMS failed...

    It names the recipient or signer and gives the API's reason. It derives from ``AirflowFailException``,
    so the task fails at once and is not retried (the outcome will not change), and sensors raise it
    after their ``soft_fail`` handling: a declined or bounced outcome is never skipped.
    """

    def __init__(self, message: str, *, who: str, reason: str, result: Any = None, **kwargs: Any) -> None:
        self.who = who
        self.reason = reason
        self.result = result
        super().__init__(message, **kwargs)
