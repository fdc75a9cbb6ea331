"""The ``settled`` target's parameters: which success settles a party, and how many failures a wait tolerates.

``target="settled"`` waits until every selected party has a final outcome: it reached ``settle_on`` (an
email: ``delivered`` (default) or ``read``; a signature: ``signed``; an SMS: ``delivered``) or it failed
(bounced, failed, declined, expired). The tolerance says when that is a success:

- ``max_failures``: at most this many parties may fail (None: any number);
- ``min_reached``: at least this share (0..1) of the selected parties must reach ``settle_on`` (None: no
  minimum; ``0.95`` means 95%, rounded up to whole parties).

The decision (``decision.decide``) fails as soon as the tolerance can no longer be met, without waiting for
the rest. Every check here runs before any request and names the field (with the prefix a sending
operator's ``wait_*`` parameters carry).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from airflow_provider_legallymail.kinds import KINDS, SETTLED
from airflow_provider_legallymail.validation import fail


@dataclass(frozen=True)
class Tolerance:
    """How a ``settled`` wait ends: the success a party settles on, and the failures it tolerates."""

    settle_on: str
    max_failures: int | None = None
    min_reached: float | None = None

    def needed(self, total: int) -> int:
        """Parties of ``total`` that must reach ``settle_on`` (``min_reached``, rounded up)."""
        return 0 if self.min_reached is None else math.ceil(self.min_reached * total - 1e-9)

    def describe(self) -> str:
        limits = [f"settled on {self.settle_on}"]
        if self.max_failures is not None:
            limits.append(f"max_failures={self.max_failures}")
        if self.min_reached is not None:
            limits.append(f"min_reached={self.min_reached:g}")
        return ", ".join(limits)

    def to_json(self) -> dict[str, Any]:
        return {"settle_on": self.settle_on, "max_failures": self.max_failures, "min_reached": self.min_reached}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Tolerance:
        minimum = data.get("min_reached")
        failures = data.get("max_failures")
        return cls(
            str(data["settle_on"]),
            None if failures is None else int(failures),
            None if minimum is None else float(minimum),
        )


def tolerance(
    kind: str,
    target: str,
    selection: Any = "all",
    *,
    settle_on: str | None = None,
    max_failures: int | None = None,
    min_reached: float | None = None,
    prefix: str = "",
    target_field: str = "target",
    selection_field: str | None = None,
) -> Tolerance | None:
    """The checked tolerance of a ``settled`` wait, None for another target; ``ValidationError`` names the field.

    ``prefix``: what the fields are called on a sending operator (``wait_`` for ``wait_max_failures``).
    """
    spec_kind = KINDS[kind]
    given = {"settle_on": settle_on, "max_failures": max_failures, "min_reached": min_reached}
    if target != SETTLED:
        for name, value in given.items():
            if value is not None:
                raise fail(prefix + name, f"applies only to {target_field}={SETTLED!r} (got {target_field}={target!r})")
        return None
    if isinstance(selection, str) and selection.strip().lower() == "any":
        field = selection_field or spec_kind.parties
        raise fail(field, f'"any" does not apply to {SETTLED!r}, which waits for every selected party: use min_reached')
    chosen = spec_kind.targets[0] if settle_on is None else str(settle_on).strip().lower()
    if chosen not in spec_kind.targets:
        raise fail(prefix + "settle_on", f"{settle_on!r} is not one of {', '.join(spec_kind.targets)} for a {kind}")
    if max_failures is not None and (isinstance(max_failures, bool) or not isinstance(max_failures, int)):
        raise fail(prefix + "max_failures", f"{max_failures!r} is not a whole number of parties")
    if max_failures is not None and max_failures < 0:
        raise fail(prefix + "max_failures", f"{max_failures} is below the limit 0")
    if min_reached is not None and (isinstance(min_reached, bool) or not isinstance(min_reached, int | float)):
        raise fail(prefix + "min_reached", f"{min_reached!r} is not a share between 0 and 1")
    if min_reached is not None and not 0 <= min_reached <= 1:
        raise fail(prefix + "min_reached", f"{min_reached} is outside 0..1 (a share: 0.95 is 95%)")
    return Tolerance(chosen, max_failures, None if min_reached is None else float(min_reached))
