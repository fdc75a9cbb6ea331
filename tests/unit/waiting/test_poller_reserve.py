"""The shared poller leaves sends a reserve out of the host's *adapted* request limit (``client.adaptive``), while
the host has sends: a host where no send asked for a slot for a window (a triggerer's) keeps none."""

from __future__ import annotations

import pytest

from airflow_provider_legallymail.client.budget import PollView
from airflow_provider_legallymail.waiting.poller import Poller, configured


@pytest.mark.parametrize(
    ("limit", "reserve"),
    [(10, 2), (6, 1), (3, 1), (2, 1), (1, 0)],  # a fifth, at least 1, never the whole limit
)
def test_the_reserve_shrinks_with_the_host_limit(limit: int, reserve: int) -> None:
    assert Poller("c", configured())._reserve_within(limit) == reserve


def test_a_configured_reserve_never_takes_a_slowed_down_host_whole() -> None:
    poller = Poller("c", configured(reserve=4))
    poller._reserve = 4
    assert [poller._reserve_within(limit) for limit in (10, 5, 3, 1)] == [4, 4, 2, 0]


def test_the_reserve_is_kept_only_while_the_host_has_sends() -> None:
    poller = Poller("c", configured())
    assert poller._reserve_for(PollView(free=3, wait=0.0, limit=10, sends_active=True)) == 2
    assert poller._reserve_for(PollView(free=3, wait=0.0, limit=10, sends_active=False)) == 0
