"""The kinds of item LegallyMail keeps (certified email, signature request, certified SMS), one ``Kind`` each.

Everything that differs between kinds outside the models and the hook is here: the name a wait spec, a
ledger key and an event carry (``"email"``), the id field, what its parties are called, its status enum,
the targets a wait may ask for, the statuses an event trigger announces, the default ``wait_timeout``, how
likely it is to change while polled, and the hook methods that read it. Adding a kind means a model, a
hook method, an observation builder (``waiting/observations.py``) and one entry here.
"""

from __future__ import annotations

from dataclasses import dataclass

from airflow_provider_legallymail.statuses import EmailStatus, SignatureStatus, SmsStatus, _Status

DAY = 86400.0
SETTLED = "settled"
"""A wait target of every kind: each selected party has a final outcome (``waiting/tolerance.py``)."""


@dataclass(frozen=True)
class Hazard:
    """``h(age) = k / (age + a0)``: P(no change over [a1, a2]) = ((a1 + a0) / (a2 + a0)) ** k."""

    a0: float
    k: float


@dataclass(frozen=True)
class Kind:
    name: str  # in wait specs, ledger keys ("<name>:..."), events and archive summaries
    id_field: str  # the API's id of one item
    parties: str  # what its parties are called in results and events ("recipients", "signers")
    status: type[_Status]
    targets: tuple[str, ...]  # the successes a wait may wait for; the first is an event watch's and settled's
    event_statuses: tuple[str, ...]  # what an event trigger may announce, in order
    default_timeout: float  # ``wait_for=`` without ``wait_timeout`` (seconds)
    hazard: Hazard  # how likely a pending item changes with its age (the poller's policy)
    poll_floor: float  # the shortest interval between two checks of one item (API seconds)
    get: str  # the hook method reading one item by id
    list: str | None  # the hook method listing the 25 newest items (None: no list endpoint)
    selectable: bool  # a wait may select some of its parties (an SMS has one)
    one_outcome: bool  # it ends in one status (an email's recipients may fail in different ways)

    @property
    def wait_targets(self) -> tuple[str, ...]:
        """What a wait may ask for: one of ``targets``, or ``settled`` (each party reached one or failed)."""
        return (*self.targets, SETTLED)

    @property
    def party(self) -> str:
        """One of its parties ("recipient", "signer")."""
        return self.parties.rstrip("s")

    def __str__(self) -> str:
        return self.name


EMAIL = Kind(
    name="email",
    id_field="tracking_id",
    parties="recipients",
    status=EmailStatus,
    targets=("delivered", "read"),
    event_statuses=("delivered", "read", "bounced", "failed"),
    default_timeout=7 * DAY,
    hazard=Hazard(60.0, 1.0),  # delivered in seconds, read later
    poll_floor=5.0,
    get="get_email",
    list="list_emails",
    selectable=True,
    one_outcome=False,
)
SIGNATURE = Kind(
    name="signature",
    id_field="uuid",
    parties="signers",
    status=SignatureStatus,
    targets=("signed",),
    event_statuses=("signed", "declined", "expired"),
    default_timeout=8 * DAY,  # a request expires after a week, which fails the wait
    hazard=Hazard(60.0, 1.0),
    poll_floor=15.0,
    get="get_signature",
    list="list_signatures",
    selectable=True,
    one_outcome=True,
)
SMS = Kind(
    name="sms",
    id_field="uuid",
    parties="recipients",
    status=SmsStatus,
    targets=("delivered",),
    event_statuses=("delivered", "failed"),
    default_timeout=DAY,
    hazard=Hazard(2.0, 3.0),  # delivered within seconds
    poll_floor=3.0,
    get="get_sms",
    list=None,
    selectable=False,
    one_outcome=True,
)
KINDS: dict[str, Kind] = {k.name: k for k in (EMAIL, SIGNATURE, SMS)}
LISTABLE = tuple(name for name, k in KINDS.items() if k.list is not None)
