"""Pass 1 of a campaign: each row checked and planned; problems name the row's column, never its content."""

from __future__ import annotations

from pathlib import Path

import pytest

from airflow_provider_legallymail.campaigns.rows import EmailRows, SignatureRows, shard_of
from airflow_provider_legallymail.exceptions import ValidationError
from airflow_provider_legallymail.legitmailer.problems import RowError
from airflow_provider_legallymail.legitmailer.row_sources import BadRow, Row

SECRET = "ana.secret@example.com"


def email_rows(**kwargs: object) -> EmailRows:
    return EmailRows(subject="Notice {{ customer_id }}", html="<p>Dear {{ name }}</p>", **kwargs)  # type: ignore[arg-type]


def test_a_row_is_rendered_with_its_own_columns_and_html_escaped_in_the_body() -> None:
    planned = email_rows().plan(Row({"Email": SECRET, "Name": "Ana <&>", "customer_id": "C1"}))
    assert planned.data == {
        "email": SECRET,
        "subject": "Notice C1",
        "html": "<p>Dear Ana &lt;&amp;&gt;</p>",
        "attachments": [],
    }
    assert planned.who == SECRET


def test_without_templates_the_subject_and_body_come_from_the_rows_columns() -> None:
    planned = EmailRows().plan(Row({"email": SECRET, "subject": "Own", "html": "<b>{{ not rendered }}</b>"}))
    assert (planned.data["subject"], planned.data["html"]) == ("Own", "<b>{{ not rendered }}</b>")


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"email": "not-an-address", "name": "Ana", "customer_id": "C1"}, "email: not a valid address"),
        ({"name": "Ana", "customer_id": "C1"}, "email: missing"),
        ({"email": SECRET, "customer_id": "C1"}, "html: needs column 'name', which the row lacks"),
        (
            {"email": SECRET, "name": "Ana", "customer_id": "C1", "attachments": "/nonexistent/x.pdf"},
            "attachments[0]: cannot be read",
        ),
    ],
)
def test_a_bad_row_names_the_column_and_not_its_content(row: dict[str, str], message: str) -> None:
    with pytest.raises(RowError) as caught:
        email_rows().plan(Row(row))
    assert str(caught.value) == message
    assert SECRET not in str(caught.value) and "nonexistent" not in str(caught.value)


def test_attachments_over_the_limit_are_a_problem_before_anything_is_sent(tmp_path: Path) -> None:
    (tmp_path / "a.bin").write_bytes(b"x" * 600)
    (tmp_path / "b.bin").write_bytes(b"x" * 600)
    row = Row({"email": SECRET, "name": "A", "customer_id": "C", "attachments": f"{tmp_path}/a.bin; {tmp_path}/b.bin"})
    assert email_rows(max_attachment_bytes=1200).plan(row).data["attachments"] == [
        f"{tmp_path}/a.bin",
        f"{tmp_path}/b.bin",
    ]
    with pytest.raises(RowError, match=r"attachments: 1200 bytes in all; at most 1000 per email"):
        email_rows(max_attachment_bytes=1000).plan(row)


def test_the_unit_key_follows_recipient_and_content_not_position() -> None:
    rows = email_rows()
    base = {"email": SECRET, "name": "Ana", "customer_id": "C1"}
    key = rows.plan(Row(base)).key
    assert rows.plan(Row({**base, "email": SECRET.upper(), "unused": "x"})).key == key  # case, other columns
    assert rows.plan(Row({**base, "name": "Bea"})).key != key  # another body
    assert rows.plan(Row({**base, "email": "bob@example.com"})).key != key  # another recipient
    assert key.startswith("email:") and shard_of(key) == shard_of(key) is not None


def test_a_bad_template_fails_at_once_naming_the_argument() -> None:
    with pytest.raises(ValidationError, match="subject: not a valid Jinja template"):
        EmailRows(subject="{{ unclosed")


def test_a_row_that_could_not_be_parsed_is_reported_as_such() -> None:
    with pytest.raises(RowError, match="not valid JSON"):
        email_rows().plan(BadRow("not valid JSON"))


def test_a_signature_row_reads_its_pdf_and_signers(tmp_path: Path) -> None:
    pdf = tmp_path / "k1.pdf"
    pdf.write_bytes(b"%PDF-1.4 contract")
    rows = SignatureRows(key_column="contract_id")
    one = rows.plan(Row({"contract_id": "K1", "document": str(pdf), "signer_name": "Ana", "signer_email": SECRET}))
    assert one.data == {"document": str(pdf), "document_name": "k1.pdf", "signers": [{"name": "Ana", "email": SECRET}]}
    assert one.row_key == "K1"
    two = rows.plan(
        Row(
            {
                "contract_id": "K2",
                "document": str(pdf),
                "document_name": "Contract K2.pdf",
                "signers": '[{"name": "Ana", "email": "a@example.com"}, {"name": "Bo", "email": "b@example.com"}]',
            }
        )
    )
    assert [s["email"] for s in two.data["signers"]] == ["a@example.com", "b@example.com"]
    assert one.key != two.key and one.key.startswith("signature:")


def test_a_signature_row_without_a_pdf_or_a_valid_signer_is_a_problem(tmp_path: Path) -> None:
    text = tmp_path / "k1.pdf"
    text.write_bytes(b"not a pdf")
    rows = SignatureRows()
    with pytest.raises(RowError, match=r"^document: not a PDF$"):
        rows.plan(Row({"document": str(text), "signer_name": "Ana", "signer_email": SECRET}))
    text.write_bytes(b"%PDF-1.4")
    with pytest.raises(RowError, match=r"^signer\[0\]\.email: not valid$"):
        rows.plan(Row({"document": str(text), "signer_name": "Ana", "signer_email": "nope"}))
    with pytest.raises(RowError, match=r"^document: missing$"):
        rows.plan(Row({"signer_name": "Ana", "signer_email": SECRET}))
