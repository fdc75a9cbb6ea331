"""The integration fixtures (a sandbox behind both default connections, sped-up waits, a PDF) for snippet runs."""

from tests.integration.conftest import connect, lm_hook, lt_hook, pdf, sped_up, waits

__all__ = ["connect", "lm_hook", "lt_hook", "pdf", "sped_up", "waits"]
