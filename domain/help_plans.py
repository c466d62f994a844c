"""The HelpPlan aggregate: the family work plan of the Milanówek forms, with its evaluations.

A plan (SWOT, main goal, long- and short-term goals, an action schedule with one column
per party, the date of the next evaluation) is drawn up for a family or a single child.
A revision is a new version; every earlier version stays readable. An evaluation marks
actions done, partly done or not done and describes the family's situation.
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
        municipality_id: UUID
        child_ids: list[UUID]
        household: str
        plan: dict
        author_id: UUID
        agency_id: UUID

    class Revised(Aggregate.Event):
        plan: dict
        reason: str
        author_id: UUID
        agency_id: UUID

    class Evaluated(Aggregate.Event):
        held_on: date
        plan_version: int
        results: dict
        situation: str
        next_evaluation: date | None
        author_id: UUID

    @event(Drawn)
    def __init__(
        self, municipality_id: UUID, child_ids: list[UUID], household: str, plan: dict, author_id: UUID, agency_id: UUID
    ):
        self.municipality_id = municipality_id
        self.child_ids = list(child_ids)
        self.household = household
        self.versions: list[dict] = []
        self.evaluations: list[dict] = []
        self.next_evaluation = ""
        self._add_version(plan, "", author_id)

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
    ) -> HelpPlan:
        """Validate and draw up a plan for the given children (one child, or a family)."""
        if not child_ids:
            raise InvalidInput.one("child_ids", "name at least one child")
        if len(child_ids) > MAX_CHILDREN:
            raise InvalidInput.one("child_ids", f"must name at most {MAX_CHILDREN} children")
        if len(set(child_ids)) != len(child_ids):
            raise InvalidInput.one("child_ids", "names a child twice")
        household = check_text("household", household, MAX_ITEM)
        return cls(
            municipality_id=municipality_id,
            child_ids=list(child_ids),
            household=household,
            plan=check_plan(plan, today),
            author_id=author_id,
            agency_id=agency_id,
        )

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
        content = check_plan(plan, today, keep)
        self._revised(
            plan=content,
            reason=check_text("reason", reason, MAX_ITEM, required=True),
            author_id=author_id,
            agency_id=agency_id,
        )

    @event(Revised)
    def _revised(self, plan: dict, reason: str, author_id: UUID, agency_id: UUID) -> None:
        self._add_version(plan, reason, author_id)

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
        )

    @event(Evaluated)
    def _evaluated(
        self,
        held_on: date,
        plan_version: int,
        results: dict,
        situation: str,
        next_evaluation: date | None,
        author_id: UUID,
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

    def _add_version(self, plan: dict, reason: str, author_id: UUID) -> None:
        self.versions.append({**plan, "version": len(self.versions) + 1, "reason": reason, "author_id": str(author_id)})
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
