"""Run API calls on a few threads, reading the work lazily so that memory does not grow with its size.

Used by template batches, contact syncs and evidence archives. Each thread gets its own hook (its own HTTP
session) of the caller's hook class, built from one connection read in the calling thread, so workers never
ask Airflow for the connection themselves.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from airflow_provider_legallymail.validation import fail

T = TypeVar("T")
H = TypeVar("H")
MAX_ACTIVE_LIMIT = 32


@dataclass
class Done(Generic[T]):
    """One finished item: its result, or the exception it raised."""

    item: T
    result: Any = None
    error: BaseException | None = None


def active_requests(value: Any, field: str = "max_active_requests") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ACTIVE_LIMIT:
        raise fail(field, f"{value!r}: a whole number from 1 to {MAX_ACTIVE_LIMIT} is required")
    return value


def run_bounded(
    items: Iterable[T], work: Callable[[T], Any], max_active: int, stop: Callable[[], bool] = lambda: False
) -> Iterator[Done[T]]:
    """``work(item)`` on up to ``max_active`` threads; yields each item as it finishes.

    Items are read from ``items`` in the calling thread, one as each running item finishes; once ``stop()``
    is true no further item is started, and those already started are still reported.
    """
    pending: dict[Future[Any], T] = {}
    source = iter(items)
    exhausted = False
    with ThreadPoolExecutor(max_workers=max_active, thread_name_prefix="legitmailer") as pool:
        while True:
            while not exhausted and len(pending) < max_active and not stop():
                try:
                    item = next(source)
                except StopIteration:
                    exhausted = True
                    break
                pending[pool.submit(work, item)] = item
            if not pending:
                return
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                item = pending.pop(future)
                error = future.exception()
                yield Done(item, None if error else future.result(), error)


class HookPool(Generic[H]):
    """One hook per thread, of the class of ``hook``, all on the connection ``hook`` reads once, here."""

    def __init__(self, hook: H) -> None:
        self.conn_id = str(getattr(hook, "conn_id"))  # noqa: B009  # MailApiHook's, without importing hooks
        self._conn = getattr(hook, "get_connection")(self.conn_id)  # noqa: B009
        self._type: Any = type(hook)
        self._local = threading.local()

    def get(self) -> H:
        hook: H | None = getattr(self._local, "hook", None)
        if hook is None:
            hook = self._local.hook = self._type.for_connection(self._conn)
        return hook
