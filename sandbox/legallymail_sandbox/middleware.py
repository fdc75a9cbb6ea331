"""The ASGI middleware in front of both APIs: request log, fault injection and LegallyMail's rate limit.

The request log (``GET /_sandbox/requests``, and the ``--db`` file) keeps no token, accepted or refused: the
``Authorization`` header and a ``token`` field of the JSON body or the query keep a digest in its place
(``token_digest``), enough to tell which token a request carried.

Order for every API request: log it; apply a matching fault (latency, then an error status answered
before processing); apply the rate limit (``/legallymail/api/*`` only); run the route; for a
``drop_response`` fault, discard the answer and abort the TCP connection before any byte is sent; for a
``tamper`` fault, change one byte of the answer's body.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import math
from collections.abc import Awaitable, Callable, MutableMapping
from email.utils import formatdate
from typing import Any
from urllib.parse import parse_qsl

from legallymail_sandbox.apis import (
    CONTROL,
    LEGALLYMAIL,
    LEGITMAILER,
    error_response,
    split_path,
)
from legallymail_sandbox.clock import iso_utc
from legallymail_sandbox.faults import Fault, tampered
from legallymail_sandbox.protocol import TRANSPORT_KEY
from legallymail_sandbox.runtime import Sandbox

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

log = logging.getLogger(__name__)
LOGGED_STRING_MAX = 4096


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def _shorten(value: Any) -> Any:
    """Long strings (base64 documents) are logged as their start and length."""
    if isinstance(value, str) and len(value) > LOGGED_STRING_MAX:
        return f"{value[:64]}...({len(value)} characters)"
    if isinstance(value, dict):
        return {k: _shorten(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shorten(v) for v in value]
    return value


def token_digest(token: object) -> str:
    """What the request log keeps of a token: ``sha256:`` and the first 8 hex digits of its SHA-256."""
    text = token if isinstance(token, str) else json.dumps(token)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:8]


def _authorization(value: str) -> str:
    """``Bearer <token>`` -> ``Bearer <digest>``; a bare token -> its digest."""
    scheme, _, credential = value.strip().partition(" ")
    if credential and scheme.lower() == "bearer":
        return f"{scheme} {token_digest(credential.strip())}"
    return token_digest(value.strip())


def _without_token(data: Any) -> Any:
    if isinstance(data, dict) and data.get("token") is not None:
        return {**data, "token": token_digest(data["token"])}
    return data


def _log_entry(scope: Scope, api: str, path: str, body: bytes, now: float) -> dict[str, Any]:
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope.get("headers", []):
        name, value = raw_name.decode("latin-1").lower(), raw_value.decode("latin-1")
        if name == "authorization":
            value = _authorization(value)
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    query = dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))
    entry: dict[str, Any] = {
        "time": iso_utc(now),
        "api": api,
        "method": scope["method"],
        "path": path,
        "full_path": scope["path"],
        "query": _without_token(query),
        "json": None,
        "headers": headers,
        "client_ip": (scope.get("client") or ("", 0))[0],
        "status": None,
        "fault": None,
        "dropped": False,
    }
    if body:
        try:
            entry["json"] = _shorten(_without_token(json.loads(body)))
        except ValueError:
            entry["body"] = _shorten(body.decode("utf-8", errors="replace"))
    return entry


def _tampering(send: Send) -> Send:
    """A ``send`` that changes one byte of the first non-empty body chunk (a ``tamper`` fault)."""
    done = False

    async def tampering_send(message: Message) -> None:
        nonlocal done
        if message["type"] == "http.response.body" and message.get("body") and not done:
            done = True
            message = {**message, "body": tampered(message["body"])}
        await send(message)

    return tampering_send


class SandboxMiddleware:
    def __init__(self, app: ASGIApp, sandbox: Sandbox) -> None:
        self.app = app
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api, path = split_path(scope["path"])
        if api == CONTROL:
            await self._run(scope, receive, send, api)
            return
        body = await _read_body(receive)
        replay = _replay(body, receive)
        state = self.sandbox.state
        entry = _log_entry(scope, api, path, body, self.sandbox.now())
        state.log_request(entry)

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry["status"] = message["status"]
                date = formatdate(self.sandbox.now(), usegmt=True).encode()  # the sandbox clock, as APIs do
                message = {**message, "headers": [*message.get("headers", []), (b"date", date)]}
            await send(message)

        try:
            await self._handle(scope, replay, recording_send, api, path, entry)
        finally:
            state.save_request(entry)

    async def _handle(
        self, scope: Scope, receive: Receive, send: Send, api: str, path: str, entry: dict[str, Any]
    ) -> None:
        fault: Fault | None = None
        if api in (LEGALLYMAIL, LEGITMAILER):
            fault = self.sandbox.faults.pick(api, scope["method"], path)
        if fault is not None:
            entry["fault"] = fault.id
            if fault.status is not None:
                if fault.latency:
                    await asyncio.sleep(fault.latency)
                retry_after = (
                    fault.retry_after if fault.retry_after is not None else (1 if fault.status == 429 else None)
                )
                headers = {"Retry-After": str(math.ceil(retry_after))} if retry_after is not None else None
                message = f"sandbox fault: HTTP {fault.status}"
                await error_response(api, fault.status, message, headers)(scope, receive, send)
                return
        if api == LEGALLYMAIL and path.startswith("/api/"):
            client_ip = (scope.get("client") or ("unknown", 0))[0]
            wait = self.sandbox.limiter.check(client_ip)
            if wait is not None:
                limiter = self.sandbox.limiter
                message = f"Rate limit exceeded: {limiter.limit} requests per {limiter.window:g} seconds per IP address"
                await error_response(api, 429, message, {"Retry-After": str(wait)})(scope, receive, send)
                return
        if fault is not None and fault.latency and fault.status is None:
            # Admitted (and counted by the rate limit) on arrival, as a gateway does; then slow to process.
            await asyncio.sleep(fault.latency)
        if fault is not None and fault.drop_response:
            await self._run_and_drop(scope, receive, send, api, entry)
            return
        if fault is not None and fault.tamper:
            await self._run(scope, receive, _tampering(send), api)
            return
        await self._run(scope, receive, send, api)

    async def _run(self, scope: Scope, receive: Receive, send: Send, api: str) -> None:
        """Run the routes; an unexpected exception becomes a 500 in the API's error format."""
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            log.exception("sandbox: unexpected error in %s %s", scope["method"], scope["path"])
            if started:
                raise
            await error_response(api, 500, f"internal server error: {type(exc).__name__}")(scope, receive, send)

    async def _run_and_drop(self, scope: Scope, receive: Receive, send: Send, api: str, entry: dict[str, Any]) -> None:
        """Commit the operation, then close the connection without sending any byte of the answer."""
        transport = scope.get("extensions", {}).get(TRANSPORT_KEY)
        if transport is None:
            message = "drop_response needs the sandbox's uvicorn protocol (SandboxServer or the CLI)"
            await error_response(api, 500, message)(scope, receive, send)
            return

        async def discard(message: Message) -> None:
            if message["type"] == "http.response.start":
                entry["status"] = message["status"]

        await self._run(scope, receive, discard, api)
        entry["dropped"] = True
        transport.abort()
        # Let uvicorn see the connection as lost before this app returns, so it neither writes a 500 nor
        # logs "returned without starting response".
        for _ in range(3):
            await asyncio.sleep(0)
