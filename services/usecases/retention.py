"""The retention schedule applied: which children are due for erasure, found daily and listed for the coordinator.

The rule is domain/retention.py's; this module gathers its facts from the store (every
Blue Card, working group, help plan and time card of the municipality that names the
child or its family) so the erasure use case, the daily job and the CLI judge alike.

The daily job (``run``: Celery beat in production, an embedded loop otherwise) raises a
``RetentionNotice`` per child found due (its id derives from the child, the day and the
policy version, so running twice raises nothing twice) and withdraws the notices of
children no longer due. The coordinator and the auditor read the list (``due``); it
carries ids, the kind of record whose rule gave the day, the day and the rule, never a
name. The coordinator confirms by asking for the erasure with ``retention_expired``,
which the erasure use case checks again against the schedule at that moment, so a list
up to a day old can never erase a record that stopped being due.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import date, datetime
from uuid import UUID

from eventsourcing.persistence import IntegrityError

from domain.access import Action, Actor, require
from domain.agencies import Municipality
from domain.blue_cards import BlueCard
from domain.children import Child
from domain.groups import WorkingGroup
from domain.help_plans import HelpPlan
from domain.retention import (
    BLUE_CARD,
    HELP_PLAN,
    TIME_CARD,
    WORKING_GROUP,
    RecordFacts,
    RetentionFacts,
    RetentionNotice,
    RetentionPolicy,
    RetentionVerdict,
    retention_due,
)
from domain.time_cards import ACCEPTED, TimeCard
from projections.runner import Followers
from services.adapters.event_store import SafehubStore
from services.usecases.base import Gate, UseCase
from services.usecases.directory import MUNICIPALITIES_KEY
from services.usecases.list_reads import log_children
from services.usecases.loading import bucket, find, listed

log = logging.getLogger("safehub.retention")

#: The Celery task name beat schedules and the workers serve.
RETENTION_TASK = "safehub.retention.run"
#: Time cards are listed per month; months before this year cannot be written (domain/time_cards.py).
_FIRST_CARD_YEAR = 2000
_MAX_FAMILY = 1000


def due_key(municipality_id: UUID | str) -> str:
    """The listing of a municipality's retention notices."""
    return f"retention_due:{municipality_id}"


class MunicipalityRecords:
    """Every record of one municipality that can name a child, loaded once (for a run or one verdict)."""

    def __init__(self, store: SafehubStore, municipality_id: UUID, zone: object, today: date):
        self.zone = zone
        m = municipality_id
        self.cards = _all(store, f"blue_cards:{m}", BlueCard)
        self.groups = _all(store, f"groups:{m}", WorkingGroup)
        self.plans = _all(store, f"help_plans:{m}", HelpPlan)
        self.time_cards: list[TimeCard] = []
        for year in range(_FIRST_CARD_YEAR, today.year + 2):
            for month in range(1, 13):
                self.time_cards += _all(store, f"time_cards:{m}:{year:04d}-{month:02d}", TimeCard)

    def about(self, family: Iterable[UUID | str]) -> tuple[int, tuple[RecordFacts, ...]]:
        """How many open Blue Cards name the family, and the other records about it."""
        members = {str(c) for c in family}
        open_cards, found = 0, []
        cards = [c for c in self.cards if members & {str(v) for v in c.child_victim_ids}]
        for card in cards:
            if card.status != "closed":
                open_cards += 1
            else:
                found.append(RecordFacts(BLUE_CARD, str(card.id), self._day(card.modified_on)))
        card_ids = {c.id for c in cards}
        for group in self.groups:
            if members & {str(c) for c in group.child_ids} or group.blue_card_id in card_ids:
                found.append(RecordFacts(WORKING_GROUP, str(group.id), self._day(group.modified_on)))
        plan_ids = set()
        for plan in self.plans:
            if members & {str(c) for c in plan.child_ids}:
                plan_ids.add(str(plan.id))
                found.append(RecordFacts(HELP_PLAN, str(plan.id), self._day(plan.modified_on)))
        for card in self.time_cards:
            if any(_entry_about(e, members, plan_ids) for e in card.entries.values()):
                closed = card.status == ACCEPTED
                found.append(RecordFacts(TIME_CARD, str(card.id), self._day(card.modified_on), closed))
        return open_cards, tuple(found)

    def _day(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()  # type: ignore[arg-type]


def _entry_about(entry: dict, members: set[str], plan_ids: set[str]) -> bool:
    return bool(members & set(entry.get("child_ids") or [])) or entry.get("help_plan_id") in plan_ids


def _all(store: SafehubStore, key: str, cls: type) -> list:
    found = (find(store, ref, cls) for ref in listed(store, key))
    return [a for a in found if a is not None]


def retention_verdict(
    records: MunicipalityRecords, family: list[Child], policy: RetentionPolicy, today: date
) -> RetentionVerdict:
    """The schedule's answer for a child (``family[0]``, the merge root) and every record merged into it."""
    root = family[0]
    open_cards, others = records.about(c.id for c in family)
    facts = RetentionFacts(
        date_of_birth=root.date_of_birth,
        last_entry=max(records._day(c.modified_on) for c in family),
        open_cards=open_cards,
        records=others,
    )
    return retention_due(facts, policy, today)


class RetentionSchedule(UseCase):
    """Find who is due (daily), list it for the coordinator and the auditor, and for the operator's CLI."""

    def __init__(
        self,
        store: SafehubStore,
        followers: Followers,
        clock: Callable[[], datetime],
        timezone: str,
        policy: RetentionPolicy,
        *,
        gate: Gate | None = None,
        catch_up: Callable[[], object] | None = None,
    ):
        super().__init__(store, clock, timezone, gate=gate)
        self.followers = followers
        self.policy = policy
        self.catch_up = catch_up or (lambda: None)

    # --- the facts, for the erasure use case too -------------------------------------------

    def records(self, municipality_id: UUID) -> MunicipalityRecords:
        """Every record of the municipality that can name a child (one load per run or verdict)."""
        return MunicipalityRecords(self.store, municipality_id, self.zone, self.today())

    def family(self, root: Child) -> list[Child]:
        """The record and every record merged into it, loaded (root first)."""
        family, pending = [root], list(root.merged_from)
        while pending and len(family) < _MAX_FAMILY:
            record = find(self.store, pending.pop(), Child)
            if record is not None:
                family.append(record)
                pending.extend(record.merged_from)
        return family

    # --- the daily job ----------------------------------------------------------------------

    def run(self) -> dict:
        """Raise a notice for every child newly due, withdraw those no longer due; safe to repeat."""
        self.catch_up()
        counts = {"due": 0, "raised": 0, "withdrawn": 0}
        for municipality_id in listed(self.store, MUNICIPALITIES_KEY):
            self._run_one(municipality_id, counts)
        if counts["raised"] or counts["withdrawn"]:
            log.info("retention schedule: %s", counts)
        return counts

    def _run_one(self, municipality_id: UUID, counts: dict) -> None:
        if find(self.store, municipality_id, Municipality) is None:
            return
        today = self.today()
        records = self.records(municipality_id)
        due_now: dict[UUID, RetentionVerdict] = {}
        for root in self._roots(municipality_id):
            verdict = retention_verdict(records, self.family(root), self.policy, today)
            if verdict.due:
                due_now[root.id] = verdict
        counts["due"] += len(due_now)
        listing = bucket(self.store, due_key(municipality_id))
        for notice in _all(self.store, due_key(municipality_id), RetentionNotice):
            verdict = due_now.get(notice.child_id)
            if notice.withdrawn or (verdict is not None and verdict.due_on == notice.due_on):
                continue
            child = find(self.store, notice.child_id, Child)
            if child is not None and (child.erased or child.merged_into is not None):
                continue  # erased (or merged away): the list drops it on read, nothing to withdraw
            notice.withdraw("no longer due by " + self.policy.version)
            self.store.save(notice)
            counts["withdrawn"] += 1
        for child_id, verdict in due_now.items():
            if verdict.due_on is None:  # a due verdict always names its day
                continue
            notice_id = RetentionNotice.create_id(child_id, verdict.due_on, self.policy.version)
            if find(self.store, notice_id, RetentionNotice) is not None:
                continue
            notice = RetentionNotice(
                municipality_id=municipality_id,
                child_id=child_id,
                due_on=verdict.due_on,
                kind=verdict.kind,
                record_id=verdict.record_id,
                rule=self.policy.version,
            )
            listing.add(notice.id)
            try:
                self.store.save(notice, listing)
            except IntegrityError:  # another runner raised it first
                listing = bucket(self.store, due_key(municipality_id))
                continue
            counts["raised"] += 1

    def caught_up_roots(self, municipality_id: UUID) -> list[Child]:
        """The municipality's children of their own, once the children's projection has caught up."""
        self.catch_up()
        return self._roots(municipality_id)

    def _roots(self, municipality_id: UUID) -> list[Child]:
        """The municipality's children as records of their own (merge roots), not erased."""
        view = self.followers["children"].view
        rows = view.query(  # type: ignore[attr-defined]
            "SELECT child_id FROM children_records WHERE municipality_id = ? AND root_id = child_id ORDER BY child_id",
            [str(municipality_id)],
        )
        found = (find(self.store, UUID(r["child_id"]), Child) for r in rows)
        return [c for c in found if c is not None and not c.erased and c.merged_into is None]

    # --- reading the list -------------------------------------------------------------------

    def due(self, actor: Actor) -> dict:
        """The coordinator's (or auditor's) list of children due for erasure; one read line per child shown."""
        require(actor, Action.APPROVE_ERASURE)  # the coordinator and the auditor answer for the data
        items = self.listed_due(actor.municipality_id)
        log_children(self.gate, actor, [i["child_id"] for i in items], "retention_due")
        return self._answer(items)

    def listed_due(self, municipality_id: UUID) -> list[dict]:
        """The notices still standing, earliest due first: the child neither erased, merged away nor withdrawn."""
        latest: dict[UUID, RetentionNotice] = {}
        today = self.today()
        for notice in _all(self.store, due_key(municipality_id), RetentionNotice):
            if notice.withdrawn or notice.due_on > today:  # not yet (a clock set back, a run ahead of time)
                continue
            known = latest.get(notice.child_id)
            if known is None or notice.created_on > known.created_on:
                latest[notice.child_id] = notice
        items = []
        for notice in latest.values():
            child = find(self.store, notice.child_id, Child)
            if child is None or child.erased or child.merged_into is not None:
                continue
            items.append(self._item(notice, [str(c.id) for c in self.family(child)]))
        return sorted(items, key=lambda i: (i["due_on"], i["child_id"]))

    def _item(self, notice: RetentionNotice, records: list[str]) -> dict:
        rule = self.policy.rule(notice.kind)
        return {
            "notice_id": str(notice.id),
            "child_id": str(notice.child_id),
            "records": records,
            "kind": notice.kind,
            "record_id": notice.record_id,
            "due_on": notice.due_on.isoformat(),
            "rule": notice.rule,
            "legal_basis": rule.legal_basis,
            "noted_at": notice.created_on.isoformat(),
        }

    def _answer(self, items: list[dict]) -> dict:
        return {"as_of": self.today().isoformat(), "policy_version": self.policy.version, "items": items}

    def everywhere(self) -> list[dict]:
        """Every municipality's standing notices (the operator's CLI: ids, kinds, days and rules; no names)."""
        out = []
        for municipality_id in listed(self.store, MUNICIPALITIES_KEY):
            out += [{"municipality_id": str(municipality_id), **i} for i in self.listed_due(municipality_id)]
        return out
