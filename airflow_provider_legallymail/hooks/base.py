"""What both hooks share: reading the connection, masking the token, and building the HTTP client lazily.

Nothing heavy happens at import or construction; ``requests`` is imported on the first call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.sdk import BaseHook

from airflow_provider_legallymail.client.settings import ApiDefaults, ClientSettings, settings_from_connection
from airflow_provider_legallymail.exceptions import MailApiError
from airflow_provider_legallymail.redaction import scrub

if TYPE_CHECKING:
    from typing_extensions import Self

    from airflow_provider_legallymail.client.transport import ApiClient


def _mask(secret: str) -> None:
    try:
        from airflow.sdk.log import mask_secret
    except ImportError:  # pragma: no cover - older layouts
        from airflow.sdk.execution_time.secrets_masker import mask_secret  # type: ignore[no-redef]
    mask_secret(secret)


class MailApiHook(BaseHook):
    """Base of the two hooks: one connection, one lazily built ``ApiClient``."""

    api_defaults: ClassVar[ApiDefaults]
    connection_info: ClassVar[dict[str, Any]]

    def __init__(self, conn_id: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.conn_id = conn_id
        self._client: ApiClient | None = None

    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """The form customisation declared in provider info, for Airflow versions that ask the hook."""
        behaviour = cls.connection_info["ui-field-behaviour"]
        return {
            "hidden_fields": list(behaviour["hidden-fields"]),
            "relabeling": dict(behaviour["relabeling"]),
            "placeholders": dict(behaviour["placeholders"]),
        }

    @property
    def settings(self) -> ClientSettings:
        return self.get_conn().settings

    @property
    def server_clock_offset(self) -> float | None:
        """Seconds the API's clock is ahead of ours, from the last response's ``Date`` (None before any)."""
        return self.get_conn().server_offset

    def get_conn(self) -> ApiClient:
        """The HTTP client for this connection (built on first use, then reused)."""
        if self._client is None:
            self._client = self.client_for(self.get_connection(self.conn_id))
        return self._client

    @classmethod
    def for_connection(cls, conn: Any, *, rate_scale: float = 1.0) -> Self:
        """A hook on an already-read connection: it never asks Airflow for it (e.g. one per worker thread).

        ``rate_scale``: the API's rate window runs that many times faster than real time (a sandbox started
        with a scaled ``--rate-window``), so the request budget counts over ``rate_window / rate_scale``.
        """
        hook = cls(conn.conn_id)
        hook._client = hook.client_for(conn, rate_scale)
        return hook

    def client_for(self, conn: Any, rate_scale: float = 1.0) -> ApiClient:
        from airflow_provider_legallymail.client.transport import ApiClient  # lazy: it imports requests

        settings = settings_from_connection(conn, self.api_defaults)
        _mask(settings.token)
        if rate_scale != 1.0:
            settings = replace(settings, rate_window=settings.rate_window / rate_scale)
        return ApiClient(settings)

    def _check(self, probe: Callable[[], str]) -> tuple[bool, str]:
        try:
            return True, probe()
        except MailApiError as exc:
            return False, str(exc)
        except Exception as exc:  # a missing connection or an unexpected answer: report, don't raise
            return False, scrub(f"connection {self.conn_id!r}: {type(exc).__name__}: {exc}")
