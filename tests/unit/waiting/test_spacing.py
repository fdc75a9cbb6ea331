"""A watcher's events are spaced so that the scheduler starts one run per event (``waiting/spacing.py``)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_legallymail.exceptions import ValidationError
from airflow_provider_legallymail.triggers import legallymail as triggers
from airflow_provider_legallymail.triggers.legallymail import SignatureEventTrigger
from airflow_provider_legallymail.waiting import event_source
from airflow_provider_legallymail.waiting.events import EventSpacing


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_the_first_event_goes_at_once_and_the_next_waits_out_the_rest_of_the_spacing() -> None:
    clock = FakeClock()
    spacing = EventSpacing(5.0, clock=clock, sleep=clock.sleep)

    async def announce(gaps: list[float]) -> list[float]:
        times = []
        for gap in gaps:
            clock.now += gap  # time the watcher spent finding the next outcome
            await spacing.before()
            times.append(clock.now)
            spacing.after()
        return times

    times = asyncio.run(announce([0.0, 0.0, 1.5, 9.0]))
    assert times == [100.0, 105.0, 110.0, 119.0]  # a burst is spread 5 s apart; a late one is not delayed
    assert clock.slept == [5.0, 3.5]


def test_zero_spacing_never_sleeps() -> None:
    clock = FakeClock()
    spacing = EventSpacing(0.0, clock=clock, sleep=clock.sleep)

    async def burst() -> None:
        for _ in range(3):
            await spacing.before()
            spacing.after()

    asyncio.run(burst())
    assert clock.slept == []


@pytest.mark.parametrize("bad", [-1, "5", True, 7200, None])
def test_a_bad_spacing_is_refused_naming_the_field(bad: Any) -> None:
    with pytest.raises(ValidationError, match="event_spacing"):
        SignatureEventTrigger(event_spacing=bad)


def test_the_spacing_survives_a_triggerer_restart_and_paces_a_burst(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trigger = SignatureEventTrigger(statuses=["signed"], event_spacing=2.5, state_path=str(tmp_path))
    classpath, kwargs = trigger.serialize()
    assert kwargs["event_spacing"] == 2.5
    rebuilt = SignatureEventTrigger(**kwargs)
    assert rebuilt.serialize() == (classpath, kwargs) and rebuilt.state_name() == trigger.state_name()

    class Burst:  # three contracts found signed in one poll
        def __init__(self, spec: Any, store: Any) -> None:
            pass

        async def run(self) -> AsyncIterator[dict[str, Any]]:
            for ident in ("a", "b", "c"):
                yield {"id": ident, "event_id": f"signature:{ident}:signed"}

    clock = FakeClock()
    monkeypatch.setattr(event_source, "EventSource", Burst)
    monkeypatch.setattr(triggers, "EventSpacing", lambda seconds: EventSpacing(seconds, clock, clock.sleep))

    async def events() -> list[tuple[str, float]]:
        return [(event.payload["id"], clock.now) async for event in rebuilt.run()]

    assert asyncio.run(events()) == [("a", 100.0), ("b", 102.5), ("c", 105.0)]
