"""Answers read within bounds, and scrubbed of the token before anything else sees them.

Every body is read streamed and decoded here, chunk by chunk (never more than ``CHUNK`` bytes out of one
compressed read, so a gzip bomb is cut like any other long body), until it ends or breaks a bound:

- an API answer: ``ANSWER_MAX_BYTES`` of decoded body (an error answer is cut at ``ERROR_BODY_BYTES``,
  all its message needs), JSON nested at most ``MAX_JSON_DEPTH`` deep;
- a download (certificate, signed document, acta): ``DOWNLOAD_MAX_BYTES`` of decoded body;
- both: the exchange's deadline (``client.deadline``), ``ANSWER_TIMEOUTS`` / ``DOWNLOAD_TIMEOUTS`` times the
  connection's ``timeout`` unless ``Bounds`` says otherwise.

A JSON answer's strings (keys and values, at any depth) are scrubbed of every registered token, raw or
encoded (``redaction.scrub``), before the hooks parse it: whatever the provider stores or shows of an answer
(return values, ledgers, manifests, links, logs) never holds the token, even when a server echoes it.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import requests
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import ProtocolError

from airflow_provider_legallymail.client.deadline import Deadline
from airflow_provider_legallymail.redaction import scrub

MIB = 1024 * 1024
ANSWER_MAX_BYTES = 8 * MIB
"""The API's answers are small JSON (a status, a list of at most 25 items): 8 MiB is far above any of them."""
ERROR_BODY_BYTES = 64 * 1024
DOWNLOAD_MAX_BYTES = 50 * MIB
"""Five times the API's 10 MB document limit (a signed PDF grows with its signatures and audit pages)."""
ANSWER_TIMEOUTS = 4
"""One API exchange (connect, send, the whole answer) ends after 4 x the connection's ``timeout``."""
DOWNLOAD_TIMEOUTS = 20
"""A download (all its redirect hops and the whole body) ends after 20 x ``timeout`` (10 minutes at 30 s)."""
MAX_JSON_DEPTH = 64
ACCEPT_ENCODING = "gzip, deflate"
"""The only encodings decoded here; a body in any other is refused."""
CHUNK = 64 * 1024


@dataclass(frozen=True)
class Bounds:
    """The bounds of ``ApiClient``'s answers; the seconds default to multiples of the connection's timeout."""

    answer_bytes: int = ANSWER_MAX_BYTES
    download_bytes: int = DOWNLOAD_MAX_BYTES
    answer_seconds: float | None = None
    download_seconds: float | None = None

    def answer_deadline(self, timeout: float) -> float:
        return self.answer_seconds if self.answer_seconds is not None else ANSWER_TIMEOUTS * timeout

    def download_deadline(self, timeout: float) -> float:
        return self.download_seconds if self.download_seconds is not None else DOWNLOAD_TIMEOUTS * timeout


class BeyondBounds(Exception):
    """An answer broke a bound; ``reason`` names it (the transport raises the provider's typed error)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def size_text(limit: int) -> str:
    return f"{limit / MIB:g} MiB" if limit >= MIB else f"{limit} bytes"


def too_slow(seconds: float) -> BeyondBounds:
    return BeyondBounds(f"the answer did not arrive whole within {seconds:g}s, the bound for one exchange")


def decoded_chunks(response: requests.Response, limit: Deadline, *, size: int, cut: bool = False) -> Iterator[bytes]:
    """The body of ``response``, decoded, chunk by chunk, under ``limit`` and ``size``.

    Beyond ``size`` decoded bytes: ``BeyondBounds``, or the end of the body when ``cut`` (error answers).
    A connection lost in the middle raises a ``requests`` exception, as ``iter_content`` does.
    """
    declared = response.headers.get("Content-Length", "")
    if not cut and declared.isdigit() and int(declared) > size:
        raise BeyondBounds(f"the answer declares {int(declared)} bytes, more than the bound of {size_text(size)}")
    codings = [c.strip().lower() for c in response.headers.get("Content-Encoding", "").split(",")]
    chunks: Iterable[bytes] = _raw_chunks(response, limit)
    for coding in reversed([c for c in codings if c not in ("", "identity")]):  # the last applied comes off first
        chunks = _decoded(chunks, coding)
    total = 0
    for chunk in chunks:
        if total + len(chunk) > size:
            if cut:
                yield chunk[: size - total]
                return
            raise BeyondBounds(f"the answer is larger than the bound of {size_text(size)}")
        total += len(chunk)
        yield chunk


def read_body(response: requests.Response, limit: Deadline, *, size: int, cut: bool = False) -> bytes:
    """The whole decoded body (see ``decoded_chunks``); ``response.content`` and ``.text`` then return it."""
    try:
        body = b"".join(decoded_chunks(response, limit, size=size, cut=cut))
    finally:
        response.close()
    response._content = body
    response._content_consumed = True  # type: ignore[attr-defined]  # iter_content then reads _content
    return body


def parse_json(body: bytes, token: str) -> Any:
    """``body`` parsed, every string in it scrubbed of ``token`` (and every registered secret).

    ``BeyondBounds`` when nested deeper than ``MAX_JSON_DEPTH``; ``ValueError`` when it is not JSON.
    """
    try:
        data = json.loads(body)
    except RecursionError:
        raise BeyondBounds(f"the answer's JSON is nested deeper than the bound of {MAX_JSON_DEPTH} levels") from None
    return _scrubbed(data, token, 0)


def _scrubbed(value: Any, token: str, depth: int) -> Any:
    if isinstance(value, str):
        return scrub(value, token)
    if isinstance(value, dict | list):
        if depth >= MAX_JSON_DEPTH:
            raise BeyondBounds(f"the answer's JSON is nested deeper than the bound of {MAX_JSON_DEPTH} levels")
        if isinstance(value, list):
            return [_scrubbed(item, token, depth + 1) for item in value]
        return {scrub(key, token): _scrubbed(item, token, depth + 1) for key, item in value.items()}
    return value


def _raw_chunks(response: requests.Response, limit: Deadline) -> Iterator[bytes]:
    try:
        for chunk in response.raw.stream(CHUNK, decode_content=False):
            if limit.expired:
                raise too_slow(limit.seconds)
            yield chunk
    except (Urllib3Error, OSError) as exc:
        if limit.expired:  # the deadline's timer shut the socket down
            raise too_slow(limit.seconds) from None
        if isinstance(exc, ProtocolError):
            raise requests.exceptions.ChunkedEncodingError(exc) from exc
        raise requests.ConnectionError(exc) from exc
    if limit.expired:
        raise too_slow(limit.seconds)


def _decoded(chunks: Iterable[bytes], coding: str) -> Iterator[bytes]:
    """``chunks`` decoded from ``coding``, never more than ``CHUNK`` bytes out of one step."""
    gzip = coding in ("gzip", "x-gzip")
    if not gzip and coding != "deflate":
        raise BeyondBounds(f"the answer is encoded as {coding[:40]!r}; only {ACCEPT_ENCODING} are read")
    decoder: Any = None
    try:
        for data in chunks:
            while data:
                if decoder is None:
                    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS if gzip else _deflate_wbits(data))
                elif decoder.eof:  # gzip allows several members in a row; other trailing bytes are ignored
                    if not (gzip and data.startswith(b"\x1f\x8b")):
                        break
                    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
                out = decoder.decompress(data, CHUNK)
                data = decoder.unused_data if decoder.eof else decoder.unconsumed_tail
                if out:
                    yield out
        if decoder is not None and (rest := decoder.flush()):
            yield rest
    except zlib.error as exc:
        raise BeyondBounds(f"the answer's {coding} body is corrupt ({exc})") from None


def _deflate_wbits(start: bytes) -> int:
    """``deflate`` is zlib-wrapped by the RFC, but some servers send raw deflate: tell them apart."""
    wrapped = len(start) >= 2 and start[0] & 0x0F == 8 and (start[0] * 256 + start[1]) % 31 == 0
    return zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS
