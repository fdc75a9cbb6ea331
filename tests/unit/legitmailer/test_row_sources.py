"""Row sources of the Legitmailer operators: lists, rendered lists, CSV and JSON Lines files, bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_legallymail.exceptions import ValidationError
from airflow_provider_legallymail.legitmailer.contact_sync import contact_of
from airflow_provider_legallymail.legitmailer.problems import Problems
from airflow_provider_legallymail.legitmailer.row_sources import BadRow, Row, row_source
from airflow_provider_legallymail.legitmailer.template_batches import recipient_of


def plain(rows: Any) -> list[Any]:
    return [row if isinstance(row, BadRow) else dict(row) for row in rows]


def test_a_list_rendered_as_a_string_is_parsed() -> None:
    rows = [{"email": "a@example.com", "first_name": "A"}]
    assert plain(row_source(json.dumps(rows), None, None)) == rows
    assert plain(row_source(str(rows), None, None)) == rows  # a Python repr, as Jinja renders it
    assert plain(row_source([rows[0], "x"], None, None)) == [rows[0], BadRow("not a mapping")]


def test_json_lines_report_bad_lines_in_place_and_skip_blank_ones(tmp_path: Path) -> None:
    path = tmp_path / "rows.ndjson"
    path.write_text('{"email": "a@example.com"}\n\nnot json\n[1, 2]\n{"email": "b@example.com"}\n')
    assert plain(row_source(path, None, None)) == [
        {"email": "a@example.com"},
        BadRow("not valid JSON"),
        BadRow("not a JSON object"),
        {"email": "b@example.com"},
    ]


def test_csv_values_beyond_the_header_are_dropped_and_short_rows_read_as_none(tmp_path: Path) -> None:
    path = tmp_path / "rows.CSV"
    path.write_text("email,first_name\na@example.com,A,extra\nb@example.com\n")
    assert plain(row_source(str(path), None, None)) == [
        {"email": "a@example.com", "first_name": "A"},
        {"email": "b@example.com", "first_name": None},
    ]


def test_a_source_is_read_afresh_each_time(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text('{"email": "a@example.com"}\n')
    source = row_source(f"file://{path}", None, None)
    assert plain(source) == plain(source) == [{"email": "a@example.com"}]
    assert source.describe() == "file rows.jsonl"


@pytest.mark.parametrize(
    ("rows", "conn_id", "sql", "message"),
    [
        (None, None, None, "is required"),
        ([], "db", "SELECT 1", "not both"),
        (None, "db", None, "needs both conn_id and sql"),
        ("people.xlsx", None, None, "must end in .csv"),
        ("[not a list", None, None, "not a JSON or Python list"),
        (42, None, None, "expected a list of rows"),
    ],
)
def test_unusable_arguments_name_the_problem(rows: object, conn_id: str | None, sql: str | None, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        row_source(rows, conn_id, sql)


def test_a_missing_file_is_reported_when_read(tmp_path: Path) -> None:
    source = row_source(str(tmp_path / "missing.csv"), None, None)
    with pytest.raises(ValidationError, match=r"cannot read 'missing.csv'"):
        list(source)


def test_csv_headers_match_regardless_of_case_and_spaces(tmp_path: Path) -> None:
    path = tmp_path / "people.csv"
    path.write_text(" Email ,NAME,Customer_ID , Plan\nana@example.com,Ana,c1,gold\n")
    (row,) = row_source(str(path), None, None)
    assert isinstance(row, Row)
    assert recipient_of(row, ["name"]) == ("ana@example.com", {"name": "Ana"})
    customer_id, email, data = contact_of(row, "customer_id")
    assert (customer_id, email) == ("c1", "ana@example.com")
    assert data == {"NAME": "Ana", "Plan": "gold"}  # data columns keep their case, lose their spaces


def test_problem_reports_say_how_rows_are_counted() -> None:
    problems = Problems("the recipients")
    problems.add("row 1", "email: missing")
    assert "row 1: email: missing" in problems.report()
    assert "Nth data row" in problems.report() and "header row is not counted" in problems.report()
