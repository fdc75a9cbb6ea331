"""``ApiClient``: the one place that sends HTTP requests for both hooks.

It owns the ``requests`` session, URL joining, authentication (Bearer header, or LegallyMail's ``token``
body field), the timeout, the ``User-Agent``, the request budget, retries and the mapping of error
responses to typed exceptions. The token is only ever sent to the connection's own origin. Every answer is
read within the bounds of ``client.answers`` (size, the exchange's whole time, JSON depth), and a JSON
answer is scrubbed of the token before anyone sees it.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests

from airflow_provider_legallymail import __version__
from airflow_provider_legallymail.client.answers import (
    ACCEPT_ENCODING,
    ERROR_BODY_BYTES,
    BeyondBounds,
    Bounds,
    decoded_chunks,
    parse_json,
    read_body,
    too_slow,
)
from airflow_provider_legallymail.client.attempts import going_out
from airflow_provider_legallymail.client.budget import RequestBudget
from airflow_provider_legallymail.client.deadline import Deadline, bounded_session, current, deadline
from airflow_provider_legallymail.client.retry import (
    GATEWAY_STATUSES,
    IDEMPOTENT_METHODS,
    SAFE_METHODS,
    RetryPolicy,
    failure_reason,
    never_reached_server,
    parse_http_date,
    parse_retry_after,
)
from airflow_provider_legallymail.client.settings import ClientSettings
from airflow_provider_legallymail.client.urls import checked_origin, shown, tried
from airflow_provider_legallymail.exceptions import (
    NOT_PROCESSED_STATUSES,
    ConfigurationError,
    ConnectionFailedError,
    MailApiError,
    OutcomeUnknownError,
    UnreadableAnswerError,
    api_message_from_body,
    error_for_status,
)
from airflow_provider_legallymail.redaction import scrub

log = logging.getLogger(__name__)

USER_AGENT = f"airflow-provider-legallymail/{__version__} python-requests/{requests.__version__}"
CONNECT_TIMEOUT_CAP = 10.0
MAX_REDIRECTS = 10


def pause(seconds: float) -> None:
    """Wait before a retry (a module function so tests can replace it)."""
    time.sleep(seconds)


class ApiClient:
    """Sends requests to one API origin with the connection's token, budget and retry policy."""

    def __init__(
        self,
        settings: ClientSettings,
        *,
        policy: RetryPolicy | None = None,
        budget: RequestBudget | None = None,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] | None = None,
        bounds: Bounds | None = None,
    ) -> None:
        self.settings = settings
        self.bounds = bounds or Bounds()
        self.policy = policy or RetryPolicy(max_retries=settings.max_retries)
        self.budget = budget or RequestBudget(
            settings.base_url, settings.requests_per_minute, window=settings.rate_window
        )
        self.session = session or bounded_session()
        self.session.headers["User-Agent"] = USER_AGENT
        self._sleep = sleep
        self.server_offset: float | None = None  # server clock - local clock, from the last Date header

    # -- public ------------------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Mapping[str, Any] | None = None,
        idempotent: bool | None = None,
    ) -> requests.Response:
        """Send ``method path`` with retries; return the 2xx response or raise a ``MailApiError``."""
        method = method.upper()
        url = f"{self.settings.base_url}/{path.lstrip('/')}"
        headers, body = self._authenticate(json)
        return self._send(method, url, path, headers=headers, params=params, body=body, idempotent=idempotent)

    def request_json(self, method: str, path: str, **kwargs: Any) -> Any:
        """The answer's JSON, every string in it scrubbed of the token (``answers.parse_json``)."""
        response = self.request(method, path, **kwargs)
        if response.status_code == 204 or not response.content:
            return {}
        try:
            return parse_json(response.content, self.settings.token)
        except (BeyondBounds, ValueError) as exc:
            reason = exc.reason if isinstance(exc, BeyondBounds) else "the API answered with a body that is not JSON"
            raise UnreadableAnswerError(
                reason, status_code=response.status_code, method=method.upper(), endpoint=path
            ) from None

    def download(self, url: str) -> bytes:
        """GET an absolute URL (certificate, signed document), following redirects one hop at a time.

        Every hop's origin is read as the HTTP library will connect (``urls.checked_origin``, which refuses
        URLs that parsers read differently). The token goes only to the connection's own origin, and never
        again once a redirect has left it (another host or port, or https -> http). The bounds of
        ``download_to`` apply.
        """
        body = bytearray()
        self.download_to(url, body.extend)
        return bytes(body)

    def _fetch(self, url: str, *, stream: bool) -> requests.Response:
        """The final (non-redirect) answer for ``url``, under the rules of ``download``."""
        own = self.settings.origin
        trusted = True
        for hop in range(MAX_REDIRECTS + 1):
            try:
                trusted = trusted and str(checked_origin(url, "url")) == own
            except ConfigurationError as exc:
                if hop == 0:
                    raise
                raise ConfigurationError(f"url: the redirect to {exc.message.removeprefix('url: ')}") from None
            headers = {"Authorization": f"Bearer {self.settings.token}"} if trusted else {}
            endpoint = urlsplit(url).path or "/"
            response = self._send(
                "GET",
                url,
                endpoint,
                headers=headers,
                params=None,
                body=None,
                idempotent=True,
                download=True,
                stream=stream,
            )
            if not response.is_redirect:
                return response
            response.close()
            url = urljoin(url, response.headers["Location"])
        raise MailApiError(f"more than {MAX_REDIRECTS} redirects; the last went to {shown(url)!r}", method="GET")

    # -- streaming downloads (evidence archives) ---------------------------------------------------
    def download_to(self, url: str, write: Callable[[bytes], object]) -> int:
        """Stream the body behind ``url`` into ``write`` chunk by chunk; return the number of bytes.

        The same origin, redirect and retry rules as ``download`` (they apply until the body starts); memory
        stays flat in the file's size. A connection lost in the middle of the body raises
        ``ConnectionFailedError``; a body beyond ``bounds.download_bytes`` (decoded), or a download (every
        hop and the whole body) longer than its deadline, raises ``UnreadableAnswerError``. Either way what
        ``write`` received so far is incomplete and must be discarded.
        """
        written = 0
        with deadline(self.bounds.download_deadline(self.settings.timeout)) as limit:
            response = self._fetch(url, stream=True)  # checks the URL first
            endpoint = scrub(urlsplit(url).path or "/", self.settings.token)
            try:
                for chunk in decoded_chunks(response, limit, size=self.bounds.download_bytes):
                    write(chunk)
                    written += len(chunk)
            except BeyondBounds as exc:
                raise UnreadableAnswerError(
                    f"{exc.reason}; the download was stopped after {written} bytes", method="GET", endpoint=endpoint
                ) from None
            except requests.RequestException as exc:
                raise ConnectionFailedError(
                    f"{type(exc).__name__}: the download broke off after {written} bytes",
                    method="GET",
                    endpoint=endpoint,
                ) from None
            finally:
                response.close()
        return written

    # -- internals ---------------------------------------------------------------------------------
    def _authenticate(self, body: Mapping[str, Any] | None) -> tuple[dict[str, str], dict[str, Any] | None]:
        if self.settings.token_in_body:
            return {}, {**(body or {}), "token": self.settings.token}
        headers = {"Authorization": f"Bearer {self.settings.token}"}
        return headers, dict(body) if body is not None else None

    def _send(
        self,
        method: str,
        url: str,
        endpoint: str,
        *,
        headers: dict[str, str],
        params: Mapping[str, Any] | None,
        body: dict[str, Any] | None,
        idempotent: bool | None,
        download: bool = False,
        stream: bool = False,
    ) -> requests.Response:
        """The retry loop; redirects are never followed here. A download does not spend the request budget.

        A 429 is waited out (the whole host pauses, ``RequestBudget.throttled``) and sent again without
        using up ``max_retries``: it proves the request was not processed. Those waits are bounded by
        ``RetryPolicy.max_rate_limit_wait`` in all (and by the task's own ``execution_timeout``)."""
        may_repeat = method in IDEMPOTENT_METHODS if idempotent is None else idempotent
        timeout = (min(CONNECT_TIMEOUT_CAP, self.settings.timeout), self.settings.timeout)
        endpoint = scrub(endpoint, self.settings.token)
        began = time.monotonic()
        waited = 0.0
        attempt = 0
        limited = _RateLimited()
        while True:
            slot = None if download else self._take_slot(method, endpoint)
            started = time.monotonic()
            sent_at = time.time()  # when this attempt goes out: a lost answer settles from here
            if not may_repeat:
                going_out(sent_at)
            try:
                with self._deadline(download) as limit:
                    response = self._exchange(
                        limit,
                        method,
                        url,
                        params=params,
                        json=body,
                        headers={"Accept": "application/json", "Accept-Encoding": ACCEPT_ENCODING, **headers},
                        timeout=timeout,
                        allow_redirects=False,
                        stream=stream,
                    )
            except BeyondBounds as exc:
                self._settle(slot)
                raise self._unreadable(exc.reason, method, endpoint, may_repeat, sent_at) from None
            except requests.RequestException as exc:
                self._settle(slot)
                reason = self._unreached(exc, url, timeout)
                failure = _Failure(method, endpoint, attempt, waited, time.monotonic() - began, sent_at)
                wait = self._on_transport_error(exc, reason, failure, may_repeat)
            else:
                self._settle(slot)
                self._note_server_clock(response)
                log.debug("%s %s -> %s in %.3fs", method, endpoint, response.status_code, time.monotonic() - started)
                if response.status_code < 300 or (download and response.status_code < 400):
                    return response
                if response.status_code == 429:
                    wait = self._on_rate_limited(response, method, endpoint, limited, sent_at if slot is None else slot)
                    (self._sleep or pause)(wait)
                    continue
                wait = self._on_error_status(response, method, endpoint, may_repeat, attempt, waited, sent_at)
                reason = f"HTTP {response.status_code}"
            self._log_retry(method, endpoint, attempt, reason, wait, time.monotonic() - started)
            (self._sleep or pause)(wait)
            waited += wait
            attempt += 1

    @contextlib.contextmanager
    def _deadline(self, download: bool) -> Iterator[Deadline]:
        """One API exchange's deadline; a download's hops share the deadline ``download_to`` set."""
        ongoing = current() if download else None
        if ongoing is not None:
            yield ongoing
            return
        seconds = (self.bounds.download_deadline if download else self.bounds.answer_deadline)(self.settings.timeout)
        with deadline(seconds) as limit:
            yield limit

    def _exchange(self, limit: Deadline, method: str, url: str, *, stream: bool, **kwargs: Any) -> requests.Response:
        """One request and, unless it is a streamed download's body, its whole answer, read within bounds.

        ``requests`` always streams here (it would read the whole body otherwise). An error answer's body is
        cut at ``ERROR_BODY_BYTES`` (its message is all that is read of it). Raises ``BeyondBounds`` past a
        bound (the deadline too), or the ``requests`` exception of a broken exchange.
        """
        try:
            response = self.session.request(method, url, stream=True, **kwargs)
        except requests.RequestException:
            if limit.expired:
                raise too_slow(limit.seconds) from None
            raise
        if stream and response.status_code < 400:
            return response
        error = response.status_code >= 300
        read_body(response, limit, size=ERROR_BODY_BYTES if error else self.bounds.answer_bytes, cut=error)
        return response

    def _unreadable(self, reason: str, method: str, endpoint: str, may_repeat: bool, sent_at: float) -> MailApiError:
        """The typed error of an answer beyond a bound: a send's outcome is unknown (it is not sent again)."""
        if not may_repeat:
            return OutcomeUnknownError(
                f"{reason}, after the request was sent; it may have been processed, so it is not sent again",
                method=method,
                endpoint=endpoint,
                sent_at=sent_at,
            )
        return UnreadableAnswerError(reason, method=method, endpoint=endpoint)

    def _take_slot(self, method: str, endpoint: str) -> float:
        """Wait for the request budget; the slot's start, to settle once the answer is in."""
        before = time.time()
        slot = self.budget.acquire()
        if time.time() - before > 1:
            log.info("%s %s: waited %.0fs for the request budget", method, endpoint, time.time() - before)
        return slot

    def _settle(self, slot: float | None) -> None:
        if slot is not None:
            self.budget.settle(slot)

    def _on_rate_limited(
        self, response: requests.Response, method: str, endpoint: str, limited: _RateLimited, slot: float
    ) -> float:
        """The wait before sending a 429'd request again (the host pauses as long), or raise."""
        retry_after = parse_retry_after(response.headers.get("Retry-After"), time.time())
        wait = retry_after if retry_after is not None else self.policy.backoff(limited.count)
        self.budget.throttled(slot, wait)  # every process of the host pauses and slows down
        too_long = wait > self.policy.max_retry_after or limited.waited + wait > self.policy.max_rate_limit_wait
        if self.policy.max_retries == 0 or too_long:  # max_retries=0: no retries at all
            body = scrub(response.text, self.settings.token)
            raise error_for_status(429, method=method, endpoint=endpoint, body=body, retry_after=retry_after)
        limited.count += 1
        limited.waited += wait
        log.warning(
            "%s %s: rate limited (HTTP 429, %d so far); the host pauses %.1fs, then sends it again "
            "(not counted in max_retries; %.0fs of %.0fs allowed for rate-limit waits used)",
            method,
            endpoint,
            limited.count,
            wait,
            limited.waited,
            self.policy.max_rate_limit_wait,
        )
        return wait

    def _note_server_clock(self, response: requests.Response) -> None:
        """Remember how far the server's clock is from ours (its ``Date`` header is to the second)."""
        served = parse_http_date(response.headers.get("Date"))
        if served is not None:
            self.server_offset = served - time.time()

    def _log_retry(self, method: str, endpoint: str, attempt: int, reason: str, wait: float, took: float) -> None:
        """The first retry says how many more may follow and how long they may take, at most."""
        if attempt == 0:
            left = self.policy.max_retries
            bound = math.ceil(self.policy.waits_ahead(wait) + left * took)
            log.warning(
                "%s %s: attempt 1 failed (%s); retrying up to %d more time(s) over at most ~%ds, first in %.1fs",
                method,
                endpoint,
                reason,
                left,
                bound,
                wait,
            )
        else:
            log.warning("%s %s: attempt %d failed (%s), retrying in %.1fs", method, endpoint, attempt + 1, reason, wait)

    def _can_wait(self, attempt: int, waited: float, wait: float) -> bool:
        return (
            attempt < self.policy.max_retries
            and wait <= self.policy.max_retry_after
            and waited + wait <= self.policy.max_total_wait
        )

    def _unreached(self, exc: requests.RequestException, url: str, timeout: tuple[float, float]) -> str:
        """The connection and URL tried (never the token or the query) and why no answer came."""
        where = tried(url)
        if self.settings.conn_id:
            where = f"connection {self.settings.conn_id!r}, {where}"
        reason = failure_reason(exc, urlsplit(url).hostname or "", timeout)
        return scrub(f"{where}: {reason}", self.settings.token)

    def _on_transport_error(
        self, exc: requests.RequestException, reason: str, failure: _Failure, may_repeat: bool
    ) -> float:
        """Return the wait before the next attempt, or raise."""
        unsent = never_reached_server(exc)
        if not unsent and not may_repeat:
            raise OutcomeUnknownError(
                f"{reason}, after the request was sent; it may have been processed, so it is not sent again",
                method=failure.method,
                endpoint=failure.endpoint,
                sent_at=failure.sent_at,
            ) from None
        wait = self.policy.backoff(failure.attempt)
        if self._can_wait(failure.attempt, failure.waited, wait):
            return wait
        cls, outcome = (ConnectionFailedError, "could not be reached") if unsent else (MailApiError, "did not answer")
        gave_up = f"gave up after {failure.attempt + 1} attempt(s) in {failure.elapsed:.0f}s"
        raise cls(f"{reason}; the API {outcome}, {gave_up}", method=failure.method, endpoint=failure.endpoint) from None

    def _on_error_status(
        self,
        response: requests.Response,
        method: str,
        endpoint: str,
        may_repeat: bool,
        attempt: int,
        waited: float,
        sent_at: float,
    ) -> float:
        """Return the wait before the next attempt, or raise the typed error for this response."""
        status = response.status_code
        body = scrub(response.text, self.settings.token)  # before anything else reads the body
        retry_after = parse_retry_after(response.headers.get("Retry-After"), time.time())
        wait: float | None = None
        if status in NOT_PROCESSED_STATUSES:
            # Rejected before processing: safe to send again, whatever the method.
            wait = retry_after if retry_after is not None else self.policy.backoff(attempt)
        elif status in GATEWAY_STATUSES:
            if not may_repeat:
                raise OutcomeUnknownError(
                    "the gateway failed after the request was sent; it may have been processed, "
                    "so it is not sent again",
                    status_code=status,
                    method=method,
                    endpoint=endpoint,
                    api_message=api_message_from_body(body),
                    sent_at=sent_at,
                )
            wait = retry_after if retry_after is not None else self.policy.backoff(attempt)
        elif status == 500 and method in SAFE_METHODS:
            wait = self.policy.backoff(attempt)
        if wait is not None and self._can_wait(attempt, waited, wait):
            return wait
        extra: dict[str, Any] = {"retry_after": retry_after} if status == 429 else {}
        raise error_for_status(status, method=method, endpoint=endpoint, body=body, **extra)


@dataclass
class _RateLimited:
    """The 429s one call has waited out so far."""

    count: int = 0
    waited: float = 0.0


@dataclass(frozen=True)
class _Failure:
    """Where a retry loop stood when an attempt failed."""

    method: str
    endpoint: str
    attempt: int
    waited: float
    elapsed: float
    sent_at: float  # epoch seconds when the failed attempt went out
