"""A deadline for a whole HTTP exchange (connect, send, every byte of the answer), not per read.

``requests``' ``timeout`` bounds each socket operation: a server that sends 2 bytes a second never trips it
and holds the call for as long as it likes. Here a timer shuts the exchange's socket down when its deadline
passes, which ends whatever read or write is blocked on it; the caller then sees ``Deadline.expired``.

The socket is found through the connection classes of the ``requests`` session's adapter
(``bounded_session``): each connection registers itself with the deadline of the calling thread when a
request starts on it. Readers of the body also look at ``Deadline.expired`` between chunks.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3 import poolmanager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

_current = threading.local()


class Deadline:
    """``seconds`` from now; the connections registered with it are shut down when it passes."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._at = time.monotonic() + seconds
        self._lock = threading.Lock()
        self._connections: list[Any] = []
        self._expired = False

    @property
    def expired(self) -> bool:
        return self._expired or time.monotonic() >= self._at

    def watch(self, connection: Any) -> None:
        with self._lock:
            self._connections.append(connection)
            expired = self._expired
        if expired:
            _cut(connection)

    def expire(self) -> None:
        with self._lock:
            self._expired = True
            connections = list(self._connections)
        for connection in connections:
            _cut(connection)


def _cut(connection: Any) -> None:
    """End every blocked read or write on ``connection``'s socket (the pool then drops the connection)."""
    sock = getattr(connection, "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[Deadline]:
    """The calling thread's exchanges in this block end at the latest ``seconds`` from now."""
    limit = Deadline(seconds)
    outer = getattr(_current, "deadline", None)
    _current.deadline = limit
    timer = threading.Timer(seconds, limit.expire)
    timer.daemon = True
    timer.start()
    try:
        yield limit
    finally:
        timer.cancel()
        _current.deadline = outer


def current() -> Deadline | None:
    """The calling thread's innermost ``deadline``, if any."""
    return getattr(_current, "deadline", None)


class _Watched:
    """Mixin for urllib3 connections: register with the calling thread's deadline when used."""

    def connect(self) -> None:
        _register(self)
        super().connect()  # type: ignore[misc]

    def request(self, *args: Any, **kwargs: Any) -> None:
        _register(self)
        super().request(*args, **kwargs)  # type: ignore[misc]


def _register(connection: Any) -> None:
    limit = current()
    if limit is not None:
        limit.watch(connection)


class _HTTPConnection(_Watched, HTTPConnection):
    pass


class _HTTPSConnection(_Watched, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


def _watched(manager: Any) -> Any:
    if manager.pool_classes_by_scheme is poolmanager.pool_classes_by_scheme:  # not SOCKS: its pools are its own
        manager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
    return manager


class _DeadlineAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        _watched(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        return _watched(super().proxy_manager_for(proxy, **proxy_kwargs))


def bounded_session() -> requests.Session:
    """A ``requests`` session whose exchanges honour ``deadline``."""
    session = requests.Session()
    for prefix in ("http://", "https://"):
        session.mount(prefix, _DeadlineAdapter())
    return session
