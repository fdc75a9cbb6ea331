"""One ``Kind`` per item type: each is complete, and what an event trigger announces agrees with what a
sensor decides, for every kind and every combination of party statuses."""

from __future__ import annotations

import itertools
import math
from typing import Any

import pytest

from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from airflow_provider_legallymail.kinds import KINDS, Kind
from airflow_provider_legallymail.waiting.decision import Failed, Reached, decide
from airflow_provider_legallymail.waiting.events import reached
from airflow_provider_legallymail.waiting.observations import OBSERVE
from airflow_provider_legallymail.waiting.wait import WaitSpec


@pytest.mark.parametrize("kind", KINDS.values(), ids=str)
def test_every_kind_can_be_fetched_observed_waited_for_and_announced(kind: Kind) -> None:
    assert callable(getattr(LegallyMailHook, kind.get))
    assert kind.list is None or callable(getattr(LegallyMailHook, kind.list))
    assert kind.name in OBSERVE
    assert set(kind.targets) <= set(kind.event_statuses)
    assert set(kind.event_statuses) <= {s.value for s in kind.status}
    assert kind.default_timeout > 0 and kind.poll_floor > 0


def _observation(kind: Kind, statuses: tuple[str, ...], item_status: str) -> dict[str, Any]:
    parties = [{"who": f"p{i}", "status": s, "reason": None} for i, s in enumerate(statuses)]
    return {"kind": kind.name, "id": "x", "status": item_status, "parties": parties}


@pytest.mark.parametrize("kind", KINDS.values(), ids=str)
def test_an_event_is_announced_exactly_when_a_sensor_would_decide_the_same(kind: Kind) -> None:
    values = [s.value for s in kind.status if s.value != "unknown"]
    for size in (1, 2):
        for statuses in itertools.product(values, repeat=size if kind.selectable else 1):
            for item_status in values:
                observation = _observation(kind, statuses, item_status)
                announced = reached(observation, 0.0)
                for target in kind.targets:
                    spec = WaitSpec(kind.name, ("x",), target, "all", math.inf)
                    decision = decide(spec, {"x": observation}, 0.0)
                    assert (target in announced) == isinstance(decision, Reached), (observation, target)
                    failures = [s for s in announced if s not in kind.targets]
                    assert bool(failures) == isinstance(decision, Failed), (observation, target)
