"""Run the sandbox inside a Python program or a test session of your own, on a free port."""

from __future__ import annotations

# [START sandbox_server]
import os

from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from airflow_provider_legallymail.statuses import EmailStatus
from legallymail_sandbox.config import SandboxConfig
from legallymail_sandbox.server import SandboxServer


def main() -> None:
    with SandboxServer(SandboxConfig(speed=0)) as sandbox:  # a free port on 127.0.0.1; time frozen
        # AIRFLOW_CONN_LEGALLYMAIL_DEFAULT and AIRFLOW_CONN_LEGITMAILER_DEFAULT, pointing here
        os.environ.update(sandbox.connection_env(requests_per_minute=0))
        hook = LegallyMailHook()
        sent = hook.send_email("ana@example.com", "Notice", "<p>Hello</p>")
        sandbox.advance(30)  # move the sandbox clock: the email is now delivered and read
        assert hook.get_email(sent.tracking_id).status == EmailStatus.READ
        assert len(sandbox.received(api="legallymail", method="POST", path="/api/send")) == 1
        print(sandbox.certified_sent()[0]["subject"])  # what went out, body and attachments included


# [END sandbox_server]

if __name__ == "__main__":
    main()
