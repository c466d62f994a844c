"""The notices read model: it files each police notice by recipient, sender, status and due
time, the escalation scan finds exactly the notices the aggregates would escalate, a rebuild
equals following live, and an intervention writes nothing that other interventions share."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from domain.children import Child
from domain.notifications import Notification
from tests.functional.api.test_notifications import INTERVENTION
from tests.threads import at_once

WARSAW = ZoneInfo("Europe/Warsaw")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=WARSAW)


def _child(services, world, n: int) -> UUID:
    school = world.users["school"].actor
    registered = services.children.register(
        school,
        given_name=f"Dziecko{n}",
        family_name="Testowe",
        date_of_birth=date(2015, 1, 1 + n),
        school_id=world.agencies["school"],
    )
    return UUID(registered["id"])


def _intervene(services, world, child_id: UUID, observed_at: datetime) -> dict:
    signal, _ = services.children.record_signal(
        world.users["police"].actor,
        child_id,
        kind="domestic_intervention",
        observed_at=observed_at,
        details="interwencja",
        intervention=INTERVENTION,
    )
    return signal


def _by_recipient(signal: dict) -> dict[str, UUID]:
    return {n["recipient_kind"]: UUID(n["id"]) for n in signal["notified"]}


def test_notices_are_filed_by_who_and_state_and_a_rebuild_equals_live(services, world, clock):
    follower = services.followers["notices"]
    view = follower.view
    school, ops = world.users["school"].actor, world.users["case_worker"].actor
    clock.now = at(2026, 3, 10, 21, 0)  # Tuesday evening: due Wednesday 08:00
    first = _by_recipient(_intervene(services, world, _child(services, world, 0), at(2026, 3, 10, 20, 0)))
    clock.now = at(2026, 3, 11, 21, 0)  # Wednesday evening: due Thursday 08:00
    withdrawn_signal = _intervene(services, world, _child(services, world, 1), at(2026, 3, 11, 20, 0))
    second = _by_recipient(withdrawn_signal)
    follower.catch_up()  # live, part way through the story
    services.notifications.acknowledge(school, first["school"], "przyjęte")
    services.notifications.deliver(ops, first["ops"])
    services.children.retract_signal(
        world.users["police"].actor, UUID(withdrawn_signal["child_id"]), UUID(withdrawn_signal["id"]), reason="pomyłka"
    )
    clock.now = at(2026, 3, 12, 9, 0)  # both due times have passed
    follower.catch_up()

    def ids(rows: list[dict]) -> list[UUID]:
        return [UUID(r["notice_id"]) for r in rows]

    assert ids(view.listed(recipient=str(world.agencies["school"]))) == [first["school"], second["school"]]
    assert ids(view.listed(sender=str(world.agencies["police"]))) == sorted(
        [*first.values(), *second.values()], key=lambda n: (n in second.values(), str(n))
    )
    assert ids(view.listed(recipient=str(world.agencies["ops"]), statuses=("delivered",))) == [first["ops"]]
    assert view.listed(recipient=str(world.agencies["police"])) == []
    # Only the OPS notice of the first intervention is due, open and standing (the second's signal was withdrawn).
    assert [UUID(i) for i in view.overdue_open(clock.now)] == [first["ops"]]
    assert view.overdue_counts(clock.now) == (3, 0)  # the withdrawn ones still count as unacknowledged

    assert services.notifications.escalate_overdue() == [str(first["ops"])]
    follower.catch_up()
    assert view.overdue_open(clock.now) == [] and view.overdue_counts(clock.now) == (3, 1)
    municipality = str(world.municipality_id)
    assert [(r["notice_id"], r["status"]) for r in view.listed(escalated_in=municipality)] == [
        (str(first["ops"]), "escalated")
    ]
    services.notifications.acknowledge(ops, first["ops"])  # acknowledged after its escalation
    follower.catch_up()
    assert [r["status"] for r in view.listed(escalated_in=municipality)] == ["acknowledged"]
    for notice_id in [*first.values(), *second.values()]:  # each row says what its aggregate says
        [row] = [r for r in view.listed(sender=str(world.agencies["police"])) if r["notice_id"] == str(notice_id)]
        assert row["status"] == services.store.repository.get(notice_id).status

    live = view.dump()
    assert follower.rebuild() > 0
    assert view.dump() == live


def test_an_intervention_saves_only_the_child_and_its_own_notices(services, world, clock):
    """Nothing shared between interventions is written, so they cannot conflict with each other."""
    clock.now = at(2026, 3, 10, 21, 0)
    children = [_child(services, world, n) for n in range(6)]
    before = services.store.recorder.max_notification_id()
    signals = at_once([lambda c=c: _intervene(services, world, c, at(2026, 3, 10, 20, 0)) for c in children])
    written = services.store.recorder.select_notifications(start=before, limit=1000, inclusive_of_start=False)
    notices = {UUID(n["id"]) for s in signals for n in s["notified"]}
    assert {w.originator_id for w in written} == {*children, *notices}
    assert len(written) == len(children) + len(notices) == 18
    assert all(w.originator_version == 1 for w in written if w.originator_id in notices)
    assert {w.topic for w in written} == {
        f"{Child.__module__}:Child.SignalRecorded",
        f"{Notification.__module__}:Notification.Issued",
    }
