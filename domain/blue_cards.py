"""The Blue Card ("Niebieska Karta") procedure as an aggregate: forms A-D, closure, monitoring.

Form A is filled in by an initiating service on reasonable suspicion of domestic violence
(no consent needed) and names every victim and every suspected perpetrator. It goes to
the chair of the interdisciplinary team, who assigns a diagnostic and support group; the
group makes form C with the victim and form D with the suspected perpetrator, monitors,
and the card is closed for one of the two legal reasons, after which the family is
reviewed at the configured intervals. Each step refuses to run out of order, saying why.

Every adult on form A is a ``Person`` (domain/persons.py) with a key of their own; the
card holds their ids. The card's texts (place, description, the notes and assessments of
every step) are sealed under the keys of all the persons it concerns, children and
adults (domain/personal_data.py), so erasing any one of them closes them: each step's
event carries those ids (``subject_ids``). Events of cards recorded before (version 1)
name adults as plain text and carry no subject ids; they read as they were stored.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from domain.agencies import Role, require_name
from domain.errors import Conflict, Forbidden, InvalidInput
from domain.field_checks import check_text

#: Agency kinds whose users may fill in form A (social welfare, GKRPA, police, education, health).
INITIATING_AGENCY_KINDS = frozenset({"ops", "gkrpa", "police", "school", "health"})
#: Roles that may fill in form A whatever their agency (family assistants).
INITIATING_ROLES = frozenset({Role.FAMILY_ASSISTANT.value})
#: The two legal reasons for closing a card.
CLOSURE_REASONS = ("violence_ceased_plan_done", "action_not_justified")
MAX_TEXT = 10_000
MAX_PEOPLE = 20
#: How far back a paper form A may be dated when it is entered late.
MAX_FORM_AGE_DAYS = 366

STATUSES = ("filled", "forwarded", "group_assigned", "monitoring", "closed")


def check_initiating(agency_kind: str | None, role: str) -> None:
    """Only the initiating services (and family assistants) may open the procedure."""
    if role in INITIATING_ROLES:
        return
    if agency_kind not in INITIATING_AGENCY_KINDS:
        raise Forbidden(
            f"form A may be filled in only by an initiating service "
            f"({', '.join(sorted(INITIATING_AGENCY_KINDS))}) or a family assistant, "
            f"not by an agency of kind '{agency_kind}'"
        )


class StepEvent(Aggregate.Event):
    """A step of the card: its texts are sealed under the keys of every person the card concerns."""

    subject_ids: list[UUID]

    class_version = 2

    @staticmethod
    def upcast_v1_v2(state: dict) -> None:
        """Version 1 named no persons: its texts were stored as they are."""
        state["subject_ids"] = []


def _names(field: str, values: list[str]) -> list[str]:
    if len(values) > MAX_PEOPLE:
        raise InvalidInput.one(field, f"must list at most {MAX_PEOPLE} people")
    cleaned = []
    for i, value in enumerate(values):
        try:
            cleaned.append(require_name(f"{field}[{i}]", value))
        except InvalidInput as e:
            raise InvalidInput(e.errors) from None
    return cleaned


class BlueCard(Aggregate):
    """One Blue Card procedure in one municipality."""

    class FormAFilled(Aggregate.Created):
        municipality_id: UUID
        filled_by: UUID
        agency_id: UUID | None
        agency_kind: str | None
        author_role: str
        filled_on: date
        incident_date: date
        place: str
        description: str
        child_victim_ids: list[UUID]
        adult_victims: list[str]
        perpetrators: list[str]
        adult_victim_ids: list[UUID]
        perpetrator_ids: list[UUID]

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict) -> None:
            """Cards filled before adults were persons keep their names as written (legacy fields)."""
            state["adult_victim_ids"] = []
            state["perpetrator_ids"] = []

    class FormBHanded(StepEvent):
        victim: str
        handed_by: UUID
        note: str

    class ForwardedToChair(StepEvent):
        forwarded_by: UUID
        note: str

    class GroupAssigned(Aggregate.Event):
        group_id: UUID
        assigned_by: UUID

    class FormCRecorded(StepEvent):
        victim: str
        assessment: str
        help_plan: str
        recorded_by: UUID

    class FormDRecorded(StepEvent):
        perpetrator: str
        assessment: str
        actions: str
        recorded_by: UUID

    class MonitoringStarted(StepEvent):
        started_by: UUID
        note: str

    class Closed(StepEvent):
        reason: str
        note: str
        closed_by: UUID

    class MonitoringReviewRecorded(StepEvent):
        outcome: str
        violence_recurred: bool
        recorded_by: UUID

    @event(FormAFilled)
    def __init__(
        self,
        municipality_id: UUID,
        filled_by: UUID,
        agency_id: UUID | None,
        agency_kind: str | None,
        author_role: str,
        filled_on: date,
        incident_date: date,
        place: str,
        description: str,
        child_victim_ids: list[UUID],
        adult_victims: list[str],
        perpetrators: list[str],
        adult_victim_ids: list[UUID],
        perpetrator_ids: list[UUID],
    ):
        self.municipality_id = municipality_id
        self.filled_by = filled_by
        self.agency_id = agency_id
        self.filled_on = filled_on
        self.child_victim_ids = list(child_victim_ids)
        self.adult_victims = list(adult_victims)
        self.perpetrators = list(perpetrators)
        self.adult_victim_ids = list(adult_victim_ids)
        self.perpetrator_ids = list(perpetrator_ids)
        self.status = "filled"
        self.forwarded = False
        self.group_id: UUID | None = None
        self.forms_b: list[str] = []
        self.forms_c: list[str] = []
        self.forms_d: list[str] = []
        self.reviews = 0

    @classmethod
    def fill_form_a(
        cls,
        *,
        municipality_id: UUID,
        filled_by: UUID,
        agency_id: UUID | None,
        agency_kind: str | None,
        author_role: str,
        filled_on: date,
        incident_date: date,
        place: str,
        description: str,
        child_victim_ids: list[UUID],
        adult_victims: list[str] | None = None,
        perpetrators: list[str] | None = None,
        adult_victim_ids: list[UUID] | None = None,
        perpetrator_ids: list[UUID] | None = None,
        today: date,
    ) -> BlueCard:
        """Open the procedure; every victim and suspected perpetrator is named.

        Adults are named by their ``Person`` ids (registered in the same save); names as
        text (``adult_victims``, ``perpetrators``) are what cards of version 1 held.
        """
        adult_victims, perpetrators = list(adult_victims or []), list(perpetrators or [])
        adult_victim_ids, perpetrator_ids = list(adult_victim_ids or []), list(perpetrator_ids or [])
        check_initiating(agency_kind, author_role)
        errors: dict[str, list[str]] = {}
        if filled_on > today:
            errors["filled_on"] = ["must not be in the future"]
        elif (today - filled_on).days > MAX_FORM_AGE_DAYS:
            errors["filled_on"] = [f"must be within the last {MAX_FORM_AGE_DAYS} days"]
        if incident_date > filled_on:
            errors["incident_date"] = ["must not be after the day form A was filled in"]
        if not child_victim_ids and not adult_victims and not adult_victim_ids:
            errors["victims"] = ["name at least one victim (a child by child_id or an adult by name)"]
        if len(set(child_victim_ids)) != len(child_victim_ids):
            errors["child_victim_ids"] = ["lists the same child twice"]
        for field, ids in (("adult_victims", adult_victim_ids), ("perpetrators", perpetrator_ids)):
            if len(ids) > MAX_PEOPLE:
                errors[field] = [f"must list at most {MAX_PEOPLE} people"]
        if not perpetrators and not perpetrator_ids:
            errors["perpetrators"] = ["name every suspected perpetrator"]
        if errors:
            raise InvalidInput(errors)
        return cls(
            municipality_id=municipality_id,
            filled_by=filled_by,
            agency_id=agency_id,
            agency_kind=agency_kind,
            author_role=author_role,
            filled_on=filled_on,
            incident_date=incident_date,
            place=check_text("place", place, 500, required=True),
            description=check_text("description", description, MAX_TEXT, required=True),
            child_victim_ids=list(child_victim_ids),
            adult_victims=_names("adult_victims", adult_victims),
            perpetrators=_names("perpetrators", perpetrators),
            adult_victim_ids=adult_victim_ids,
            perpetrator_ids=perpetrator_ids,
        )

    # --- the steps -------------------------------------------------------------------

    def victim_names(self) -> list[str]:
        """How victims are named in forms B and C: by id (a child, an adult person), or by name (version 1)."""
        return [str(c) for c in [*self.child_victim_ids, *self.adult_victim_ids]] + self.adult_victims

    def perpetrator_names(self) -> list[str]:
        """How perpetrators are named in form D: a person by id, or by name (version 1)."""
        return [str(p) for p in self.perpetrator_ids] + self.perpetrators

    def subject_ids(self) -> list[UUID]:
        """Every person the card's texts concern: the children, the adult victims, the perpetrators."""
        return [*self.child_victim_ids, *self.adult_victim_ids, *self.perpetrator_ids]

    def hand_form_b(self, *, victim: str, handed_by: UUID, note: str = "") -> None:
        """Record that form B (information for the victim) was handed to a named victim."""
        self._refuse_if_closed()
        victim = self._victim(victim)
        self._form_b_handed(victim=victim, handed_by=handed_by, note=check_text("note", note, MAX_TEXT))

    @event(FormBHanded)
    def _form_b_handed(self, victim: str, handed_by: UUID, note: str) -> None:
        self.forms_b.append(victim)

    def forward_to_chair(self, *, forwarded_by: UUID, note: str = "") -> None:
        """Form A reaches the chair of the interdisciplinary team."""
        self._refuse_if_closed()
        if self.forwarded:
            raise Conflict("form A has already been forwarded to the chair")
        self._forwarded(forwarded_by=forwarded_by, note=check_text("note", note, MAX_TEXT))

    @event(ForwardedToChair)
    def _forwarded(self, forwarded_by: UUID, note: str) -> None:
        self.forwarded = True
        self.status = "forwarded"

    def assign_group(self, *, group_id: UUID, assigned_by: UUID) -> None:
        """The chair hands the card to a diagnostic and support group."""
        self._refuse_if_closed()
        if not self.forwarded:
            raise Conflict("form A has not been forwarded to the chair yet; the chair assigns the group")
        if self.group_id is not None:
            raise Conflict("a group is already assigned to this card", group_id=str(self.group_id))
        self._group_assigned(group_id=group_id, assigned_by=assigned_by)

    @event(GroupAssigned)
    def _group_assigned(self, group_id: UUID, assigned_by: UUID) -> None:
        self.group_id = group_id
        self.status = "group_assigned"

    def record_form_c(self, *, victim: str, assessment: str, help_plan: str, recorded_by: UUID) -> None:
        """The group's assessment and help plan, made with the victim."""
        self._refuse_if_closed()
        self._require_group("form C")
        self._form_c(
            victim=self._victim(victim),
            assessment=check_text("assessment", assessment, MAX_TEXT, required=True),
            help_plan=check_text("help_plan", help_plan, MAX_TEXT, required=True),
            recorded_by=recorded_by,
        )

    @event(FormCRecorded)
    def _form_c(self, victim: str, assessment: str, help_plan: str, recorded_by: UUID) -> None:
        self.forms_c.append(victim)

    def record_form_d(self, *, perpetrator: str, assessment: str, actions: str, recorded_by: UUID) -> None:
        """The group's meeting with the suspected perpetrator."""
        self._refuse_if_closed()
        self._require_group("form D")
        cleaned = " ".join(perpetrator.split())
        if cleaned not in self.perpetrator_names():
            raise InvalidInput.one(
                "perpetrator", "is not named on form A (use the person's id or the name as written on form A)"
            )
        self._form_d(
            perpetrator=cleaned,
            assessment=check_text("assessment", assessment, MAX_TEXT, required=True),
            actions=check_text("actions", actions, MAX_TEXT),
            recorded_by=recorded_by,
        )

    @event(FormDRecorded)
    def _form_d(self, perpetrator: str, assessment: str, actions: str, recorded_by: UUID) -> None:
        self.forms_d.append(perpetrator)

    def start_monitoring(self, *, started_by: UUID, note: str = "") -> None:
        """The group watches the family's situation while the help plan runs."""
        self._refuse_if_closed()
        self._require_group("monitoring")
        if self.status == "monitoring":
            raise Conflict("the card is already being monitored")
        self._monitoring_started(started_by=started_by, note=check_text("note", note, MAX_TEXT))

    @event(MonitoringStarted)
    def _monitoring_started(self, started_by: UUID, note: str) -> None:
        self.status = "monitoring"

    def close(self, *, reason: str, note: str, closed_by: UUID) -> None:
        """End the procedure for one of the two legal reasons."""
        self._refuse_if_closed()
        if reason not in CLOSURE_REASONS:
            raise InvalidInput.one("reason", f"must be one of: {', '.join(CLOSURE_REASONS)}")
        if not self.forwarded:
            raise Conflict("a card that was never forwarded to the chair cannot be closed")
        if self.group_id is None:
            raise Conflict("the card has no group; closure follows the group's assessment")
        if reason == "violence_ceased_plan_done" and not self.forms_c:
            raise Conflict("'violence_ceased_plan_done' needs a help plan (form C) on the card")
        self._closed(reason=reason, note=check_text("note", note, MAX_TEXT), closed_by=closed_by)

    @event(Closed)
    def _closed(self, reason: str, note: str, closed_by: UUID) -> None:
        self.status = "closed"

    def record_review(self, *, outcome: str, violence_recurred: bool, recorded_by: UUID) -> None:
        """A post-closure monitoring review of the family."""
        if self.status != "closed":
            raise Conflict("monitoring reviews follow closure; the card is still open")
        self._review(
            outcome=check_text("outcome", outcome, MAX_TEXT, required=True),
            violence_recurred=violence_recurred,
            recorded_by=recorded_by,
        )

    @event(MonitoringReviewRecorded)
    def _review(self, outcome: str, violence_recurred: bool, recorded_by: UUID) -> None:
        self.reviews += 1

    # --- helpers ---------------------------------------------------------------------

    def trigger_event(self, event_class: type, **kwargs: object) -> None:
        """Every step's event names the persons its texts concern: their keys seal those texts."""
        if issubclass(event_class, StepEvent):
            kwargs.setdefault("subject_ids", self.subject_ids())
        super().trigger_event(event_class, **kwargs)

    @property
    def is_open(self) -> bool:
        """True until the card is closed."""
        return self.status != "closed"

    def _refuse_if_closed(self) -> None:
        if self.status == "closed":
            raise Conflict("the card is closed; only post-closure monitoring reviews may be recorded")

    def _require_group(self, what: str) -> None:
        if self.group_id is None:
            raise Conflict(f"{what} needs a diagnostic and support group; none is assigned to this card yet")

    def _victim(self, victim: str) -> str:
        cleaned = " ".join(victim.split())
        if cleaned not in self.victim_names():
            raise InvalidInput.one(
                "victim",
                "is not a victim named on form A (use the child's or the adult's id, or the name as written on form A)",
            )
        return cleaned
