"""The tables of the "Exactly once" page, produced by running the code they describe.

``http_retry_table()`` sends one request per case through ``ApiClient`` (the one place that sends HTTP requests)
against a mocked API and writes down what it did: sent it again, or raised. ``on_retry_table()`` runs
``Deliverer`` (how a later try treats a unit an earlier try may have sent) over a ledger in each state. The page
includes the files these write; ``tests/snippets/test_exactly_once_snippets.py`` checks they are current.

Regenerate both after changing the rules: ``.venv/bin/python -m tests.snippets.exactly_once_tables``.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import requests
import requests_mock as rm
from urllib3.exceptions import NewConnectionError, ProtocolError

from airflow_provider_legallymail.client.answers import Bounds
from airflow_provider_legallymail.client.settings import ClientSettings
from airflow_provider_legallymail.client.transport import ApiClient
from airflow_provider_legallymail.compat import AirflowFailException
from airflow_provider_legallymail.delivery import deliverer as deliverer_module
from airflow_provider_legallymail.delivery.deliverer import Deliverer, OnRetry, SendUnit
from airflow_provider_legallymail.delivery.ledger import AttemptState, SendLedger
from airflow_provider_legallymail.delivery.lost_sends import Lookup
from airflow_provider_legallymail.exceptions import MailApiError, RefusedError

SNIPPETS = Path(__file__).resolve().parents[2] / "docs" / "snippets"
HTTP_TABLE = "exactly_once_http_retries.md"
ON_RETRY_TABLE = "exactly_once_on_retry.md"
BASE = "https://api.example.com"
RETRY_AFTER = "7"
ANSWER_LIMIT = 1000  # bytes: the "larger than the bounds" case answers more

Answer = dict[str, Any]


def _refused_connection() -> requests.exceptions.ConnectionError:
    return requests.exceptions.ConnectionError(NewConnectionError(None, "Connection refused"))  # type: ignore[arg-type]


def _reset_after_sending() -> requests.exceptions.ConnectionError:
    return requests.exceptions.ConnectionError(ProtocolError("Connection aborted.", ConnectionResetError()))


def _status(code: int) -> Answer:
    return {"status_code": code, "headers": {"Retry-After": RETRY_AFTER}, "json": {"message": "no"}}


HTTP_CASES: list[tuple[str, list[Answer]]] = [
    (
        "never reached the server: connection refused, DNS failure, connect timeout, TLS handshake failure",
        [
            {"exc": _refused_connection()},
            {"exc": requests.exceptions.ConnectTimeout("connect timeout")},
            {"exc": requests.exceptions.SSLError("handshake failed")},
        ],
    ),
    ("429 Too Many Requests", [_status(429)]),
    ("503 Service Unavailable", [_status(503)]),
    ("502, 504 (a gateway failed)", [_status(502), _status(504)]),
    ("500", [_status(500)]),
    ("501 and other 5xx", [_status(501), _status(505)]),
    ("read timeout", [{"exc": requests.exceptions.ReadTimeout("read timeout")}]),
    ("connection reset after the request was sent", [{"exc": _reset_after_sending()}]),
    ("an answer larger than the provider reads", [{"text": "x" * (2 * ANSWER_LIMIT)}]),
    ("408, 425", [_status(408), _status(425)]),
    (
        "400, 401, 403, 404, 405, 409, 422 and every other 4xx",
        [_status(code) for code in (400, 401, 403, 404, 405, 409, 410, 422)],
    ),
]
METHOD_COLUMNS: list[tuple[str, tuple[str, ...]]] = [
    ("GET", ("GET",)),
    ("PUT", ("PUT",)),
    ("POST, DELETE", ("POST", "DELETE")),
]


def _attempts(method: str, answers: list[Answer]) -> tuple[int, list[float], MailApiError | None]:
    """Send ``method /x`` (``max_retries=1``) to an API that gives ``answers``, then 200: calls, waits, error."""
    sleeps: list[float] = []
    settings = ClientSettings(base_url=BASE, token="docs-table-token", max_retries=1)
    client = ApiClient(settings, sleep=sleeps.append, bounds=Bounds(answer_bytes=ANSWER_LIMIT))
    with rm.Mocker() as mock:
        mock.register_uri(method, f"{BASE}/x", [*answers, {"json": {"ok": True}}])
        try:
            client.request(method, "/x")
        except MailApiError as exc:
            return mock.call_count, sleeps, exc
    return mock.call_count, sleeps, None


def http_outcome(method: str, first: Answer) -> str:
    """What ``ApiClient`` does when a request's attempt meets ``first``: send it again, or raise which error."""
    calls, sleeps, error = _attempts(method, [first])
    if isinstance(error, RefusedError):
        return "`RefusedError`: the task fails at once, without Airflow's retries"
    if error is not None:
        assert calls == 1, f"{method} {first}: raised {error!r} after {calls} attempts"
        return f"`{type(error).__name__}`, not sent again"
    wait = "its `Retry-After`" if sleeps == [float(RETRY_AFTER)] else "a backoff"
    _, _, twice = _attempts(method, [first, first])  # max_retries=1: a second one is beyond it
    beyond = ", not counted in `max_retries`" if twice is None else ""
    return f"sent again after {wait}{beyond}"


def http_retry_table() -> str:
    lines = [
        "| what happened | " + " | ".join(name for name, _ in METHOD_COLUMNS) + " |",
        "|---|" + "---|" * len(METHOD_COLUMNS),
    ]
    for label, answers in HTTP_CASES:
        cells = []
        for column, methods in METHOD_COLUMNS:
            seen = {http_outcome(method, answer) for method in methods for answer in answers}
            assert len(seen) == 1, f"{label!r} under {column} behaves in several ways: split the row: {seen}"
            cells.append(seen.pop())
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


# -- what a later try does with a unit -------------------------------------------------------------------
REQUEST = {"recipients": ["ana@example.com"], "subject": "Notice"}
EARLIER: list[tuple[str, Callable[[SendLedger], None]]] = []


def _earlier(label: str) -> Callable[[Callable[[SendLedger], None]], Callable[[SendLedger], None]]:
    def register(record: Callable[[SendLedger], None]) -> Callable[[SendLedger], None]:
        EARLIER.append((label, record))
        return record

    return register


@_earlier("none (the first try, or no earlier try reached the send)")
def _none(ledger: SendLedger) -> None:
    ledger.start_try(1)


@_earlier("refused by the API (4xx), 429, 503, or never reached it")
def _not_processed(ledger: SendLedger) -> None:
    ledger.start_try(1)
    ledger.begin("unit", 1, REQUEST)
    ledger.finish("unit", AttemptState.NOT_PROCESSED, error="HTTP 503")


@_earlier("sent: the API accepted it and its ids are recorded")
def _accepted(ledger: SendLedger) -> None:
    ledger.start_try(1)
    ledger.begin("unit", 1, REQUEST)
    ledger.finish("unit", AttemptState.ACCEPTED, result={"id": "earlier"})


@_earlier("outcome unknown: answer lost (read timeout, reset, 500, 502, 504) or the worker lost mid-send")
def _in_doubt(ledger: SendLedger) -> None:
    ledger.start_try(1)
    ledger.begin("unit", 1, REQUEST)


@_earlier("the ledger lacks an earlier try (kept on another worker's disk, or the try failed before writing)")
def _missing_try(ledger: SendLedger) -> None:
    pass


@contextmanager
def _no_settle_wait() -> Iterator[None]:
    pause = deliverer_module.pause
    deliverer_module.pause = lambda seconds: None
    try:
        yield
    finally:
        deliverer_module.pause = pause


def retry_outcome(record: Callable[[SendLedger], None], on_retry: OnRetry, *, listable: bool, found: bool) -> str:
    """What try 2 does with the unit after ``record`` wrote try 1's attempts (the look-up finds it or not)."""
    actions: list[str] = []

    def send() -> dict[str, Any]:
        actions.append("send")
        return {"id": "new"}

    def lookup(request: dict[str, Any], since: datetime) -> Lookup:
        actions.append("look up")
        return Lookup({"id": "earlier"} if found else None, covered=True)

    with tempfile.TemporaryDirectory() as base, _no_settle_wait():
        ledger = SendLedger.at(base, "dag", "run", "task")
        record(ledger)
        ledger = SendLedger.at(base, "dag", "run", "task").load()
        ledger.start_try(2)
        unit = SendUnit("unit", "email", REQUEST, send, lookup if listable else None)
        try:
            result = Deliverer(ledger, on_retry, 2, datetime.now(timezone.utc)).deliver(unit)
        except AirflowFailException:
            actions.append("fail")
        else:
            actions.append("adopt" if result.get("adopted") else "")
    return " ".join(a for a in actions if a)


WORDS = {
    "send": "send",
    "adopt": "adopt the recorded ids, send nothing",
    "fail": "fail the task",
    "look up adopt": "look it up: adopt it if found, send it if provably absent",
}


def _cell(record: Callable[[SendLedger], None], on_retry: OnRetry) -> str:
    def said(listable: bool) -> str:
        found = retry_outcome(record, on_retry, listable=listable, found=True)
        absent = retry_outcome(record, on_retry, listable=listable, found=False)
        if found == "look up adopt" and absent == "look up send":
            return WORDS[found]
        assert found == absent, f"{found!r} / {absent!r}: a case the table's words do not cover"
        return WORDS[found]

    email, sms = said(listable=True), said(listable=False)
    return email if email == sms else f"email, signature: {email}; SMS: {sms}"


def on_retry_table() -> str:
    columns = [OnRetry.ADOPT, OnRetry.RESEND, OnRetry.FAIL]
    header = "| earlier attempt of this unit | " + " | ".join(f'`on_retry="{c.value}"`' for c in columns) + " |"
    lines = [header.replace('"adopt"`', '"adopt"` (default)'), "|---|" + "---|" * len(columns)]
    for label, record in EARLIER:
        lines.append(f"| {label} | " + " | ".join(_cell(record, c) for c in columns) + " |")
    return "\n".join(lines) + "\n"


TABLES: dict[str, Callable[[], str]] = {HTTP_TABLE: http_retry_table, ON_RETRY_TABLE: on_retry_table}


def main() -> None:
    logging.getLogger("airflow_provider_legallymail").setLevel(logging.ERROR)  # the retries' own log lines
    for name, table in TABLES.items():
        (SNIPPETS / name).write_text(table())
        print(f"wrote docs/snippets/{name}")


if __name__ == "__main__":
    main()
