"""Police notices, issued inside the intervention's save and read by the agency they are addressed to.

Listings and escalation read the ``notices`` read model and are left to the projection
tests; everything here reads the aggregates, so no follower or projector is wired.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from domain.notifications import Notification
from services.usecases.notifications import Notifications

INTERVENTION = {"police_reference": "KPP-123/26", "place": "ul. Polna 3", "child_present": True}


@pytest.fixture
def notifications(store, clock, gate, children) -> Notifications:
    wired = Notifications(store, None, None, clock, gate=gate)  # type: ignore[arg-type]
    children.signal_hooks.append(wired.on_signal)  # as services.bootstrap wires it
    return wired


def intervene(children, clock, world, child_id, **extra) -> dict:
    extra.setdefault("intervention", INTERVENTION)
    answer, _ = children.record_signal(
        world.actor("police"),
        child_id,
        kind="domestic_intervention",
        observed_at=clock() - timedelta(hours=3),
        details="awantura",
        **extra,
    )
    return answer


@pytest.fixture
def notified(notifications, children, clock, world, child) -> dict[str, UUID]:
    """The notices of one intervention, by the recipient's agency kind."""
    return {n["recipient_kind"]: UUID(n["id"]) for n in intervene(children, clock, world, child)["notified"]}


def test_an_intervention_notifies_the_childs_school_and_ops_in_the_same_save(notified, store, world, child):
    assert set(notified) == {"school", "ops"}
    notice = store.repository.get(notified["school"])
    assert isinstance(notice, Notification)
    assert (notice.child_id, notice.recipient_agency_id) == (child, world.agencies["school"])


def test_a_notice_is_due_at_the_start_of_the_next_school_day(notifications, notified, world):
    notice = notifications.get(world.actor("school"), notified["school"])
    # recorded on Tuesday 3 March at 09:00 in Warsaw: due on Wednesday at 08:00
    assert datetime.fromisoformat(notice["due_at"]) == datetime(2026, 3, 4, 7, 0, tzinfo=UTC)
    assert notice["overdue"] is False


def test_an_unacknowledged_notice_is_overdue_once_the_clock_passes_its_due_time(notifications, notified, world, clock):
    clock.advance(days=1)
    assert notifications.get(world.actor("school"), notified["school"])["overdue"] is True


def test_intervention_details_on_another_kind_of_signal_are_refused(
    notifications, children, store, clock, world, child
):
    before = store.recorder.max_notification_id()
    with pytest.raises(InvalidInput) as refused:
        children.record_signal(
            world.actor("police"),
            child,
            kind="home_visit",
            intervention=INTERVENTION,
            observed_at=clock() - timedelta(hours=1),
        )
    assert "intervention" in refused.value.errors
    assert store.recorder.max_notification_id() == before  # neither the signal nor a notice


def test_incomplete_intervention_details_are_refused_naming_the_field(notifications, children, clock, world, child):
    with pytest.raises(InvalidInput) as refused:
        intervene(children, clock, world, child, intervention={"police_reference": "K-1", "place": "dom"})
    assert "intervention.child_present" in refused.value.errors


def test_the_recipients_first_read_records_delivery_and_is_audited(notifications, notified, gate, world, child):
    first = notifications.get(world.actor("school"), notified["school"])
    assert (first["direction"], first["intervention"]["police_reference"]) == ("received", "KPP-123/26")
    assert first["delivered_at"] is not None
    assert [(r.view, r.child_ids) for r in gate.reads] == [("notification", (str(child),))]


def test_the_sender_sees_its_notice_without_delivering_it(notifications, notified, world):
    sent = notifications.get(world.actor("police"), notified["school"])
    assert (sent["direction"], sent["delivered_at"]) == ("sent", None)


def test_an_agency_the_notice_is_not_addressed_to_does_not_find_it(notifications, notified, other_world, world):
    with pytest.raises(NotFound):
        notifications.get(world.actor("health"), notified["school"])
    with pytest.raises(NotFound):
        notifications.get(other_world.actor("school"), notified["school"])


def test_only_the_recipient_acknowledges_and_only_once(notifications, notified, world):
    with pytest.raises(Forbidden):
        notifications.acknowledge(world.actor("police"), notified["school"])
    acknowledged = notifications.acknowledge(world.actor("case_worker"), notified["ops"], note="przyjęto")
    assert (acknowledged["status"], acknowledged["note"]) == ("acknowledged", "przyjęto")
    assert acknowledged["acknowledged_by"] == str(world.users["case_worker"].id)
    with pytest.raises(Conflict):
        notifications.acknowledge(world.actor("case_worker"), notified["ops"])


def test_the_police_details_are_erased_with_the_child(notifications, notified, erasure, world, child):
    erasure.request(world.actor("coordinator"), child, ground="authorised_request", reference="SR 1/26")
    erasure.approve(world.actor("auditor"), child)  # a second person
    notice = notifications.get(world.actor("school"), notified["school"])
    assert (notice["intervention"], notice["details"], notice["child"]["erased"]) == (None, None, True)
