"""Which request the shared poller spends a free slot on, and the list rows that must trigger a fetch."""

from __future__ import annotations

from typing import Any

from airflow_provider_legallymail.waiting.decision import EXPIRY_GRACE
from airflow_provider_legallymail.waiting.policy import Watch, choose
from airflow_provider_legallymail.waiting.poller import DEFAULT_CONFIG, Subscription
from airflow_provider_legallymail.waiting.wait import wait_spec

T0 = 1_800_000_000.0


def watch(kind: str, ident: str, *, age: float, checked_ago: float | None = None, **fields: Any) -> Watch:
    w = Watch(kind, ident, registered=T0 - age, **fields)
    if checked_ago is not None:
        w.last_check = T0 - checked_ago
    return w


def observed(kind: str, ident: str, status: str) -> dict[str, Any]:
    return {"kind": kind, "id": ident, "status": status, "parties": [{"who": "ana@example.com", "status": status}]}


def waiting_for(w: Watch, target: str) -> Watch:
    w.subscribers.add(Subscription(wait_spec(w.kind, w.ident, target, deadline=T0 + 3600)))
    return w


def test_a_fresh_sms_goes_before_an_email_unread_for_an_hour() -> None:
    sms = watch("sms", "sms-1", age=10)
    email = watch("email", "cm_old", age=3600, checked_ago=600, single=False)
    action, _ = choose([email, sms], T0, DEFAULT_CONFIG, {})
    assert action is not None and action.watch is sms


def test_among_alike_waits_the_one_unchecked_longest_goes_first() -> None:
    recent = watch("signature", "s-recent", age=3600, checked_ago=60, single=False)
    stale = watch("signature", "s-stale", age=3600, checked_ago=900, single=False)
    action, _ = choose([recent, stale], T0, DEFAULT_CONFIG, {})
    assert action is not None and action.watch is stale


def test_one_list_request_stands_in_for_several_single_recipient_emails() -> None:
    covered = [watch("email", f"cm_{i}", age=600, checked_ago=300, single=True) for i in range(10)]
    lone = watch("email", "cm_group", age=600, checked_ago=300, single=False)
    action, _ = choose([*covered, lone], T0, DEFAULT_CONFIG, {})
    assert action is not None and (action.what, action.kind) == ("list", "email")
    # the same list was just requested: the multi-recipient email, which no row proves, is next
    action, _ = choose([*covered, lone], T0, DEFAULT_CONFIG, {"email": T0 - 1})
    assert action is not None and action.watch is lone


def test_nothing_is_polled_again_before_its_minimum_interval_even_with_budget_to_spare() -> None:
    just_checked = watch("email", "cm_1", age=3600, checked_ago=1, single=False)
    action, next_at = choose([just_checked], T0, DEFAULT_CONFIG, {})
    assert action is None and T0 + 1 < next_at <= T0 + DEFAULT_CONFIG.recheck_cap
    action, _ = choose([just_checked], next_at, DEFAULT_CONFIG, {})
    assert action is not None and action.watch is just_checked


def test_a_changed_row_and_a_signature_past_its_expiry_are_fetched_first() -> None:
    sms = watch("sms", "sms-1", age=10)
    changed = watch("email", "cm_read", age=600, checked_ago=5, single=True, urgent=True)
    action, _ = choose([sms, changed], T0, DEFAULT_CONFIG, {})
    assert action is not None and action.watch is changed
    expiring = watch("signature", "s-1", age=7 * 86400, checked_ago=120, single=True)
    expiring.expires_at = T0 - EXPIRY_GRACE - 5
    action, _ = choose([sms, expiring], T0, DEFAULT_CONFIG, {})
    assert action is not None and action.watch is expiring and action.urgent


def test_a_list_row_that_moved_on_since_the_last_get_is_fetched() -> None:
    """The 2 failed waits at N = 100: signed between the first GET and the first list row, never seen."""
    w = watch("signature", "s-1", age=600, checked_ago=300)
    w.record(observed("signature", "s-1", "pending"), T0 - 300, changed=True)
    w.apply_row(("signed", "2027-01-15T08:00:00+01:00"), True, T0)
    assert w.urgent
    action, _ = choose([w], T0, DEFAULT_CONFIG, {})
    assert action is not None and action.watch is w


def test_a_first_row_is_fetched_only_when_it_can_end_a_wait() -> None:
    for target, fetched in (("read", False), ("delivered", True)):
        w = waiting_for(watch("email", "cm_1", age=30), target)
        w.apply_row(("delivered", None, None), True, T0)
        assert w.urgent is fetched, target
    bounced = waiting_for(watch("email", "cm_2", age=30), "read")
    bounced.apply_row(("bounced", None, "Hard Bounce"), True, T0)
    assert bounced.urgent


def settled_on_delivery(w: Watch) -> Watch:
    spec = wait_spec(w.kind, w.ident, "settled", deadline=T0 + 3600, settle={"settle_on": "delivered"})
    w.subscribers.add(Subscription(spec, decisive=True))
    return w


def test_a_recipient_a_campaign_settled_on_delivery_has_is_never_listed_or_read_again() -> None:
    """A campaign's 200 waits: re-reading a delivered notice because it was read later cost a request each."""
    delivered = settled_on_delivery(watch("email", "cm_1", age=60, checked_ago=30, single=True))
    delivered.record(observed("email", "cm_1", "delivered"), T0 - 30, changed=True)
    bounced = settled_on_delivery(watch("email", "cm_2", age=60, checked_ago=30, single=True))
    bounced.record(observed("email", "cm_2", "bounced"), T0 - 30, changed=True)
    sent = settled_on_delivery(watch("email", "cm_3", age=60, checked_ago=30, single=True))
    sent.record(observed("email", "cm_3", "sent"), T0 - 30, changed=True)
    assert (delivered.decided, bounced.decided, sent.decided) == (True, True, False)
    assert not delivered.list_covers() and sent.list_covers()
    # an hour later, the only request is the list, for the one still sent; the other two are not read again
    action, _ = choose([delivered, bounced, sent], T0 + 3600, DEFAULT_CONFIG, {"email": T0})
    assert action is not None and action.what == "list"
    action, next_at = choose([delivered, bounced], T0 + 3600, DEFAULT_CONFIG, {"email": T0})
    assert action is None and next_at == T0 + 3600 + DEFAULT_CONFIG.cap


def test_a_second_wait_for_more_or_an_event_source_makes_a_decided_recipient_polled_again() -> None:
    for second in ("read", "events"):
        delivered = settled_on_delivery(watch("email", "cm_1", age=60, checked_ago=30, single=False))
        delivered.record(observed("email", "cm_1", "delivered"), T0 - 30, changed=True)
        assert delivered.decided
        if second == "read":  # a wait that ends once read
            delivered.subscribers.add(Subscription(wait_spec("email", "cm_1", "read", deadline=T0), decisive=True))
        else:  # an event trigger's subscription: it wants every change, a read too
            waiting_for(delivered, "delivered")
        delivered.decide(T0)
        assert not delivered.decided, second
        action, _ = choose([delivered], T0 + 3600, DEFAULT_CONFIG, {})
        assert action is not None and (action.what == "list" or action.watch is delivered), second
