"""``LazyHook``: the one cached ``hook`` attribute of operators and notifiers.

The hook class is imported on first use, not when a DAG file imports the operator, and built from the
connection id the instance holds in ``conn_id_attr``.
"""

from __future__ import annotations

import importlib
from typing import Any, Generic, TypeVar, overload

H = TypeVar("H")


class LazyHook(Generic[H]):
    """A descriptor that builds ``hook_path``'s hook once per instance, like ``functools.cached_property``."""

    def __init__(self, hook_path: str, conn_id_attr: str) -> None:
        self.hook_path = hook_path
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
            module, _, class_name = self.hook_path.rpartition(".")
            hook_class = getattr(importlib.import_module(module), class_name)
            cached = instance.__dict__[self.name] = hook_class(getattr(instance, self.conn_id_attr))
        return cached
