"""A ledger is proof only of the tries it saw: one that lacks an earlier try looks the unit up first.

The multi-host case: try 1 ran on worker A (its ledger on A's disk) and sent; try 2 ran on worker B,
failed before its look-up finished, and left a ledger that starts at try 2; try 3, on B again, must not
read that ledger as complete.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_legallymail.compat import AirflowFailException
from airflow_provider_legallymail.delivery.deliverer import Deliverer, OnRetry, SendUnit
from airflow_provider_legallymail.delivery.ledger import AttemptState, SendLedger
from airflow_provider_legallymail.delivery.lost_sends import Lookup

RUN_STARTED = datetime.now(timezone.utc) - timedelta(hours=1)
REQUEST = {"document_name": "contract.pdf", "signer_emails": ["ana@example.com"]}


class Api:
    """What the service holds: ``existing`` is the send try 1 made on the other host (or None)."""

    def __init__(self, existing: dict[str, Any] | None) -> None:
        self.existing = existing
        self.posts = 0
        self.lookups: list[datetime] = []

    def unit(self) -> SendUnit:
        return SendUnit("signature:c1", "signature request", REQUEST, self.send, self.lookup)

    def send(self) -> dict[str, Any]:
        self.posts += 1
        return {"uuid": f"u-new-{self.posts}"}

    def lookup(self, request: dict[str, Any], since: datetime) -> Lookup:
        self.lookups.append(since)
        return Lookup(self.existing, True)


def ledger_on_host_b(tmp_path: Path, tries: list[int]) -> SendLedger:
    ledger = SendLedger.at(f"file://{tmp_path}/host-b", "dag", "run", "sign", 4).load()
    for number in tries:
        ledger.start_try(number)
    return ledger


def deliver(ledger: SendLedger, try_number: int, api: Api, on_retry: OnRetry = OnRetry.ADOPT) -> dict[str, Any]:
    ledger.start_try(try_number)
    return Deliverer(ledger, on_retry, try_number, RUN_STARTED).deliver(api.unit())


def test_a_ledger_that_starts_at_try_2_does_not_prove_try_1_sent_nothing(tmp_path: Path) -> None:
    api = Api(existing={"uuid": "u-from-try-1"})
    ledger = ledger_on_host_b(tmp_path, [2])  # try 2 began on B and failed before reaching this unit
    result = deliver(ledger, 3, api)
    assert api.posts == 0 and result == {"uuid": "u-from-try-1", "adopted": True}
    assert api.lookups == [RUN_STARTED]  # looked up since the run began: that covers try 1


def test_a_unit_refused_in_a_later_try_is_still_looked_up_while_try_1_is_missing(tmp_path: Path) -> None:
    api = Api(existing={"uuid": "u-from-try-1"})
    ledger = ledger_on_host_b(tmp_path, [2])
    ledger.begin("signature:c1", 2, REQUEST)  # try 2 sent without a look-up and was refused (429)
    ledger.finish("signature:c1", AttemptState.NOT_PROCESSED, error="HTTP 429")
    assert deliver(ledger, 3, api)["uuid"] == "u-from-try-1" and api.posts == 0


def test_once_a_look_up_covered_the_missing_tries_later_tries_trust_the_ledger(tmp_path: Path) -> None:
    api = Api(existing=None)  # try 1 provably sent nothing
    ledger = ledger_on_host_b(tmp_path, [2])
    assert deliver(ledger, 3, api) == {"uuid": "u-new-1", "adopted": False}
    assert len(api.lookups) == 1
    again = SendLedger.at(f"file://{tmp_path}/host-b", "dag", "run", "sign", 4).load()
    assert again.proves("signature:c1", 4)
    assert deliver(again, 4, api) == {"uuid": "u-new-1", "adopted": True}  # adopted from the ledger
    assert len(api.lookups) == 1 and api.posts == 1


def test_a_gap_in_the_middle_is_a_gap_too(tmp_path: Path) -> None:
    ledger = ledger_on_host_b(tmp_path, [1, 3])  # try 2 ran elsewhere
    assert not ledger.proves("signature:c1", 4)
    assert ledger.proves("signature:c1", 2)


def test_with_on_retry_fail_a_gap_fails_instead_of_sending(tmp_path: Path) -> None:
    api = Api(existing=None)
    ledger = ledger_on_host_b(tmp_path, [2])
    with pytest.raises(AirflowFailException, match="has nothing from try 1"):
        deliver(ledger, 3, api, OnRetry.FAIL)
    assert api.posts == 0
