"""The provider is registered with Airflow: both connection types, their form fields and defaults."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
from airflow_provider_legallymail.hooks.legitmailer import LegitmailerHook


def test_providers_manager_lists_both_connection_types() -> None:
    from airflow.providers_manager import ProvidersManager

    assert "airflow-provider-legallymail" in ProvidersManager().providers
    try:  # Airflow 3.2+: hooks are resolved by the task runtime's manager
        from airflow.sdk.providers_manager_runtime import ProvidersManagerTaskRuntime as Manager
    except ImportError:
        Manager = ProvidersManager  # type: ignore[misc,assignment]
    hooks = Manager().hooks
    assert hooks["legallymail"].hook_class_name.endswith("LegallyMailHook")  # type: ignore[union-attr]
    assert hooks["legitmailer"].hook_class_name.endswith("LegitmailerHook")  # type: ignore[union-attr]
    assert hooks["legallymail"].connection_id_attribute_name == "legallymail_conn_id"  # type: ignore[union-attr]


def test_airflow_cli_shows_provider_and_hooks() -> None:
    airflow = Path(sys.executable).with_name("airflow")
    env = dict(os.environ)
    listing = subprocess.run([airflow, "providers", "list"], capture_output=True, text=True, env=env, check=True)
    assert "airflow-provider-legallymail" in listing.stdout
    hooks = subprocess.run([airflow, "providers", "hooks"], capture_output=True, text=True, env=env, check=True)
    assert "LegallyMailHook" in hooks.stdout
    assert "LegitmailerHook" in hooks.stdout


def test_connection_form_declares_token_host_and_every_extra() -> None:
    from airflow_provider_legallymail.get_provider_info import get_provider_info

    by_type = {c["connection-type"]: c for c in get_provider_info()["connection-types"]}
    lm, lt = by_type["legallymail"], by_type["legitmailer"]
    assert lm["ui-field-behaviour"]["relabeling"]["password"] == "API token"
    assert lm["ui-field-behaviour"]["placeholders"]["host"] == "https://legallymail.com"
    assert lt["ui-field-behaviour"]["placeholders"]["host"] == "https://app.legitmailer.com"
    for name in ("timeout", "max_retries", "requests_per_minute", "rate_window", "timezone"):
        assert name in lm["conn-fields"]
        assert name in lt["conn-fields"]
    assert "credentials_in_body" in lm["conn-fields"]
    assert lm["conn-fields"]["requests_per_minute"]["schema"]["default"] == 10
    assert lt["conn-fields"]["requests_per_minute"]["schema"]["default"] == 0


def test_hooks_expose_the_same_form_to_older_airflow() -> None:
    assert LegallyMailHook.get_ui_field_behaviour()["relabeling"]["password"] == "API token"
    assert LegitmailerHook.default_conn_name == "legitmailer_default"
    assert LegallyMailHook.default_conn_name == "legallymail_default"


def test_operators_notifiers_links_and_config_are_registered() -> None:
    import importlib

    from airflow_provider_legallymail.get_provider_info import get_provider_info

    info = get_provider_info()
    for path in info["notifications"] + info["extra-links"]:
        module, _, name = path.rpartition(".")
        assert hasattr(importlib.import_module(module), name), path
    assert "ledger_path" in info["config"]["legallymail"]["options"]


def test_evidence_settings_are_declared_and_read_through_airflow_config(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_provider_legallymail.get_provider_info import get_provider_info
    from airflow_provider_legallymail.storage import configured_flag

    options = get_provider_info()["config"]["legallymail"]["options"]
    assert (
        options["evidence_path"]["type"] == "string" and "ObjectStoragePath" in options["evidence_path"]["description"]
    )
    assert options["evidence_path_shared"]["type"] == "boolean"
    assert "every host" in options["evidence_path_shared"]["description"]
    assert options["evidence_path_shared"]["default"] == "False"
    monkeypatch.delenv("AIRFLOW__LEGALLYMAIL__EVIDENCE_PATH_SHARED", raising=False)
    assert configured_flag("evidence_path_shared") is False
    monkeypatch.setenv("AIRFLOW__LEGALLYMAIL__EVIDENCE_PATH_SHARED", "True")
    assert configured_flag("evidence_path_shared") is True


def test_budget_sharing_is_declared_on_by_default_and_its_variable_is_readable_in_the_ui(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import airflow.settings  # noqa: F401  (configures the masker from [core], as the api-server does)
    from airflow._shared.secrets_masker import should_hide_value_for_key

    from airflow_provider_legallymail.client.peers import SETTING, sharing_enabled, variable_key
    from airflow_provider_legallymail.get_provider_info import get_provider_info

    option = get_provider_info()["config"]["legallymail"]["options"][SETTING]
    assert option["type"] == "boolean" and option["default"] == "True"
    assert "legallymail_budget_hosts_" in option["description"]
    monkeypatch.delenv("AIRFLOW__LEGALLYMAIL__SHARE_BUDGET_BETWEEN_HOSTS", raising=False)
    assert sharing_enabled() is True
    monkeypatch.setenv("AIRFLOW__LEGALLYMAIL__SHARE_BUDGET_BETWEEN_HOSTS", "maybe")
    with pytest.raises(ValueError, match=r"\[legallymail\] share_budget_between_hosts = 'maybe'"):
        sharing_enabled()
    assert not should_hide_value_for_key(variable_key("https://legallymail.com:443"))  # not shown as ***


def test_no_connection_form_field_is_named_like_a_secret() -> None:
    """Airflow's secrets masker hides every field whose name contains one of its words (``token``...): the UI
    form would show such an extra as ``***`` and Save would store the mask as its value."""
    import airflow.settings  # noqa: F401  (configures the masker from [core], as the api-server does)
    from airflow._shared.secrets_masker import DEFAULT_SENSITIVE_FIELDS, should_hide_value_for_key

    from airflow_provider_legallymail.get_provider_info import get_provider_info

    assert should_hide_value_for_key("token_in_body")  # the trap the former name fell into
    for connection in get_provider_info()["connection-types"]:
        for name in connection["conn-fields"]:
            assert not [word for word in DEFAULT_SENSITIVE_FIELDS if word in name], name
            assert not should_hide_value_for_key(name), name
