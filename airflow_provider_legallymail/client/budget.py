"""A client-side request budget per API host, shared by every process of this machine, that adapts to 429s.

LegallyMail allows 10 requests per minute *per IP address*; several hosts often leave through one NAT
address, and no host sees the others' requests. Every process on a host shares one budget: a sliding-window
log of requests plus the host's *effective* limit, in a small JSON file under a lock (``fcntl.flock``) in
``$LEGALLYMAIL_PROVIDER_STATE_DIR`` (default: ``<temp dir>/airflow-provider-legallymail-<uid>``), one per
API base URL. Where ``fcntl`` is missing the budget is per process.

The folder must be this user's own and private (``private_files.private_dir``). A configured one that is
not (a link, another user's, group/other permission bits) is refused with the path and the reason. The
default one sits in a temp dir every local user can write to, so anyone may have made it first: when it is
not private, this process logs why and uses a fresh private folder of its own (``mkdtemp``) instead; its
budget is then per process until the default folder is fixed or removed.

The effective limit starts at the configured ``limit`` and adapts to the 429s the host sees
(``client.adaptive``): it drops on a 429 and the whole host pauses until the answer's ``Retry-After``; it
grows slowly only while the host uses all of it, never above ``limit``, never below 1. So N hosts behind
one address settle near their share of it without knowing N. On one host alone it stays at ``limit``.

A request is counted from its start until its answer came back (``settle``): the server counts it when it
arrives, at some instant in between, so a slot is reused only one window after the server can have counted
it, never on the edge of the server's window.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, NamedTuple

from airflow_provider_legallymail.client.adaptive import HostState, host_share
from airflow_provider_legallymail.client.peers import Peers, VariableBoard, sharing_enabled, variable_key
from airflow_provider_legallymail.private_files import UnsafeStateError, open_existing_or_new, private_dir
from airflow_provider_legallymail.storage import digest
from airflow_provider_legallymail.topology import is_distributed_executor

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]

STATE_DIR_ENV = "LEGALLYMAIL_PROVIDER_STATE_DIR"
_now = time.time  # module-level so tests can drive a fake clock
_pause = time.sleep
_process_lock = threading.Lock()
_fallback_dirs: dict[str, Path] = {}
_fallback_lock = threading.Lock()
log = logging.getLogger(__name__)


def default_state_dir() -> Path:
    """``$LEGALLYMAIL_PROVIDER_STATE_DIR`` (checked), else the shared default (or this process's own
    private folder when the default is not private)."""
    configured = os.environ.get(STATE_DIR_ENV)
    if configured:
        return Path(private_dir(configured))
    uid = getattr(os, "getuid", lambda: 0)()
    shared = os.path.join(tempfile.gettempdir(), f"airflow-provider-legallymail-{uid}")
    try:
        return Path(private_dir(shared))
    except UnsafeStateError as exc:
        with _fallback_lock:
            if shared not in _fallback_dirs:
                _fallback_dirs[shared] = Path(tempfile.mkdtemp(prefix=f"airflow-provider-legallymail-{uid}-"))
                log.warning(
                    "%s; this process keeps its request budget in %s instead (per process, not shared with the "
                    "host's other processes). Remove or fix %s, or set %s.",
                    exc,
                    _fallback_dirs[shared],
                    shared,
                    STATE_DIR_ENV,
                )
            return _fallback_dirs[shared]


def new_host_id() -> str:
    """A host's id among the hosts that share a budget: its name, for people reading the Variable, and a random
    part, since containers and namespaces often share names."""
    return f"{socket.gethostname()[:40]}-{uuid.uuid4().hex[:8]}"


class PollView(NamedTuple):
    """The host's budget as a background poller sees it: ``free`` request starts allowed now, ``wait`` seconds
    until one more is, the effective ``limit``, and whether a send asked for a slot within the last window
    (``sends_active``: while it did, the poller leaves sends a reserve; while none did, it may use every slot)."""

    free: int
    wait: float
    limit: int
    sends_active: bool


class RequestBudget:
    """Sliding window: no more than the host's effective limit of requests within any ``window`` seconds."""

    def __init__(
        self,
        key: str,
        limit: int,
        *,
        window: float = 60.0,
        state_dir: Path | None = None,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
        adaptive: bool = True,
    ) -> None:
        self.limit = limit
        self.window = window
        self.adaptive = adaptive  # False: the fixed per-host budget of earlier releases (the bench's baseline)
        self._clock = clock or (lambda: _now())
        self._sleep = sleep or (lambda seconds: _pause(seconds))
        self._file_name = f"budget-{digest(key)}.json"
        self._state_dir = state_dir
        self._path: Path | None = None
        self._pace_first_window: bool | None = None  # adaptive on an executor of several hosts; read once
        self._key = key
        self._host = ""  # this host's id (from its budget file), once read
        self.peers: Peers | None = None  # the hosts sharing the budget (client.peers), when it is shared
        self._sharing: bool | None = None  # [legallymail] share_budget_between_hosts, read once
        self.background = False  # True for a poller's client: its requests do not make the host keep a reserve

    @property
    def path(self) -> Path:
        """The host's budget file, in a checked private folder (resolved at first use)."""
        if self._path is None:
            folder = Path(private_dir(self._state_dir)) if self._state_dir is not None else default_state_dir()
            self._path = folder / self._file_name
        return self._path

    @property
    def enabled(self) -> bool:
        return self.limit > 0

    def acquire(self) -> float:
        """Block until a request may start, record it, and return its start time (epoch seconds).

        Pass the returned value to ``settle`` when the answer (or the failure) came back."""
        while True:
            started, wait = self._try_take()
            if wait <= 0:
                return started
            self._sleep(wait)

    def settle(self, started: float) -> None:
        """The request recorded at ``started`` is over: count it from now, when the server has surely seen it."""
        if not self.enabled:
            return
        with self._state() as state:
            state.settle(started, self._clock())

    def throttled(self, sent_at: float, pause: float) -> None:
        """A request that started at ``sent_at`` got 429: the host pauses ``pause`` seconds and slows down."""
        if not self.enabled:
            return
        with self._state() as state:
            now = self._clock()
            if self.adaptive:
                state.throttled(sent_at, now, pause)

    def current_limit(self) -> int:
        """Requests the host may start per window now: the effective limit (the configured one when fixed)."""
        if not self.enabled:
            return 1 << 30
        with self._state() as state:
            return state.allowed()

    def poll_view(self) -> PollView:
        """What a background poller needs to yield to sends, read under one lock (see ``PollView``); takes no
        slot. A host paused by a 429 has none free until the pause ends."""
        if not self.enabled:
            return PollView(1 << 30, 0.0, 1 << 30, sends_active=False)
        with self._state() as state:
            now = self._clock()
            state.expire(now)
            self._start(state)
            free = 0 if state.paused_until > now else state.allowed() - len(state.stamps)
            return PollView(free, state.next_release(now), state.allowed(), state.sends_active(now))

    def _try_take(self) -> tuple[float, float]:
        """(now, 0) when a slot was taken; otherwise (now, seconds until one may be)."""
        if not self.enabled:
            return self._clock(), 0.0
        hosts = self._hosts()
        with self._state() as state:
            now = self._clock()
            state.expire(now)
            if hosts:
                state.share(host_share(self.limit, hosts, self._host))
            if not self.background:
                state.want(now)
            self._start(state)
            wait = state.wait(now, pace_first_window=self._shares_address())
            if wait > 0:
                return now, wait
            grow = self.adaptive and (not self.background or state.calm(now))
            state.take(now, grow=grow, ceiling=state.shared if hosts else None)
            return now, 0.0

    def _hosts(self) -> dict[str, bool]:
        """The hosts that share the budget now, and whether each only polls (``client.peers``); ``{}`` when it is
        not shared through Airflow."""
        if not self._shares_address():
            return {}
        if self.peers is None:
            if self._sharing is None:
                self._sharing = sharing_enabled()
            if not self._sharing:
                return {}
            refresh = self.window / max(1, self.limit)
            self.peers = Peers(VariableBoard(variable_key(self._key)), self.window, refresh, self._clock)
        if not self._host:
            with self._state() as state:
                self._host = state.host
        return self.peers.hosts(self._host, self._only_polls)

    def _only_polls(self) -> bool:
        """This host only polls now: this is a poller's client, and no send of the host asked for a slot within
        the last window (a triggerer; a worker that also runs one announces that it sends)."""
        if not self.background:
            return False
        with self._state() as state:
            return not state.sends_active(self._clock())

    def _start(self, state: HostState) -> None:
        """A poller's first request on a fresh host that may share the address starts slow (``adaptive``)."""
        if self.background and state.born == 0.0 and self._shares_address():
            state.start_background()

    def _shares_address(self) -> bool:
        if self._pace_first_window is None:
            self._pace_first_window = self.adaptive and is_distributed_executor()
        return self._pace_first_window

    @contextmanager
    def _state(self) -> Iterator[HostState]:
        """The host's state, read under the lock and written back when the block changed it."""
        with self._locked_state() as handle:
            handle.seek(0)
            raw = handle.read()
            state = HostState.load(raw, self.limit, self.window)
            if not state.host:
                state.host, state.dirty = new_host_id(), True
            yield state
            if state.dirty:
                handle.seek(0)
                handle.truncate()
                handle.write(json.dumps(state.dump()))
                handle.flush()

    @contextmanager
    def _locked_state(self) -> Iterator[IO[str]]:
        path = str(self.path)
        with _process_lock, open_existing_or_new(path) as handle:
            if fcntl is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield handle
            finally:
                if fcntl is not None:
                    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
