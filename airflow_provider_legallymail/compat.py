"""Imports that moved between Airflow 3.1 and 3.3, resolved once."""

from __future__ import annotations

try:
    from airflow.sdk.exceptions import AirflowFailException
except ImportError:  # Airflow 3.1
    from airflow.exceptions import AirflowFailException  # type: ignore[attr-defined,no-redef]

__all__ = ["AirflowFailException"]
