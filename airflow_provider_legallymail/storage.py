"""Where the provider keeps state between tries and runs, and how it names what it stores.

Ledgers, notifier claims and contact-list snapshots live under ``ObjectStoragePath`` locations that an
Airflow config option can move to shared storage (``s3://...``); by default they sit under
``$AIRFLOW_HOME/legallymail/``. Stored names are short SHA-256 digests of what they identify.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any
from urllib.parse import quote


def digest(*parts: object, length: int = 16) -> str:
    """A stable hex name for ``parts`` (SHA-256, first ``length`` hex digits)."""
    return hashlib.sha256("\n".join(str(p) for p in parts).encode()).hexdigest()[:length]


def segment(value: object) -> str:
    """``value`` made safe as one path segment."""
    return quote(str(value), safe="-_.")


def airflow_home_url(folder: str) -> str:
    """``file://$AIRFLOW_HOME/legallymail/<folder>`` (``~/airflow`` when AIRFLOW_HOME is unset)."""
    home = os.environ.get("AIRFLOW_HOME") or os.path.expanduser("~/airflow")
    return f"file://{os.path.abspath(home)}/legallymail/{folder}"


def configured_option(option: str) -> str | None:
    """``[legallymail] <option>`` (or ``AIRFLOW__LEGALLYMAIL__<OPTION>``); None when unset or empty."""
    configured = os.environ.get(f"AIRFLOW__LEGALLYMAIL__{option.upper()}")
    if not configured:
        try:
            from airflow.configuration import conf

            configured = conf.get("legallymail", option, fallback=None)
        except Exception:  # pragma: no cover - configuration unavailable
            configured = None
    return configured or None


def configured_location(option: str, folder: str) -> str:
    """``[legallymail] <option>`` (or ``AIRFLOW__LEGALLYMAIL__<OPTION>``), else ``airflow_home_url(folder)``."""
    return configured_option(option) or airflow_home_url(folder)


TRUE_WORDS = frozenset({"true", "t", "1", "yes", "y", "on"})
FALSE_WORDS = frozenset({"false", "f", "0", "no", "n", "off"})


def configured_flag(option: str, default: bool = False) -> bool:
    """``[legallymail] <option>`` read as a boolean (``True``/``False``, as Airflow's own flags).

    :raises ValueError: for any other value, naming the setting (a typo must not silently mean False).
    """
    value = configured_option(option)
    if value is None:
        return default
    text = value.strip().lower()
    if text in TRUE_WORDS or text in FALSE_WORDS:
        return text in TRUE_WORDS
    raise ValueError(f"[legallymail] {option} = {value!r}: expected True or False")


def location(base: Any, *parts: str) -> Any:
    """``base`` (an ``ObjectStoragePath`` or a URL) joined with ``parts``."""
    from airflow.sdk import ObjectStoragePath

    path = base if hasattr(base, "protocol") else ObjectStoragePath(str(base))
    for part in parts:
        path = path / part
    return path
