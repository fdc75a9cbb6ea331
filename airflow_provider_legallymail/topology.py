"""Does this Airflow run tasks on several hosts? (placeholder until the evidence branch lands)."""

from __future__ import annotations

SINGLE_HOST_EXECUTORS = frozenset({"LocalExecutor", "SequentialExecutor", "DebugExecutor"})


def is_distributed_executor() -> bool:
    """True when ``[core] executor`` names an executor that runs tasks on other hosts."""
    try:
        from airflow.configuration import conf

        configured = conf.get("core", "executor", fallback="LocalExecutor") or "LocalExecutor"
    except Exception:  # pragma: no cover - configuration unavailable
        return False
    names = [part.strip().split(":")[-1].rsplit(".", 1)[-1] for part in configured.split(",") if part.strip()]
    return any(name not in SINGLE_HOST_EXECUTORS for name in names)
