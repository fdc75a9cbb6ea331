"""Status vocabulary shared by hooks, operators, sensors, triggers and the sandbox.

Each Enum has ``terminal`` (will not change any more), ``success`` and ``failure`` sets, and ``parse``
which maps a string the API returned to a member (``UNKNOWN`` for values the docs do not list).
"""

from __future__ import annotations

import enum
from typing import TypeVar

_S = TypeVar("_S", bound="_Status")


class _Status(str, enum.Enum):
    @classmethod
    def parse(cls: type[_S], value: object) -> _S:
        try:
            return cls(str(value).strip().lower())
        except ValueError:
            return cls("unknown")

    @classmethod
    def terminal(cls: type[_S]) -> frozenset[_S]:
        return frozenset()

    @classmethod
    def success(cls: type[_S]) -> frozenset[_S]:
        return frozenset()

    @classmethod
    def failure(cls: type[_S]) -> frozenset[_S]:
        return frozenset()

    @property
    def is_terminal(self) -> bool:
        return self in type(self).terminal()

    @property
    def is_success(self) -> bool:
        return self in type(self).success()

    @property
    def is_failure(self) -> bool:
        return self in type(self).failure()

    def __str__(self) -> str:
        return str(self.value)


class EmailStatus(_Status):
    """A certified email (or one recipient of it): pending/sent -> delivered -> read, or failed/bounced."""

    PENDING = "pending"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"
    BOUNCED = "bounced"
    UNKNOWN = "unknown"

    @classmethod
    def terminal(cls) -> frozenset[EmailStatus]:
        return frozenset({cls.READ, cls.FAILED, cls.BOUNCED})

    @classmethod
    def success(cls) -> frozenset[EmailStatus]:
        return frozenset({cls.DELIVERED, cls.READ})

    @classmethod
    def failure(cls) -> frozenset[EmailStatus]:
        return frozenset({cls.FAILED, cls.BOUNCED})

    def reached(self, target: EmailStatus) -> bool:
        """True once this status is at or past ``target`` on pending -> sent -> delivered -> read."""
        order = [EmailStatus.PENDING, EmailStatus.SENT, EmailStatus.DELIVERED, EmailStatus.READ]
        if self not in order or target not in order:
            return self == target
        return order.index(self) >= order.index(target)


class SignatureStatus(_Status):
    """A signature request: pending -> signed, or declined / expired (past ``expires_at``)."""

    PENDING = "pending"
    SIGNED = "signed"
    DECLINED = "declined"
    EXPIRED = "expired"
    UNKNOWN = "unknown"

    @classmethod
    def terminal(cls) -> frozenset[SignatureStatus]:
        return frozenset({cls.SIGNED, cls.DECLINED, cls.EXPIRED})

    @classmethod
    def success(cls) -> frozenset[SignatureStatus]:
        return frozenset({cls.SIGNED})

    @classmethod
    def failure(cls) -> frozenset[SignatureStatus]:
        return frozenset({cls.DECLINED, cls.EXPIRED})


class SmsStatus(_Status):
    """A certified SMS: pending/sent -> delivered, or failed."""

    PENDING = "pending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    UNKNOWN = "unknown"

    @classmethod
    def terminal(cls) -> frozenset[SmsStatus]:
        return frozenset({cls.DELIVERED, cls.FAILED})

    @classmethod
    def success(cls) -> frozenset[SmsStatus]:
        return frozenset({cls.DELIVERED})

    @classmethod
    def failure(cls) -> frozenset[SmsStatus]:
        return frozenset({cls.FAILED})
