"""Use cases for help plans: draw up, revise, evaluate, read, and list overdue actions.

Overdue actions (due date passed, not evaluated done) are what the agendas and deadline
lists need: :meth:`HelpPlans.overdue_actions` returns them per child.

One rule for a plan, in its own endpoint and in every list: the coordinator and the
auditor read every plan of the municipality; anyone else with the role reads a plan kept
by their own agency (the one that drew it up or revised it) or one of a child whose working
group they sit on. To others a plan reads as one that does not exist. Every answer that
shows a plan (writes' answers too) logs a read of the children it names.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from uuid import UUID

from domain.access import Action, Actor, Grounds, require
from domain.agencies import Agency, AgencyKind, Role
from domain.children import Child
from domain.errors import Forbidden, InvalidInput, NotFound
from domain.help_plans import HelpPlan
from domain.persons import Person
from services.adapters.event_store import retry_on_conflict
from services.usecases.base import UseCase
from services.usecases.list_reads import log_children
from services.usecases.loading import bucket, find, listed, load

MAX_MERGE_HOPS = 10


class HelpPlans(UseCase):
    """Family work plans (plan pracy z rodziną) and their evaluations."""

    # --- writing -------------------------------------------------------------------

    def draw(
        self,
        actor: Actor,
        *,
        child_ids: list[UUID],
        plan: dict,
        household: str = "",
        person_ids: list[UUID] | None = None,
    ) -> dict:
        """Draw up a plan for one child or a family (children, and adults named, of the caller's municipality).

        The plan's texts are sealed under the keys of its children and of the adults it
        names (``person_ids``), so erasing any of them closes the texts.
        """
        self._require_ops(actor)
        survivors = [self._survivor(actor, child_id, i) for i, child_id in enumerate(child_ids)]
        persons = [self._person(actor, person_id, i) for i, person_id in enumerate(person_ids or [])]
        self._check_agencies(actor, plan)
        today = self.today()

        def build() -> HelpPlan:
            return HelpPlan.draw(
                municipality_id=actor.municipality_id,
                child_ids=survivors,
                person_ids=persons,
                household=household,
                plan=plan,
                author_id=actor.user_id,
                agency_id=actor.agency_id,
                today=today,
            )

        build()  # validate before touching the store

        def attempt() -> HelpPlan:
            created = build()
            buckets = [bucket(self.store, f"help_plans:{actor.municipality_id}")]
            buckets += [bucket(self.store, f"help_plans:child:{c}") for c in survivors]
            for listing in buckets:
                listing.add(created.id)
            self.store.save(created, *buckets)
            return created

        return self._answer(actor, retry_on_conflict(attempt))

    def revise(self, actor: Actor, plan_id: UUID, *, plan: dict, reason: str) -> dict:
        """Record a new version of the plan; the earlier versions stay readable."""
        self._require_ops(actor)
        self._check_agencies(actor, plan)

        def attempt() -> HelpPlan:
            found = self._readable(actor, plan_id)
            found.revise(
                plan=plan, reason=reason, author_id=actor.user_id, agency_id=actor.agency_id, today=self.today()
            )
            self.store.save(found)
            return found

        return self._answer(actor, retry_on_conflict(attempt))

    def evaluate(
        self,
        actor: Actor,
        plan_id: UUID,
        *,
        held_on: date,
        results: dict[str, str],
        situation: str,
        next_evaluation: date | None = None,
    ) -> dict:
        """Record an evaluation of the current version's actions and the family's situation."""
        self._require_ops(actor)

        def attempt() -> HelpPlan:
            found = self._readable(actor, plan_id)
            found.evaluate(
                held_on=held_on,
                results=results,
                situation=situation,
                author_id=actor.user_id,
                today=self.today(),
                next_evaluation=next_evaluation,
            )
            self.store.save(found)
            return found

        return self._answer(actor, retry_on_conflict(attempt))

    # --- reading -------------------------------------------------------------------

    def get(self, actor: Actor, plan_id: UUID, version: int | None = None) -> dict:
        """Return the plan as it stands (or an earlier ``version``) with the list of versions."""
        require(actor, Action.READ_HELP_PLAN)
        plan = self._readable(actor, plan_id)
        self.audited(actor, plan.child_ids, "help_plan")
        return self._view(plan, version)

    def list_plans(self, actor: Actor, child_id: UUID | None = None) -> list[dict]:
        """List the plans the caller may read (the municipality's, or one child's), newest first."""
        require(actor, Action.READ_HELP_PLAN)
        key = self._listing(actor, child_id)
        plans = self._visible(actor, listed(self.store, key))
        log_children(self.gate, actor, [c for p in plans for c in p.child_ids], "help_plans")
        return [self._summary(p) for p in sorted(plans, key=lambda p: p.created_on, reverse=True)]

    def overdue_actions(
        self, actor: Actor, child_id: UUID | None = None, today: date | None = None, *, logged: bool = True
    ) -> list[dict]:
        """Actions past their due date and not evaluated done, per child, oldest due first.

        With ``child_id``, only that child's plans; otherwise every plan of the municipality
        the caller may read. Each row names the plan, the children and the party that owes
        the action. ``logged=False`` is for a caller that shows the rows in its own answer
        and logs the read itself (the deadline list).
        """
        require(actor, Action.READ_HELP_PLAN)
        key = self._listing(actor, child_id)
        rows = self.overdue_actions_of_plans(actor, listed(self.store, key), today=today)
        if logged:
            log_children(self.gate, actor, [c for r in rows for c in r["child_ids"]], "help_plan_overdue_actions")
        return rows

    def overdue_actions_of_plans(
        self, actor: Actor, plan_ids: Iterable[UUID | str], today: date | None = None
    ) -> list[dict]:
        """The overdue actions (as :meth:`overdue_actions` gives them) of these plans, oldest due first.

        For a caller that found the plans of many children at once (the agendas ask the
        ``children`` read model which plans name the group's children, in one query),
        instead of opening each child's listing one by one. Only plans the caller may read;
        the caller shows the rows in its own answer and logs that read.
        """
        require(actor, Action.READ_HELP_PLAN)
        today = today or self.today()
        rows = []
        for plan in self._visible(actor, dict.fromkeys(UUID(str(p)) for p in plan_ids)):
            for action in plan.overdue_actions(today):
                rows.append(
                    {
                        **action,
                        "help_plan_id": str(plan.id),
                        "plan_version": len(plan.versions),
                        "child_ids": [str(c) for c in plan.child_ids],
                    }
                )
        return sorted(rows, key=lambda r: (r["due"], r["help_plan_id"], r["id"]))

    # --- helpers -------------------------------------------------------------------

    def _require_ops(self, actor: Actor) -> None:
        require(actor, Action.WRITE_HELP_PLAN)
        if actor.agency_kind != AgencyKind.OPS.value:
            raise Forbidden("help plans are drawn up by the social-welfare centre (OPS)")

    def _listing(self, actor: Actor, child_id: UUID | None) -> str:
        """The listing of one child's plans (a child of the caller's municipality) or of all of them.

        The child is checked first: a child of another municipality reads as unknown, whether
        or not it has plans (the listing is keyed by the child alone).
        """
        if child_id is None:
            return f"help_plans:{actor.municipality_id}"
        load(self.store, Child, child_id, actor, "child")
        return f"help_plans:child:{child_id}"

    def _plan(self, actor: Actor, plan_id: UUID) -> HelpPlan:
        return load(self.store, HelpPlan, plan_id, actor, "help plan")

    def _readable(self, actor: Actor, plan_id: UUID) -> HelpPlan:
        """The plan, if the caller may read it; otherwise not found, as a plan that does not exist."""
        plan = self._plan(actor, plan_id)
        if not (self._by_office(actor, plan) or self._by_membership(actor, plan)):
            raise NotFound("help plan not found")
        return plan

    def _visible(self, actor: Actor, plan_ids: Iterable[UUID]) -> list[HelpPlan]:
        """The listed plans the caller may read (the same rule as :meth:`_readable`)."""
        shown, caught_up = [], False
        for plan in (self._plan(actor, ref) for ref in plan_ids):
            if self._by_office(actor, plan):
                shown.append(plan)
                continue
            if self._by_membership(actor, plan, caught_up=caught_up):
                shown.append(plan)
            caught_up = True  # the first membership question caught the projections up
        return shown

    def _by_office(self, actor: Actor, plan: HelpPlan) -> bool:
        """The chair and the auditor read every plan; an agency reads the plans it keeps."""
        if actor.role in (Role.COORDINATOR.value, Role.AUDITOR.value):
            return True
        return actor.agency_id is not None and str(actor.agency_id) in self._keepers(plan)

    def _by_membership(self, actor: Actor, plan: HelpPlan, *, caught_up: bool = False) -> bool:
        """A member of a working group on one of the plan's children reads it."""
        if self.gate is None:
            raise RuntimeError("HelpPlans.gate is wired by services.bootstrap")
        return self.gate.open(actor, plan.child_ids, caught_up=caught_up).grounds is Grounds.GROUP_MEMBERSHIP

    def _keepers(self, plan: HelpPlan) -> set[str]:
        """The agencies that drew the plan up or revised it (its events carry them)."""
        return {
            str(e.agency_id)
            for e in self.store.events.get(plan.id)
            if isinstance(e, HelpPlan.Drawn | HelpPlan.Revised) and e.agency_id
        }

    def _answer(self, actor: Actor, plan: HelpPlan) -> dict:
        """A write's answer: the whole plan, so its children's read is logged like a read of the plan."""
        self.audited(actor, plan.child_ids, "help_plan")
        return self._view(plan)

    def _survivor(self, actor: Actor, child_id: UUID, index: int) -> UUID:
        """The child's record (or the record it was merged into), refusing unknown children by field."""
        for _ in range(MAX_MERGE_HOPS):
            child = find(self.store, child_id, Child)
            if child is None or child.municipality_id != actor.municipality_id:
                raise InvalidInput.one(f"child_ids.{index}", f"no child with id {child_id} in this municipality")
            if child.merged_into is None:
                return child.id
            child_id = child.merged_into
        raise InvalidInput.one(f"child_ids.{index}", "the record's merge chain is too long")

    def _person(self, actor: Actor, person_id: UUID, index: int) -> UUID:
        """An adult registered as a person in the caller's municipality, refused by field otherwise."""
        person = find(self.store, person_id, Person)
        if person is None or person.municipality_id != actor.municipality_id:
            raise InvalidInput.one(f"person_ids.{index}", "no such person in this municipality")
        return person.id

    def _check_agencies(self, actor: Actor, plan: dict) -> None:
        """An action owed by another agency names an agency of this municipality."""
        for i, action in enumerate(plan.get("actions") or []):
            agency_id = action.get("agency_id")
            if not agency_id:
                continue
            agency = find(self.store, agency_id, Agency)
            if agency is None or agency.municipality_id != actor.municipality_id:
                raise InvalidInput.one(
                    f"plan.actions.{i}.agency_id", f"no agency with id {agency_id} in this municipality"
                )

    def _summary(self, plan: HelpPlan) -> dict:
        current = plan.current
        return {
            "id": str(plan.id),
            "child_ids": [str(c) for c in plan.child_ids],
            "household": plan.household,
            "version": len(plan.versions),
            "main_goal": current["main_goal"],
            "next_evaluation": plan.next_evaluation,
            "created_at": plan.created_on.isoformat(),
            "overdue_actions": len(plan.overdue_actions(self.today())),
        }

    def _view(self, plan: HelpPlan, version: int | None = None) -> dict:
        shown = plan.version_of(version) if version is not None else plan.current
        stamps = [
            e.timestamp.isoformat()
            for e in self.store.events.get(plan.id)
            if isinstance(e, HelpPlan.Drawn | HelpPlan.Revised)
        ]
        latest = plan.results() if version is None else {}
        actions = [{**a, "last_result": latest.get(a["id"], {}).get("result")} for a in shown["actions"]]
        return {
            "id": str(plan.id),
            "municipality_id": str(plan.municipality_id),
            "child_ids": [str(c) for c in plan.child_ids],
            "person_ids": [str(p) for p in plan.person_ids],
            "household": plan.household,
            "version": shown["version"],
            "current_version": len(plan.versions),
            "plan": {
                **{k: shown[k] for k in ("swot", "main_goal", "long_term_goals", "short_term_goals")},
                "actions": actions,
                "next_evaluation": shown["next_evaluation"],
            },
            "next_evaluation": plan.next_evaluation,
            "versions": [
                {
                    "version": v["version"],
                    "drawn_at": stamps[i] if i < len(stamps) else None,
                    "reason": v["reason"],
                    "author_id": v["author_id"],
                }
                for i, v in enumerate(plan.versions)
            ],
            "evaluations": list(plan.evaluations),
            "overdue_actions": plan.overdue_actions(self.today()) if version is None else [],
            "created_at": plan.created_on.isoformat(),
        }
