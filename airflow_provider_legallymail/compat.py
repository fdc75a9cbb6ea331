"""Imports that moved between Airflow 3.1 and 3.3, resolved once."""

from __future__ import annotations

try:
    from airflow.sdk.exceptions import (
        AirflowFailException,
        AirflowSensorTimeout,
        AirflowSkipException,
        TaskDeferralTimeout,
    )
except ImportError:  # Airflow 3.1
    from airflow.exceptions import (  # type: ignore[attr-defined,no-redef]
        AirflowFailException,
        AirflowSensorTimeout,
        AirflowSkipException,
        TaskDeferralTimeout,
    )

__all__ = ["AirflowFailException", "AirflowSensorTimeout", "AirflowSkipException", "TaskDeferralTimeout"]
