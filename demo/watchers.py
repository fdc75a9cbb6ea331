"""The ``AssetWatcher`` triggers of some DAGs, run in this process as a triggerer runs them; their events kept.

``airflow dags test`` and ``dag.test()`` run no triggerer for ``AssetWatcher``s, so ``make demo`` and
``tests/examples`` run them here: each trigger is rebuilt from its ``serialize()`` kwargs (as a triggerer
builds it; ``overrides`` may replace some, e.g. a fresh ``state_path``) and run in one event loop in a
background thread, so they share one poller per connection as in a triggerer. Start them before the DAGs
whose outcomes they watch (a new watcher first records what already exists, and announces what happens
from then on), then ``settle()``; ``events`` (asset name -> payloads) is what ``demo.assets`` stores as
the assets' events.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterable
from types import TracebackType
from typing import Any

from demo.assets import TriggerEvents, assets_of


def asset_watchers(dags: Iterable[Any]) -> list[tuple[str, Any]]:
    """(asset name, trigger) of each ``AssetWatcher`` on the assets the DAGs are scheduled on, once each."""
    found: dict[tuple[str, str], Any] = {}
    for dag in dags:
        for asset in assets_of(getattr(dag.timetable, "asset_condition", None)):
            for watcher in getattr(asset, "watchers", None) or ():
                found.setdefault((asset.name, watcher.name), watcher.trigger)
    return [(name, trigger) for (name, _), trigger in sorted(found.items(), key=lambda item: item[0])]


def rebuilt(trigger: Any, **overrides: Any) -> Any:
    """What a triggerer runs: the trigger's class built again from its ``serialize()`` kwargs."""
    import importlib

    classpath, kwargs = trigger.serialize()
    module, name = classpath.rsplit(".", 1)
    return getattr(importlib.import_module(module), name)(**{**kwargs, **overrides})


def seen_state(trigger: Any) -> Any:
    """The trigger's seen-state as it last saved it (outside a triggerer: its file)."""
    from airflow_provider_legallymail.waiting.seen import seen_store

    return asyncio.run(seen_store(None, trigger.state_path, trigger.state_name()).load())


class Watchers:
    """Run ``watchers`` (``asset_watchers()``) in a background event loop while the context is active."""

    def __init__(self, watchers: list[tuple[str, Any]], **overrides: Any) -> None:
        self.watchers = [(name, rebuilt(trigger, **overrides)) for name, trigger in watchers]
        self.events: TriggerEvents = {name: [] for name, _ in self.watchers}
        self.errors: list[BaseException] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._started = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._main()), name="asset-watchers", daemon=True)

    async def _main(self) -> None:
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        tasks = [asyncio.create_task(self._watch(name, trigger)) for name, trigger in self.watchers]
        self._started.set()
        await self._stop.wait()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _watch(self, name: str, trigger: Any) -> None:
        try:
            async for event in trigger.run():
                self.events[name].append(event.payload)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # reported by wait_ready / settle
            self.errors.append(exc)

    def _until(self, what: str, done: Any, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            if self.errors:
                raise RuntimeError(f"an asset watcher stopped: {self.errors[0]!r}") from self.errors[0]
            if time.monotonic() > deadline:
                raise TimeoutError(f"asset watchers: {what} not within {timeout:g} s")
            time.sleep(0.1)

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Until every watcher has recorded what already exists (its baseline): it announces what follows."""
        self._until("the baseline", lambda: all(seen_state(t).initialized for _, t in self.watchers), timeout)

    def settle(self, quiet: float, timeout: float = 120.0) -> None:
        """Give the watchers ``quiet`` seconds to find what changed, then wait until each has announced the
        outcome of everything it found (nothing it tracks is still open)."""
        time.sleep(quiet)
        self._until("the last outcomes", lambda: not any(seen_state(t).open_ids() for _, t in self.watchers), timeout)

    def __enter__(self) -> Watchers:
        self._thread.start()
        self._started.wait(timeout=30)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=60)
