"""Bad input fails the task on its first try (no retries), names the field, and sends nothing."""

from __future__ import annotations

import pytest
import requests_mock as rm

from tests.dag_runs import load_dag, run, states

pytestmark = pytest.mark.usefixtures("airflow_db", "lm_conn")

CASES = {
    "bad_address": (
        'SendCertifiedEmailOperator(task_id="{id}", recipients="nope", subject="s", html="h")',
        "recipients[0]: 'nope' is not a valid email address",
    ),
    "eleven_unsplit": (
        'SendCertifiedEmailOperator(task_id="{id}", recipients=[f"r{{i}}@example.com" for i in range(11)], '
        'subject="s", html="h", split_recipients=False)',
        "recipients: 11 recipients given; at most 10 per send",
    ),
    "long_sms": (
        'SmsOperator(task_id="{id}", phone="+34600000000", message="x" * 301)',
        "message: 301 characters; at most 300",
    ),
    "bad_phone": ('SmsOperator(task_id="{id}", phone="600 000 000", message="hi")', "phone: '600 000 000'"),
    "big_pdf": (
        'SignatureRequestOperator(task_id="{id}", document=b"%PDF-" + b"0" * (12 * 1024 * 1024), '
        'document_name="c.pdf", signers=[{{"name": "A", "email": "a@example.com"}}])',
        "document: 12582917 bytes; a PDF of at most 10485760 bytes",
    ),
    "not_pdf": (
        'SignatureRequestOperator(task_id="{id}", document=b"hello", document_name="c.pdf", '
        'signers=[{{"name": "A", "email": "a@example.com"}}])',
        "document: not a PDF",
    ),
    "six_signers": (
        'SignatureRequestOperator(task_id="{id}", document=b"%PDF-1.4", document_name="c.pdf", '
        'signers=[{{"name": "A", "email": "a@example.com"}}] * 6)',
        "signers: 6 signers given; between 1 and 5",
    ),
    "bad_language": (
        'SignatureRequestOperator(task_id="{id}", document=b"%PDF-1.4", document_name="c.pdf", '
        'signers=[{{"name": "A", "email": "a@example.com"}}], language="de")',
        "language: 'de' is not one of es, en, fr, it",
    ),
}


def test_every_invalid_task_fails_once_with_the_field_named(capfd: pytest.CaptureFixture[str]) -> None:
    tasks = "\n    ".join(code.format(id=name) for name, (code, _) in CASES.items())
    dag = load_dag(
        "invalid_inputs",
        f"""
with DAG("invalid_inputs", schedule=None, start_date=pendulum.datetime(2024, 1, 1),
         default_args={{"retries": 2, "retry_delay": pendulum.duration(seconds=0)}}) as dag:
    {tasks}
""",
    )
    with rm.Mocker() as m:
        dag_run = run(dag)
    assert m.call_count == 0
    assert states(dag_run) == {name: ("failed", 1) for name in CASES}
    captured = capfd.readouterr()
    log = captured.out + captured.err
    for name, (_, message) in CASES.items():
        assert log.count(message) == 1, name  # one clear error, not the same message chained twice
    assert "XCom not found" not in log  # the extra links do not go looking for links never pushed


def test_on_retry_must_be_a_known_choice() -> None:
    from airflow_provider_legallymail.operators.legallymail import SmsOperator

    with pytest.raises(ValueError, match="on_retry: 'sometimes' is not one of adopt, resend, fail"):
        SmsOperator(task_id="x", phone="+34600000000", message="m", on_retry="sometimes")


def test_rendered_list_strings_from_xcom_are_parsed() -> None:
    from airflow_provider_legallymail.validation import address_list

    assert address_list("['a@example.com', 'b@example.com']") == ["a@example.com", "b@example.com"]
    assert address_list('["a@example.com"]') == ["a@example.com"]
    assert address_list("a@example.com, b@example.com") == ["a@example.com", "b@example.com"]
    assert address_list([["a@example.com"], "b@example.com"]) == ["a@example.com", "b@example.com"]


def test_signers_rendered_from_xcom_without_tojson_are_parsed() -> None:
    from airflow_provider_legallymail.operators.legallymail import SignatureRequestOperator

    rendered = "[{'name': 'Ana', 'email': 'ana@example.com'}, {'name': 'Bob', 'email': 'bob@example.com'}]"
    op = SignatureRequestOperator(task_id="sign", document=b"%PDF-1.4", document_name="c.pdf", signers=rendered)
    (unit,) = op.build_units()
    assert unit.request == {"document_name": "c.pdf", "signer_emails": ["ana@example.com", "bob@example.com"]}
