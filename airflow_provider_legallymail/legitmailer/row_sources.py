"""Rows for the Legitmailer operators, streamed from a list, a CSV / JSON Lines file, or a SQL query.

A ``RowSource`` can be read more than once and never holds more than one chunk of a file or a query in
memory. Files are local paths, ``ObjectStoragePath`` s or ``scheme://`` URLs, read as UTF-8 (a BOM is
ignored); the format comes from the name: ``.csv`` (a header row), ``.jsonl`` / ``.ndjson`` / ``.json``
(one JSON object per line). A query runs through the ``DbApiHook`` of any Airflow SQL connection
(``airflow.providers.common.sql``) and is read with ``fetchmany``.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from airflow_provider_legallymail.validation import fail, parse_rendered

CHUNK_ROWS = 1000
CSV_SUFFIXES = (".csv",)
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")


class Row(Mapping[str, Any]):
    """One input row whose column names match regardless of case and surrounding spaces.

    ``Email``, `` email `` and ``EMAIL`` all answer ``row["email"]``; iterating gives the names as written,
    stripped of spaces (a contact list's data columns keep their case).
    """

    def __init__(self, data: Mapping[Any, Any]) -> None:
        self._data = {str(k).strip(): v for k, v in data.items() if k is not None}
        self._names = {name.casefold(): name for name in self._data}

    def __getitem__(self, key: str) -> Any:
        return self._data[self._names[str(key).strip().casefold()]]

    def __contains__(self, key: object) -> bool:
        return str(key).strip().casefold() in self._names

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def except_columns(self, *names: str) -> dict[str, Any]:
        """The other columns, as written (``names`` compared regardless of case and spaces)."""
        skip = {name.strip().casefold() for name in names}
        return {k: v for k, v in self._data.items() if k.casefold() not in skip}


class BadRow(NamedTuple):
    """A row that could not be parsed (reported with its row number, never its content)."""

    reason: str


@dataclass(frozen=True)
class RowSource:
    """Where rows come from: ``rows`` (a list, a file) or ``conn_id`` + ``sql``."""

    rows: Any = None
    conn_id: str | None = None
    sql: str | None = None
    field: str = "recipients"

    def describe(self) -> str:
        """Words for logs, without any row content."""
        if self.sql is not None:
            return f"SQL query on connection {self.conn_id!r}"
        if isinstance(self.rows, list | tuple):
            return f"a list of {len(self.rows)} row(s)"
        return f"file {_name_of(self.rows)}"

    def __iter__(self) -> Iterator[Row | BadRow]:
        """Rows numbered from 1 over the data rows: a CSV header and blank JSON Lines lines do not count."""
        if self.sql is not None:
            rows: Iterator[Mapping[str, Any] | BadRow] = _sql_rows(str(self.conn_id), self.sql, self.field)
        elif isinstance(self.rows, list | tuple):
            rows = (row if isinstance(row, Mapping) else BadRow("not a mapping") for row in self.rows)
        else:
            rows = _file_rows(self.rows, self.field)
        return (row if isinstance(row, BadRow) else Row(row) for row in rows)


def row_source(rows: Any, conn_id: str | None, sql: str | None, field: str = "recipients") -> RowSource:
    """Check the arguments (exactly one source) and parse a rendered list; raises ``ValidationError``."""
    if sql is not None or conn_id is not None:
        if rows is not None:
            raise fail(field, f"give either {field} or conn_id + sql, not both")
        if not conn_id or not sql or not str(sql).strip():
            raise fail("sql", "a SQL source needs both conn_id and sql")
        return RowSource(conn_id=str(conn_id), sql=str(sql), field=field)
    if rows is None:
        raise fail(field, f"{field} (a list, a CSV / JSON Lines file) or conn_id + sql is required")
    if isinstance(rows, str):
        text = rows.strip()
        if text.startswith("["):  # a list rendered by Jinja
            rows = parse_rendered(text)
            if not isinstance(rows, list):
                raise fail(field, "a string starting with '[' is not a JSON or Python list")
        elif not text:
            raise fail(field, "an empty string is neither a list nor a file")
    if isinstance(rows, list | tuple):
        return RowSource(rows=rows, field=field)
    if isinstance(rows, str | os.PathLike) or hasattr(rows, "protocol"):
        _format_of(rows, field)
        return RowSource(rows=rows, field=field)
    raise fail(field, f"expected a list of rows, a file path or an ObjectStoragePath, got {type(rows).__name__}")


def _name_of(location: Any) -> str:
    return str(getattr(location, "name", None) or os.path.basename(os.fspath(location)))


def _format_of(location: Any, field: str) -> str:
    name = _name_of(location).lower()
    if name.endswith(CSV_SUFFIXES):
        return "csv"
    if name.endswith(JSONL_SUFFIXES):
        return "jsonl"
    raise fail(field, f"{_name_of(location)!r}: a file must end in .csv, .jsonl, .ndjson or .json (JSON Lines)")


def _open_text(location: Any, field: str) -> io.TextIOBase:
    if isinstance(location, str) and "://" in location:
        from airflow.sdk import ObjectStoragePath

        location = ObjectStoragePath(location)
    try:
        if hasattr(location, "protocol"):  # an ObjectStoragePath
            return io.TextIOWrapper(location.open("rb"), encoding="utf-8-sig", newline="")
        return open(os.fspath(location), encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise fail(field, f"cannot read {_name_of(location)!r}: {exc.strerror or exc}") from None


def _file_rows(location: Any, field: str) -> Iterator[Mapping[str, Any] | BadRow]:
    kind = _format_of(location, field)
    with _open_text(location, field) as handle:
        if kind == "csv":
            for row in csv.DictReader(handle):
                row.pop(None, None)  # type: ignore[call-overload]  # values beyond the header
                yield row
            return
        for line in handle:
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except ValueError:
                yield BadRow("not valid JSON")
                continue
            yield value if isinstance(value, Mapping) else BadRow("not a JSON object")


def _sql_rows(conn_id: str, sql: str, field: str) -> Iterator[Mapping[str, Any] | BadRow]:
    from airflow.sdk import BaseHook

    try:
        from airflow.providers.common.sql.hooks.sql import DbApiHook
    except ImportError:
        raise fail("conn_id", "a SQL source needs apache-airflow-providers-common-sql") from None
    hook = BaseHook.get_connection(conn_id).get_hook()  # type: ignore[no-untyped-call]
    if not isinstance(hook, DbApiHook):
        raise fail("conn_id", f"connection {conn_id!r} is not a SQL connection (its hook is not a DbApiHook)")
    conn = hook.get_conn()
    try:
        cursor = conn.cursor()
        try:
            cursor.execute(sql)
            names = [str(column[0]) for column in cursor.description or ()]
            while chunk := cursor.fetchmany(CHUNK_ROWS):
                for values in chunk:
                    yield dict(zip(names, values, strict=False))
        finally:
            cursor.close()
    finally:
        conn.close()
