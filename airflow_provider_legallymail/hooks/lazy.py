"""``LazyHook``: the one cached ``hook`` attribute of operators and notifiers.

The hook class is imported on first use, not when a DAG file imports the operator (``test_import_light.py``
and ``test_layers.py`` check that a DAG file loads neither ``requests`` nor the other API's hook), and built
from the connection id the instance holds in ``conn_id_attr``. The class comes from a typed loader
(``legallymail_hook`` / ``legitmailer_hook``), so a renamed hook fails the type check, not a run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar, overload

if TYPE_CHECKING:
    from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook
    from airflow_provider_legallymail.hooks.legitmailer import LegitmailerHook

H = TypeVar("H")


def legallymail_hook() -> type[LegallyMailHook]:
    from airflow_provider_legallymail.hooks.legallymail import LegallyMailHook  # lazy: see the module docstring

    return LegallyMailHook


def legitmailer_hook() -> type[LegitmailerHook]:
    from airflow_provider_legallymail.hooks.legitmailer import LegitmailerHook  # lazy: see the module docstring

    return LegitmailerHook


class LazyHook(Generic[H]):
    """A descriptor that builds ``hook_class()``'s hook once per instance, like ``functools.cached_property``."""

    def __init__(self, hook_class: Callable[[], type[H]], conn_id_attr: str) -> None:
        self.hook_class = hook_class
        self.conn_id_attr = conn_id_attr
        self.name = "hook"

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> LazyHook[H]: ...

    @overload
    def __get__(self, instance: object, owner: type | None = None) -> H: ...

    def __get__(self, instance: object | None, owner: type | None = None) -> Any:
        if instance is None:
            return self
        cached = instance.__dict__.get(self.name)
        if cached is None:
            hook_class: Any = self.hook_class()
            cached = instance.__dict__[self.name] = hook_class(getattr(instance, self.conn_id_attr))
        return cached
