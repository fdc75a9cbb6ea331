"""Local state other users cannot touch: the state folder is this user's own and private, and every state
file is created 0600 without following a link planted where it goes."""

from __future__ import annotations

import asyncio
import logging
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from airflow_provider_legallymail import private_files
from airflow_provider_legallymail.client import budget as budget_module
from airflow_provider_legallymail.client.budget import RequestBudget, default_state_dir
from airflow_provider_legallymail.delivery.ledger import AttemptState, SendLedger, claim_once
from airflow_provider_legallymail.delivery.sharded_ledger import ShardedLedger
from airflow_provider_legallymail.private_files import UnsafeStateError
from airflow_provider_legallymail.task_documents import LEDGER, PathDocuments
from airflow_provider_legallymail.waiting.seen import FileSeenStore, SeenState
from airflow_provider_legallymail.waiting.wait import fixed_deadline

OTHER_UID = 65534  # nobody


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def owned_by_someone_else(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Give ``path`` another owner: really (chown) as root; otherwise this process takes another uid."""
    if os.getuid() == 0:
        os.chown(path, OTHER_UID, OTHER_UID)
    else:  # pragma: no cover - the suite runs as root in CI
        monkeypatch.setattr(private_files, "current_uid", lambda: os.getuid() + 1)


def planted_link(path: Path, attacker: Path) -> None:
    attacker.mkdir(mode=0o777)
    path.symlink_to(attacker)


def planted_other_owner(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path.mkdir(mode=0o700)
    owned_by_someone_else(path, monkeypatch)


def planted_open(path: Path, mode_bits: int) -> None:
    path.mkdir()
    os.chmod(path, mode_bits)


PLANTS: dict[str, tuple[Callable[[Path, Path, pytest.MonkeyPatch], None], str]] = {
    "symlink": (lambda p, a, mp: planted_link(p, a), "symbolic link"),
    "a file": (lambda p, a, mp: p.touch(), "not a directory"),
    "other owner": (lambda p, a, mp: planted_other_owner(p, mp), "owned by uid"),
    "world-writable": (lambda p, a, mp: planted_open(p, 0o777), "mode is 0777"),
    "group-writable": (lambda p, a, mp: planted_open(p, 0o770), "mode is 0770"),
    "group-readable": (lambda p, a, mp: planted_open(p, 0o750), "mode is 0750"),
}


@pytest.fixture
def system_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in for /tmp (shared by every user), and no configured state folder."""
    shared = tmp_path / "system-tmp"
    shared.mkdir()
    shared.chmod(0o1777)
    monkeypatch.setattr(tempfile, "tempdir", str(shared))
    monkeypatch.delenv(budget_module.STATE_DIR_ENV)
    monkeypatch.setattr(budget_module, "_fallback_dirs", {})
    return shared


@pytest.mark.parametrize("plant", list(PLANTS))
def test_a_configured_state_dir_that_is_not_private_is_refused_naming_path_and_reason(
    plant: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    state, attacker = tmp_path / "state", tmp_path / "attacker"
    make, reason = PLANTS[plant]
    make(state, attacker, monkeypatch)
    monkeypatch.setenv(budget_module.STATE_DIR_ENV, str(state))
    with pytest.raises(UnsafeStateError) as caught:
        RequestBudget("https://api:443", 5).acquire()
    assert str(state) in str(caught.value) and reason in str(caught.value)
    assert not attacker.exists() or list(attacker.iterdir()) == []


@pytest.mark.parametrize("plant", ["symlink", "other owner", "world-writable"])
def test_a_default_state_dir_someone_else_made_is_not_used(
    plant: str, system_tmp: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    planted = system_tmp / f"airflow-provider-legallymail-{os.getuid()}"
    attacker = tmp_path / "attacker"
    make, reason = PLANTS[plant]
    make(planted, attacker, monkeypatch)
    with caplog.at_level(logging.WARNING, logger=budget_module.__name__):
        folder = default_state_dir()
    assert folder.resolve() not in (planted.resolve(), attacker.resolve())
    assert os.path.isdir(folder) and not os.path.islink(folder) and mode(folder) == 0o700
    assert default_state_dir() == folder  # one replacement per process, shared by its budgets
    [warning] = caplog.messages
    assert str(planted) in warning and reason in warning


def test_the_budget_is_never_written_into_a_planted_default_dir(system_tmp: Path, tmp_path: Path) -> None:
    planted = system_tmp / f"airflow-provider-legallymail-{os.getuid()}"
    planted_link(planted, tmp_path / "attacker")
    budget = RequestBudget("https://api:443", 5)
    budget.settle(budget.acquire())
    assert list((tmp_path / "attacker").iterdir()) == []
    assert budget.path.exists() and mode(budget.path) == 0o600


def test_a_private_default_state_dir_is_used_and_a_new_one_is_made_private(system_tmp: Path) -> None:
    budget = RequestBudget("https://api:443", 5)
    budget.acquire()
    expected = system_tmp / f"airflow-provider-legallymail-{os.getuid()}"
    assert budget.path.parent == expected
    assert (mode(expected), mode(budget.path)) == (0o700, 0o600)


def test_a_planted_link_as_the_budget_file_never_overwrites_its_target(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    budget = RequestBudget("https://api:443", 5, state_dir=tmp_path / "state")
    budget.path.parent.mkdir(exist_ok=True)
    budget.path.symlink_to(victim)
    with pytest.raises(UnsafeStateError, match="symbolic link") as caught:
        budget.acquire()
    assert str(budget.path) in str(caught.value)
    assert victim.read_text() == "precious"


def test_planted_links_as_state_documents_never_overwrite_their_targets(tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    documents = PathDocuments(f"file://{tmp_path / 'ledger'}", "dag", "run", "send")
    seen = FileSeenStore(str(tmp_path / "events"), "w")
    targets = [Path(documents.file(LEDGER).path), Path(seen._path().path)]
    for target in targets:
        target.parent.mkdir(parents=True)
        target.symlink_to(victim)
    SendLedger(documents).start_try(1)
    asyncio.run(seen.save(SeenState(initialized=True)))
    assert victim.read_text() == "precious"
    for target in targets:
        assert not target.is_symlink() and mode(target) == 0o600
    assert SendLedger(documents).load().tries == [1]


def test_every_local_state_file_is_private(tmp_path: Path) -> None:
    root = tmp_path / "ledger"
    documents = PathDocuments(f"file://{root}", "dag", "run", "send", 0)
    sent_index = PathDocuments(f"file://{root}", "dag", "run", "index")
    ledger = ShardedLedger(documents, shard_of=lambda key: 0, sent_index=sent_index).load()
    ledger.start_try(1)
    ledger.begin("batch:0", 1, {"to": ["ana@example.com"], "subject": "Contract"})
    ledger.finish("batch:0", AttemptState.ACCEPTED, result={"tracking_id": "cm_1"})
    fixed_deadline(documents, 60.0)
    assert claim_once(f"file://{root}", "notify", "run")
    asyncio.run(FileSeenStore(str(root / "events"), "w").save(SeenState()))
    RequestBudget("https://api:443", 5, state_dir=root / "budget").acquire()
    files = [p for p in root.rglob("*") if p.is_file()]
    folders = [p for p in root.rglob("*") if p.is_dir()]
    assert len(files) == 7, files  # ledger, shard, sent index, deadline, claim, event state, budget
    assert {str(p.relative_to(root)): mode(p) for p in files} == {str(p.relative_to(root)): 0o600 for p in files}
    assert {str(p.relative_to(root)): mode(p) for p in folders} == {str(p.relative_to(root)): 0o700 for p in folders}
    assert mode(root) == 0o700
