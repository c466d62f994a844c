"""The HelpPlan aggregate: the family work plan of the Milanówek forms, with its evaluations.

A plan (SWOT, main goal, long- and short-term goals, an action schedule with one column
per party, the date of the next evaluation) is drawn up for a family or a single child.
A revision is a new version; every earlier version stays readable. An evaluation marks
actions done, partly done or not done and describes the family's situation.

The texts (household, SWOT, goals, action descriptions, a revision's reason, the situation)
travel in their own event fields, apart from the plan's skeleton (actions' ids, parties and
due dates, the next evaluation), and each event names the children it concerns: the texts
are sealed under those children's keys (``domain.personal_data``), so erasing a child leaves
them None while the dates, counts and results stay readable.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidInput, NotFound
from domain.field_checks import check_text

PARTIES = ("family", "family_assistant", "social_worker", "agency")
RESULTS = ("done", "partly_done", "not_done")
SWOT = ("strengths", "weaknesses", "opportunities", "threats")
MAX_ITEM = 2_000
MAX_ITEMS = 100
MAX_SITUATION = 20_000
MAX_CHILDREN = 20
MAX_PERSONS = 20
TEXT_KEYS = ("swot", "main_goal", "long_term_goals", "short_term_goals")


def split_plan(plan: dict) -> tuple[dict, dict]:
    """Part a plan into its skeleton (actions without descriptions, the next evaluation) and its texts.

    The texts are sealed under the children's keys; the skeleton keeps due dates and
    counts readable after an erasure.
    """
    skeleton = {
        "actions": [{k: v for k, v in a.items() if k != "description"} for a in plan["actions"]],
        "next_evaluation": plan["next_evaluation"],
    }
    texts = {k: plan.get(k) for k in TEXT_KEYS}
    texts["actions"] = {a["id"]: a.get("description") for a in plan["actions"]}
    return skeleton, texts


def join_plan(skeleton: dict, texts: dict | None) -> dict:
    """A plan's skeleton with its texts; texts that were erased (None) read as None."""
    texts = texts or {}
    descriptions = texts.get("actions") or {}
    return {
        **{k: texts.get(k) for k in TEXT_KEYS},
        "actions": [{**a, "description": descriptions.get(a["id"])} for a in skeleton["actions"]],
        "next_evaluation": skeleton["next_evaluation"],
    }


def _split_v1(state: dict) -> None:
    """Upcasting: a version-1 event carried the whole plan; part it as version 2 does."""
    state["plan"], state["texts"] = split_plan(state["plan"])


def check_persons(person_ids: list[UUID]) -> list[UUID]:
    """The adults a plan names (parents, household members): different persons, a bounded number."""
    if len(person_ids) > MAX_PERSONS:
        raise InvalidInput.one("person_ids", f"must name at most {MAX_PERSONS} persons")
    if len(set(person_ids)) != len(person_ids):
        raise InvalidInput.one("person_ids", "names a person twice")
    return list(person_ids)


def check_plan(
    plan: dict, today: date, keep_ids: set[str] | frozenset[str] = frozenset(), prefix: str = "plan."
) -> dict:
    """Validate a plan's content, collecting every problem, and give new actions their ids.

    ``keep_ids`` are the ids of the current version's actions: a revision may keep an
    action (and so its evaluation history) by sending its id.
    """
    errors: dict[str, list[str]] = {}

    def text(field: str, value: object, required: bool = False) -> str:
        try:
            return check_text(field, str(value or ""), MAX_ITEM, required=required)
        except InvalidInput as e:
            errors.update(e.errors)
            return ""

    def items(field: str, values: object) -> list[str]:
        values = list(values or [])
        if len(values) > MAX_ITEMS:
            errors[field] = [f"must have at most {MAX_ITEMS} entries"]
        return [t for i, v in enumerate(values[:MAX_ITEMS]) if (t := text(f"{field}.{i}", v, True))]

    swot = {k: items(f"swot.{k}", (plan.get("swot") or {}).get(k)) for k in SWOT}
    main_goal = text("main_goal", plan.get("main_goal"), required=True)
    long_term = items("long_term_goals", plan.get("long_term_goals"))
    short_term = items("short_term_goals", plan.get("short_term_goals"))
    actions: list[dict] = []
    seen: set[str] = set()
    for i, action in enumerate(plan.get("actions") or []):
        field = f"actions.{i}"
        party = action.get("party")
        if party not in PARTIES:
            errors[f"{field}.party"] = [f"must be one of: {', '.join(PARTIES)}"]
        agency_id = action.get("agency_id")
        if party == "agency" and not agency_id:
            errors[f"{field}.agency_id"] = ["is required when the party is another agency"]
        if party != "agency" and agency_id:
            errors[f"{field}.agency_id"] = ["is only for actions of another agency"]
        due = action.get("due")
        if not isinstance(due, date):
            errors[f"{field}.due"] = ["is required (a date)"]
        action_id = action.get("id")
        if action_id is not None and action_id not in keep_ids:
            errors[f"{field}.id"] = ["names no action of the current version; leave it out for a new action"]
        action_id = action_id or str(uuid4())
        if action_id in seen:
            errors[f"{field}.id"] = ["is used twice"]
        seen.add(action_id)
        actions.append(
            {
                "id": action_id,
                "party": party,
                "agency_id": str(agency_id) if agency_id else None,
                "description": text(f"{field}.description", action.get("description"), required=True),
                "due": due.isoformat() if isinstance(due, date) else None,
            }
        )
    if not actions:
        errors.setdefault("actions", ["name at least one action"])
    next_evaluation = plan.get("next_evaluation")
    if not isinstance(next_evaluation, date):
        errors["next_evaluation"] = ["is required (a date)"]
    elif next_evaluation < today:
        errors["next_evaluation"] = ["must not be in the past"]
    if errors:
        raise InvalidInput({prefix + k: v for k, v in errors.items()})
    return {
        "swot": swot,
        "main_goal": main_goal,
        "long_term_goals": long_term,
        "short_term_goals": short_term,
        "actions": actions,
        "next_evaluation": next_evaluation.isoformat(),
    }


class HelpPlan(Aggregate):
    """One family's (or child's) work plan, every version of it, and its evaluations."""

    class Drawn(Aggregate.Created):
        """Version 2: the texts apart from the skeleton, sealed under ``child_ids`` and ``person_ids``."""

        class_version = 2
        municipality_id: UUID
        child_ids: list[UUID]
        person_ids: list[UUID]
        household: str | None
        plan: dict
        texts: dict | None
        author_id: UUID
        agency_id: UUID

        @staticmethod
        def upcast_v1_v2(state: dict) -> None:
            """A version-1 plan carried its texts inside ``plan`` and named no adults."""
            _split_v1(state)
            state["person_ids"] = []

    class Revised(Aggregate.Event):
        """Version 2: texts apart from the skeleton, and the children they concern (``subject_ids``)."""

        class_version = 2
        plan: dict
        texts: dict | None
        reason: str | None
        author_id: UUID
        agency_id: UUID
        subject_ids: list[UUID]

        @staticmethod
        def upcast_v1_v2(state: dict) -> None:
            """Version 1 carried the whole plan and named no children (it was stored unsealed)."""
            _split_v1(state)
            state["subject_ids"] = []

    class Evaluated(Aggregate.Event):
        """Version 2: names the children the situation concerns (``subject_ids``)."""

        class_version = 2
        held_on: date
        plan_version: int
        results: dict
        situation: str | None
        next_evaluation: date | None
        author_id: UUID
        subject_ids: list[UUID]

        @staticmethod
        def upcast_v1_v2(state: dict) -> None:
            """Version 1 named no children (it was stored unsealed)."""
            state["subject_ids"] = []

    @event(Drawn)
    def __init__(
        self,
        municipality_id: UUID,
        child_ids: list[UUID],
        person_ids: list[UUID],
        household: str | None,
        plan: dict,
        texts: dict | None,
        author_id: UUID,
        agency_id: UUID,
    ):
        self.municipality_id = municipality_id
        self.child_ids = list(child_ids)
        self.person_ids = [UUID(str(p)) for p in person_ids]
        self.household = household
        self.versions: list[dict] = []
        self.evaluations: list[dict] = []
        self.next_evaluation = ""
        self._add_version(plan, texts, "", author_id)

    @classmethod
    def draw(
        cls,
        *,
        municipality_id: UUID,
        child_ids: list[UUID],
        household: str,
        plan: dict,
        author_id: UUID,
        agency_id: UUID,
        today: date,
        person_ids: list[UUID] | None = None,
    ) -> HelpPlan:
        """Validate and draw up a plan for the given children (one child, or a family).

        ``person_ids`` are the adults the plan names (parents, household members): the plan's
        texts are sealed under their keys too, so erasing one of them closes the texts.
        """
        if not child_ids:
            raise InvalidInput.one("child_ids", "name at least one child")
        if len(child_ids) > MAX_CHILDREN:
            raise InvalidInput.one("child_ids", f"must name at most {MAX_CHILDREN} children")
        if len(set(child_ids)) != len(child_ids):
            raise InvalidInput.one("child_ids", "names a child twice")
        household = check_text("household", household, MAX_ITEM)
        skeleton, texts = split_plan(check_plan(plan, today))
        return cls(
            municipality_id=municipality_id,
            child_ids=list(child_ids),
            person_ids=check_persons(list(person_ids or [])),
            household=household,
            plan=skeleton,
            texts=texts,
            author_id=author_id,
            agency_id=agency_id,
        )

    @property
    def subject_ids(self) -> list[UUID]:
        """The persons the plan's texts concern (its children and the adults it names): their keys seal them."""
        return [*self.child_ids, *self.person_ids]

    @property
    def current(self) -> dict:
        """The version in force."""
        return self.versions[-1]

    def version_of(self, number: int) -> dict:
        """Return one version (1 is the first)."""
        if not 1 <= number <= len(self.versions):
            raise NotFound(f"the plan has no version {number}")
        return self.versions[number - 1]

    def revise(self, *, plan: dict, reason: str, author_id: UUID, agency_id: UUID, today: date) -> None:
        """Adapt the plan to new circumstances: a new version; the old one is kept."""
        keep = {a["id"] for a in self.current["actions"]}
        skeleton, texts = split_plan(check_plan(plan, today, keep))
        self._revised(
            plan=skeleton,
            texts=texts,
            reason=check_text("reason", reason, MAX_ITEM, required=True),
            author_id=author_id,
            agency_id=agency_id,
            subject_ids=self.subject_ids,
        )

    @event(Revised)
    def _revised(
        self,
        plan: dict,
        texts: dict | None,
        reason: str | None,
        author_id: UUID,
        agency_id: UUID,
        subject_ids: list[UUID],
    ) -> None:
        self._add_version(plan, texts, reason, author_id)

    def evaluate(
        self,
        *,
        held_on: date,
        results: dict[str, str],
        situation: str,
        author_id: UUID,
        today: date,
        next_evaluation: date | None = None,
    ) -> None:
        """Record the evaluation meeting: each action's result and the family's situation."""
        errors: dict[str, list[str]] = {}
        if held_on > today:
            errors["held_on"] = ["must not be in the future"]
        known = {a["id"] for a in self.current["actions"]}
        if not results:
            errors["results"] = ["evaluate at least one action"]
        for action_id, result in results.items():
            if action_id not in known:
                errors[f"results.{action_id}"] = [f"names no action of version {len(self.versions)}"]
            elif result not in RESULTS:
                errors[f"results.{action_id}"] = [f"must be one of: {', '.join(RESULTS)}"]
        if next_evaluation is not None and next_evaluation < held_on:
            errors["next_evaluation"] = ["must not be before the evaluation itself"]
        try:
            situation = check_text("situation", situation, MAX_SITUATION, required=True)
        except InvalidInput as e:
            errors.update(e.errors)
        if errors:
            raise InvalidInput(errors)
        self._evaluated(
            held_on=held_on,
            plan_version=len(self.versions),
            results=dict(results),
            situation=situation,
            next_evaluation=next_evaluation,
            author_id=author_id,
            subject_ids=self.subject_ids,
        )

    @event(Evaluated)
    def _evaluated(
        self,
        held_on: date,
        plan_version: int,
        results: dict,
        situation: str | None,
        next_evaluation: date | None,
        author_id: UUID,
        subject_ids: list[UUID],
    ) -> None:
        self.evaluations.append(
            {
                "held_on": held_on.isoformat(),
                "plan_version": plan_version,
                "results": dict(results),
                "situation": situation,
                "next_evaluation": next_evaluation.isoformat() if next_evaluation else None,
                "author_id": str(author_id),
            }
        )
        if next_evaluation is not None:
            self.next_evaluation = next_evaluation.isoformat()

    def _add_version(self, plan: dict, texts: dict | None, reason: str | None, author_id: UUID) -> None:
        self.versions.append(
            {**join_plan(plan, texts), "version": len(self.versions) + 1, "reason": reason, "author_id": str(author_id)}
        )
        self.next_evaluation = plan["next_evaluation"]

    # --- reading -----------------------------------------------------------------

    def results(self) -> dict[str, dict]:
        """Each action's latest evaluation result (an action kept in a revision keeps its history)."""
        latest: dict[str, dict] = {}
        for evaluation in self.evaluations:
            for action_id, result in evaluation["results"].items():
                latest[action_id] = {"result": result, "evaluated_on": evaluation["held_on"]}
        return latest

    def overdue_actions(self, today: date) -> list[dict]:
        """The current version's actions whose due date has passed and which are not done."""
        latest = self.results()
        overdue = []
        for action in self.current["actions"]:
            due = date.fromisoformat(action["due"])
            last = latest.get(action["id"])
            if due < today and (last is None or last["result"] != "done"):
                overdue.append(
                    {**action, "days_overdue": (today - due).days, "last_result": last["result"] if last else None}
                )
        return overdue
