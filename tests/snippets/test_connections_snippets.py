"""The connections page: its JSON and URI snippets build the base URL and extras the page says, and reach the sandbox.

Each snippet is read as Airflow reads it (an ``AIRFLOW_CONN_<ID>`` environment variable) and the hook is built
from it, as a task would; the page's tables list every field of the connection form and every extra parsed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_legallymail.client.settings import ClientSettings
from airflow_provider_legallymail.exceptions import ConfigurationError
from airflow_provider_legallymail.get_provider_info import LEGALLYMAIL_CONNECTION, LEGITMAILER_CONNECTION
from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from airflow_provider_legallymail.hooks.legitmailer import LegitmailerHook
from legallymail_sandbox.server import SandboxServer
from tests.dag_runs import SNIPPETS, snippet_text

PAGE = SNIPPETS.parent / "connections.md"
HOOKS: dict[str, type[LegallyMailHook] | type[LegitmailerHook]] = {
    "legallymail": LegallyMailHook,
    "legitmailer": LegitmailerHook,
}
EXPORT = re.compile(r"^# -> (\S+).*\nexport (AIRFLOW_CONN_\w+)='([^']*)'$", re.M)


def region(text: str, name: str) -> str:
    return text.split(f"# [START {name}]\n", 1)[1].split(f"# [END {name}]", 1)[0]


def exports(name: str) -> list[tuple[str, str, str]]:
    """(base URL the comment promises, variable, URI) for every export line of a region of connections_uris.sh."""
    return EXPORT.findall(region(snippet_text("connections_uris.sh"), name))


def settings_of(monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> ClientSettings:
    """The hook's settings for ``AIRFLOW_CONN_<ID>=value``, read through Airflow's environment secrets backend."""
    monkeypatch.setenv(variable, value)
    conn_id = variable.removeprefix("AIRFLOW_CONN_").lower()
    conn_type = json.loads(value)["conn_type"] if value.lstrip().startswith("{") else value.split(":", 1)[0]
    return HOOKS[conn_type](conn_id).settings


def test_the_json_connections_give_the_extras_they_show(monkeypatch: pytest.MonkeyPatch) -> None:
    lm = settings_of(monkeypatch, "AIRFLOW_CONN_LEGALLYMAIL_DEFAULT", snippet_text("connections_legallymail.json"))
    assert (lm.base_url, lm.timeout, lm.max_retries, lm.requests_per_minute) == ("https://legallymail.com", 20, 3, 10)
    assert (lm.timezone, lm.token_in_body, lm.max_recipients, lm.settle_seconds) == ("Europe/Madrid", False, 10, 30)
    assert lm.token == "your-legallymail-token"
    lt = settings_of(monkeypatch, "AIRFLOW_CONN_LEGITMAILER_DEFAULT", snippet_text("connections_legitmailer.json"))
    assert (lt.base_url, lt.timeout, lt.max_retries, lt.requests_per_minute, lt.timezone) == (
        "https://app.legitmailer.com",
        20,
        5,
        0,  # no client-side budget by default for Legitmailer
        "UTC",
    )


@pytest.mark.parametrize("name", ["connections_uri_real", "connections_uri_sandbox", "connections_uri_prefix"])
def test_every_uri_builds_the_base_url_its_comment_gives(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    lines = exports(name)
    assert len(lines) == 2
    for expected, variable, uri in lines:
        settings = settings_of(monkeypatch, variable, uri)
        assert settings.base_url == expected, uri
        assert settings.token in ("<token>", "<api-key>")  # the user info's password is the token


def test_query_parameters_are_extras(monkeypatch: pytest.MonkeyPatch) -> None:
    (_, variable, uri), _ = exports("connections_uri_real")
    settings = settings_of(monkeypatch, variable, uri)
    assert (settings.timeout, settings.max_retries, settings.requests_per_minute) == (20.0, 5, 10)


def test_the_sandbox_uris_reach_the_sandbox_with_its_port_and_keys(
    sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch, sleeps: list[float]
) -> None:
    for _, variable, uri in exports("connections_uri_sandbox"):
        token = sandbox.legallymail_token if uri.startswith("legallymail") else sandbox.legitmailer_token
        filled = uri.replace("8080", str(sandbox.port)).replace("<token>", token).replace("<api-key>", token)
        monkeypatch.setenv(variable, filled)
    assert LegallyMailHook().test_connection() == (
        True,
        "Connected as sandbox@example.com (plan professional, 100 emails remaining)",
    )
    ok, message = LegitmailerHook().test_connection()
    assert ok and re.fullmatch(r"Connected: \d+ template\(s\) available", message)
    paths = [(r["api"], r["path"]) for r in sandbox.received()]
    assert paths == [("legallymail", "/api/info"), ("legitmailer", "/api/template/list")]


def test_airflow_connections_test_reads_the_json_snippet(sandbox: SandboxServer, tmp_path: Path) -> None:
    """``airflow connections test`` needs no metadata database when the connection is an environment variable."""
    conn = json.loads(snippet_text("connections_legitmailer.json"))
    conn.update(host=sandbox.legitmailer_url, password=sandbox.legitmailer_token)
    env = {
        **os.environ,
        "AIRFLOW_HOME": str(tmp_path),
        "AIRFLOW__CORE__TEST_CONNECTION": "Enabled",
        "AIRFLOW_CONN_LEGITMAILER_DEFAULT": json.dumps(conn),
    }
    airflow = Path(sys.executable).with_name("airflow")
    run = subprocess.run(
        [airflow, "connections", "test", "legitmailer_default"], env=env, capture_output=True, text=True, timeout=120
    )
    assert "Connection success!" in run.stdout, run.stdout + run.stderr
    assert sandbox.legitmailer_token not in run.stdout + run.stderr


@pytest.mark.parametrize(
    ("uri", "refusal"),
    [
        ("legallymail://:t@http%3A%2F%2Fapi.example.com", "plain http:// is refused for 'api.example.com'"),
        ("legallymail://:t@https%3A%2F%2Fapi.example.com%2Fv2/v3", "has the path '/v2' and the schema field"),
        ("legallymail://:t@legallymail.com?timeout=abc", "extra 'timeout': 'abc' is not a number"),
        ("legitmailer://:t@app.legitmailer.com?credentials_in_body=true", "not supported by legitmailer"),
        ("legallymail://legallymail.com", "the API token (password field) is empty"),
    ],
)
def test_what_the_page_says_is_refused_is_refused(monkeypatch: pytest.MonkeyPatch, uri: str, refusal: str) -> None:
    with pytest.raises(ConfigurationError, match=re.escape(refusal)):
        settings_of(monkeypatch, "AIRFLOW_CONN_REFUSED", uri)


def page_section(heading: str) -> str:
    return PAGE.read_text().split(heading, 1)[1].split("\n## ", 1)[0]


@pytest.mark.parametrize("info", [LEGALLYMAIL_CONNECTION, LEGITMAILER_CONNECTION], ids=lambda i: i["connection-type"])
def test_the_page_names_every_field_of_the_connection_form(info: dict[str, Any]) -> None:
    form = page_section("## The connection form")
    for label in info["ui-field-behaviour"]["relabeling"].values():
        assert f'"{label}"' in form
    for name, field in info["conn-fields"].items():
        assert f"`{name}`" in form and field["label"] in form, name


def test_the_page_documents_every_extra_the_hooks_read() -> None:
    source = (Path(__file__).parents[2] / "airflow_provider_legallymail/client/settings.py").read_text()
    parsed = set(re.findall(r'_number\(extras, "(\w+)"', source)) | {"timezone", "credentials_in_body"}
    assert len(parsed) >= 9
    extras = page_section("## Extras")
    for name in parsed:
        assert f"| `{name}` |" in extras, name
