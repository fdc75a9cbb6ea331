"""The ``legallymail-sandbox`` command: prints URLs and connection lines, serves, stops on Ctrl-C."""

from __future__ import annotations

import json
import shlex
import signal
import socket
import subprocess
import sys

import pytest
import requests

from legallymail_sandbox import cli
from legallymail_sandbox.server import SandboxServer

LAUNCH = "from legallymail_sandbox.cli import main; raise SystemExit(main())"


def test_serves_until_interrupted() -> None:
    args = ["--port", "0", "--credits", "7", "--rate-limit", "0", "--legallymail-token", "tok-1"]
    process = subprocess.Popen(
        [sys.executable, "-c", LAUNCH, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:  # up to the banner's last line (or the end, should the process die)
            if line == cli.STOP_HINT + "\n":
                break
            lines.append(line)
        assert lines[0].startswith("LegallyMail sandbox: http://127.0.0.1:")
        assert lines[1].startswith("Legitmailer sandbox: http://127.0.0.1:")
        exports = dict(shlex.split(line)[1].split("=", 1) for line in lines[4:6])
        connection = json.loads(exports["AIRFLOW_CONN_LEGALLYMAIL_DEFAULT"])
        assert connection["conn_type"] == "legallymail" and connection["password"] == "tok-1"
        assert connection["host"] == lines[0].split(": ", 1)[1].strip()
        assert json.loads(exports["AIRFLOW_CONN_LEGITMAILER_DEFAULT"])["host"].endswith("/legitmailer")
        port = connection["host"].split(":")[2].split("/")[0]
        uris = dict(shlex.split(line.lstrip("# "))[1].split("=", 1) for line in lines[7:9])
        assert uris == {
            "AIRFLOW_CONN_LEGALLYMAIL_DEFAULT": f"legallymail://:tok-1@127.0.0.1:{port}/legallymail",
            "AIRFLOW_CONN_LEGITMAILER_DEFAULT": f"legitmailer://:sandbox-legitmailer-key@127.0.0.1:{port}/legitmailer",
        }
        info = requests.get(f"{connection['host']}/api/info", headers={"Authorization": "Bearer tok-1"}, timeout=10)
        assert info.json()["user"]["remaining_emails"] == 7
        printed = "".join(lines)
        for url in (
            f"http://127.0.0.1:{port}/_sandbox/samples",
            f"http://127.0.0.1:{port}/_sandbox/samples/contract.pdf",
        ):
            assert url in printed and requests.get(url, timeout=10).status_code == 200
        assert "  welcome (name)\n" in printed and "  first (c2Rmc2Rmc2Rm: name)\n" in printed
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=15)
    assert process.returncode == 0, stderr


def test_config_from_arguments() -> None:
    args = cli.parse_args(
        ["--speed", "60", "--rate-limit", "3", "--rate-window", "5", "--sms-credits", "2", "--db", "x.db"]
    )
    config = cli.config_from(args)
    assert (config.speed, config.rate_limit, config.rate_window, config.sms_credits, config.db_path) == (
        60.0,
        3,
        5.0,
        2,
        "x.db",
    )
    assert (args.host, config.read_certificates) == ("127.0.0.1", "read_only")
    both = cli.config_from(cli.parse_args(["--read-certificates", "delivered_and_read"]))
    assert both.read_certificates == "delivered_and_read"


def test_invalid_settings_exit_with_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--credits", "-1"]) == 2
    assert "credits" in capsys.readouterr().err


def test_help_says_where_the_samples_are(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.parse_args(["--help"])
    text = capsys.readouterr().out
    assert "GET /_sandbox/samples " in text and "GET /_sandbox/samples/contract.pdf" in text
    assert "registration (username)" in text and "newsletter (bmV3c2xldHRlcg: first_name, city)" in text
    assert "--read-certificates {read_only,delivered_and_read}" in text


@pytest.mark.parametrize("form", ["json", "uri"])
def test_a_sped_up_sandbox_prints_connections_that_carry_its_speed(form: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
    from airflow_provider_legallymail.hooks.legitmailer import LegitmailerHook

    described = SandboxServer(cli.config_from(cli.parse_args(["--speed", "60"])), port=8765)
    printed = cli.banner(described)
    lines = printed.splitlines()
    exports = [line.lstrip("# ") for line in lines if line.lstrip("# ").startswith("export AIRFLOW_CONN_")]
    chosen = exports[:2] if form == "json" else exports[2:]
    for line in chosen:
        name, value = shlex.split(line)[1].split("=", 1)
        monkeypatch.setenv(name, value)
    legallymail = LegallyMailHook().settings
    assert (legallymail.sandbox_speed, legallymail.base_url) == (60.0, "http://127.0.0.1:8765/legallymail")
    assert LegitmailerHook().settings.base_url == "http://127.0.0.1:8765/legitmailer"


@pytest.mark.parametrize("form", ["json", "uri"])
def test_a_scaled_rate_window_is_carried_by_the_printed_connections(form: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--rate-window 6`: the client's request budget counts over the sandbox's window, not a minute."""
    from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook

    for args, window in ((["--rate-window", "6", "--speed", "60"], 6.0), ([], 60.0)):
        described = SandboxServer(cli.config_from(cli.parse_args(args)), port=8765)
        exports = [line.lstrip("# ") for line in cli.banner(described).splitlines() if "AIRFLOW_CONN_" in line]
        for line in exports[:2] if form == "json" else exports[2:]:
            name, value = shlex.split(line)[1].split("=", 1)
            monkeypatch.setenv(name, value)
        settings = LegallyMailHook().settings
        assert settings.rate_window == window
        assert (LegallyMailHook().get_conn().budget.window, settings.requests_per_minute) == (window, 10)
        assert ("rate_window" in " ".join(exports)) == (window != 60.0)


def test_a_taken_port_is_named_with_the_way_out_and_no_traceback() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-c", LAUNCH, "--port", str(port)], capture_output=True, text=True, timeout=60
        )
    assert done.returncode == 1
    assert done.stderr == (
        f"legallymail-sandbox: port {port} on 127.0.0.1 is taken (another sandbox, or another server, listens "
        "there); choose another with --port N, or --port 0 for any free port\n"
    )
    assert "LegallyMail sandbox:" not in done.stdout  # no banner for a server that is not there
