"""Tell whoever is sending when a request that may change something actually goes out.

A send waits for the request budget, and may be refused (429, 503) and sent again, so it can leave well after
the caller recorded its intent. ``ApiClient`` calls ``going_out(epoch)`` right before each attempt of a
request that is not idempotent; the caller listens with ``with sending(callback): ...`` (a context variable,
so each thread and task listens to its own sends only).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_listener: ContextVar[Callable[[float], None] | None] = ContextVar("legallymail_sending", default=None)


@contextmanager
def sending(callback: Callable[[float], None]) -> Iterator[None]:
    """Call ``callback(epoch seconds)`` before every attempt of a non-idempotent request in this block."""
    token = _listener.set(callback)
    try:
        yield
    finally:
        _listener.reset(token)


def going_out(at: float) -> None:
    """Called by the client before an attempt goes out; an exception stops the attempt (nothing is sent)."""
    callback = _listener.get()
    if callback is not None:
        callback(at)
