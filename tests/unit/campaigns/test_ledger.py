"""The campaign ledger reads shards as rows need them and holds only a few: a retry still sees every row."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from airflow_provider_legallymail.campaigns.ledger import LazyShardLedger
from airflow_provider_legallymail.campaigns.rows import shard_of
from airflow_provider_legallymail.delivery.ledger import AttemptState
from airflow_provider_legallymail.storage import digest
from airflow_provider_legallymail.task_documents import PathDocuments

ROWS = 300


def keys() -> list[str]:
    return [f"email:{digest(i, length=24)}" for i in range(ROWS)]


def documents(tmp_path: Path) -> PathDocuments:
    return PathDocuments(f"file://{tmp_path}", "dag", "run", "merge")


def test_hundreds_of_rows_are_recorded_with_a_bounded_number_held_and_all_read_back(tmp_path: Path) -> None:
    ledger = LazyShardLedger(documents(tmp_path), shard_of=shard_of, cached=4).load()
    ledger.start_try(1)
    most = 0
    for key in keys():
        ledger.begin(key, 1, {"recipients": ["x@example.com"], "subject": "s"})
        ledger.finish(key, AttemptState.ACCEPTED, result={"tracking_id": key})
        most = max(most, ledger.units_in_memory)
    four_largest = sum(size for _, size in Counter(shard_of(k) for k in keys()).most_common(4))
    assert most <= four_largest < ROWS / 5  # 4 shards' rows at most, never all of them
    again = LazyShardLedger(documents(tmp_path), shard_of=shard_of, cached=4).load()
    again.start_try(2)
    for key in keys():
        attempt = again.last_attempt(key)
        assert attempt is not None and attempt["state"] is AttemptState.ACCEPTED
        assert attempt["result"] == {"tracking_id": key}
        assert again.proves(key, 2)
    assert again.maybe_sent() == sorted(keys())


def test_a_lost_shard_makes_the_ledger_prove_nothing(tmp_path: Path) -> None:
    ledger = LazyShardLedger(documents(tmp_path), shard_of=shard_of).load()
    ledger.start_try(1)
    key = keys()[0]
    ledger.begin(key, 1, {"recipients": ["x@example.com"], "subject": "s"})
    for shard_file in (tmp_path / "dag" / "run").rglob("*.units/*.json"):
        shard_file.unlink()
    again = LazyShardLedger(documents(tmp_path), shard_of=shard_of).load()
    assert again.last_attempt(key) is None
    assert not again.proves(key, 2)  # the retry must look the row up rather than trust an empty record
