"""Run the sandbox inside a Python program (a CI check, a notebook) on a free port, and call a DAG's task with it."""

from __future__ import annotations

# [START sandbox_server]
import os

import pendulum
from airflow.sdk import DAG, task

from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from legallymail_sandbox.config import SandboxConfig
from legallymail_sandbox.server import SandboxServer


@task
def notice_status(tracking_id: str) -> str:
    return LegallyMailHook().get_email(tracking_id).status.value


with DAG("sandbox_server", schedule=None, start_date=pendulum.datetime(2026, 1, 1), params={"id": ""}) as dag:
    notice_status("{{ params.id }}")


def main() -> None:
    with SandboxServer(SandboxConfig(speed=0)) as sandbox:  # a free port on 127.0.0.1; time frozen
        # AIRFLOW_CONN_LEGALLYMAIL_DEFAULT and AIRFLOW_CONN_LEGITMAILER_DEFAULT, pointing here
        os.environ.update(sandbox.connection_env(requests_per_minute=0))
        sent = LegallyMailHook().send_email("ana@example.com", "Notice", "<p>Hello</p>")
        sandbox.advance(30)  # move the sandbox clock: the email is now delivered and read
        assert notice_status.function(sent.tracking_id) == "read"  # the task's own function, called directly
        assert len(sandbox.received(api="legallymail", method="POST", path="/api/send")) == 1
        print(sandbox.certified_sent()[0]["subject"])  # what went out, with its body and attachments' names


# [END sandbox_server]

if __name__ == "__main__":
    main()
