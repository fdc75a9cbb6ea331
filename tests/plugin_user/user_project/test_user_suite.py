"""A user's tests: the plugin's ``legallymail_sandbox`` fixture, and the hooks with their default conn ids.

The tests run in file order: the last one checks the connections the fixture set are gone again.
"""

from __future__ import annotations

import os

from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from airflow_provider_legallymail.hooks.legitmailer import LegitmailerHook
from legallymail_sandbox.server import SandboxServer

CONNECTIONS = ("AIRFLOW_CONN_LEGALLYMAIL_DEFAULT", "AIRFLOW_CONN_LEGITMAILER_DEFAULT")
BEFORE = {name: os.environ.get(name) for name in CONNECTIONS}


def test_hooks_with_default_conn_ids_reach_the_sandbox(legallymail_sandbox: SandboxServer) -> None:
    assert {name: os.environ[name] for name in CONNECTIONS} == legallymail_sandbox.connection_env()
    account = LegallyMailHook().get_account_info()
    assert account.user.remaining_emails == legallymail_sandbox.config.credits
    sent = LegallyMailHook().send_email("ana@example.com", "Hello", "<p>Hi</p>")
    assert sent.success_count == 1
    templated = LegitmailerHook().send_template_email("welcome", "ana@example.com", {"name": "Ana"})
    (mail,) = legallymail_sandbox.legitmailer_sent()
    assert (mail["tracking_id"], mail["body"]) == (templated.tracking_id, "<p>Hi Ana, welcome aboard!</p>")


def test_each_test_starts_from_a_reset_sandbox(legallymail_sandbox: SandboxServer) -> None:
    assert legallymail_sandbox.received() == []
    assert LegallyMailHook().list_emails(limit=5) == []


def test_the_connections_are_restored_after_a_sandbox_test() -> None:
    assert {name: os.environ.get(name) for name in CONNECTIONS} == BEFORE
