"""Schemas of the Blue Card procedure, working groups, meetings, deadlines and agendas."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from domain.blue_cards import CLOSURE_REASONS
from services.api.schema_kit import StrictSchema, iso, when
from services.usecases.deadlines import STATES

_TEXT = validate.Length(max=10_000)
_NAME = validate.Length(min=1, max=200)
#: The people one form or group names: a family, never a register (checked before any is read).
_PEOPLE = validate.Length(max=20)


# --- Blue Cards -------------------------------------------------------------------------


class AdultSchema(StrictSchema):
    """An adult on form A with more than a name; each becomes a person with a key of their own."""

    name = fields.String(required=True, validate=_NAME)
    date_of_birth = fields.Date(load_default=None, allow_none=True)
    relation = fields.String(load_default="", validate=validate.Length(max=200))
    address = fields.String(load_default="", validate=validate.Length(max=500))


class AdultField(fields.Field):
    """An adult as a name (as before) or as an object (``AdultSchema``)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str | dict:
        if isinstance(value, str):
            _NAME(value)
            return value
        if isinstance(value, dict):
            return AdultSchema().load(value)
        raise ValidationError("must be a name or an object with a name")


_ADULT = {"description": "a name as written, or {name, date_of_birth, relation, address}"}


class FormASchema(StrictSchema):
    filled_on = fields.Date(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "the day the (paper) form A was filled in; today when omitted. Deadlines count from it."
        },
    )
    incident_date = fields.Date(required=True)
    place = fields.String(required=True, validate=validate.Length(min=1, max=500))
    description = fields.String(required=True, validate=validate.Length(min=1, max=10_000))
    child_victim_ids = fields.List(
        fields.UUID(),
        load_default=list,
        validate=_PEOPLE,
        metadata={"description": "children (their records in this municipality) who are victims"},
    )
    adult_victims = fields.List(AdultField(metadata=_ADULT), load_default=list, validate=_PEOPLE)
    perpetrators = fields.List(AdultField(metadata=_ADULT), required=True, validate=_PEOPLE)


class BlueCardQuerySchema(StrictSchema):
    status = fields.String(validate=validate.OneOf(("filled", "forwarded", "group_assigned", "monitoring", "closed")))


class NoteSchema(StrictSchema):
    note = fields.String(load_default="", validate=_TEXT)


class FormBSchema(NoteSchema):
    victim = fields.String(
        required=True,
        validate=_NAME,
        metadata={"description": "the child's or the adult's id, or the adult's name as written on form A"},
    )


class GroupAssignmentSchema(StrictSchema):
    group_id = fields.UUID(required=True)


class FormCSchema(StrictSchema):
    victim = fields.String(required=True, validate=_NAME)
    assessment = fields.String(required=True, validate=validate.Length(min=1, max=10_000))
    help_plan = fields.String(required=True, validate=validate.Length(min=1, max=10_000))


class FormDSchema(StrictSchema):
    perpetrator = fields.String(required=True, validate=_NAME)
    assessment = fields.String(required=True, validate=validate.Length(min=1, max=10_000))
    actions = fields.String(load_default="", validate=_TEXT)


class ClosureSchema(NoteSchema):
    reason = fields.String(required=True, validate=validate.OneOf(CLOSURE_REASONS))


class ReviewSchema(StrictSchema):
    outcome = fields.String(required=True, validate=validate.Length(min=1, max=10_000))
    violence_recurred = fields.Boolean(load_default=False)


class StepSchema(Schema):
    step = fields.String()
    version = fields.Integer()
    recorded_at = iso()
    data = fields.Dict()


class PersonSchema(Schema):
    id = fields.UUID(required=True)
    role = fields.String(allow_none=True)
    name = fields.String(allow_none=True)
    relation = fields.String(allow_none=True)
    date_of_birth = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    erased = fields.Boolean()


class BlueCardSchema(Schema):
    id = fields.UUID(required=True)
    municipality_id = fields.UUID()
    status = fields.String(metadata={"description": "filled, forwarded, group_assigned, monitoring, closed"})
    filled_on = iso("date")
    filled_by = fields.UUID()
    agency_id = fields.UUID(allow_none=True)
    agency_kind = fields.String(allow_none=True)
    incident_date = iso("date")
    place = fields.String(allow_none=True, metadata={"description": "None once a person on the card is erased"})
    description = fields.String(allow_none=True, metadata={"description": "None once a person on the card is erased"})
    child_victim_ids = fields.List(fields.UUID())
    adult_victims = fields.List(fields.String(allow_none=True), metadata={"description": "None: an erased person"})
    perpetrators = fields.List(fields.String(allow_none=True), metadata={"description": "None: an erased person"})
    adult_victim_ids = fields.List(fields.UUID())
    perpetrator_ids = fields.List(fields.UUID())
    persons = fields.List(fields.Nested(PersonSchema))
    forwarded = fields.Boolean()
    group_id = fields.UUID(allow_none=True)
    forms_b = fields.List(fields.String())
    forms_c = fields.List(fields.String())
    forms_d = fields.List(fields.String())
    reviews = fields.Integer()
    steps = fields.List(fields.Nested(StepSchema))
    version = fields.Integer()


# --- working groups -----------------------------------------------------------------------


class MemberInSchema(StrictSchema):
    user_id = fields.UUID(required=True)
    function = fields.String(load_default="", validate=validate.Length(max=200))


class GroupCreateSchema(StrictSchema):
    name = fields.String(required=True, validate=_NAME)
    blue_card_id = fields.UUID(
        load_default=None,
        allow_none=True,
        metadata={"description": "the card this group works on; it is assigned to the card in the same step"},
    )
    child_ids = fields.List(fields.UUID(), load_default=list, validate=_PEOPLE)
    members = fields.List(fields.Nested(MemberInSchema), required=True, validate=validate.Length(min=2, max=40))


class MemberSchema(Schema):
    user_id = fields.UUID()
    name = fields.String()
    role = fields.String()
    agency_id = fields.UUID()
    agency_kind = fields.String()
    agency_name = fields.String()
    function = fields.String()


class GroupSchema(Schema):
    id = fields.UUID(required=True)
    municipality_id = fields.UUID()
    name = fields.String()
    blue_card_id = fields.UUID(allow_none=True)
    child_ids = fields.List(fields.UUID())
    members = fields.List(fields.Nested(MemberSchema))
    opened_at = iso()
    meetings = fields.Integer()
    version = fields.Integer()


class MeetingCreateSchema(StrictSchema):
    scheduled_for = when(required=True)
    place = fields.String(load_default="", validate=validate.Length(max=500))


class AttendeeInSchema(StrictSchema):
    agency_id = fields.UUID(required=True)
    user_id = fields.UUID(load_default=None, allow_none=True)
    name = fields.String(load_default="", validate=validate.Length(max=200))


class MinutesSchema(StrictSchema):
    held_on = fields.Date(load_default=None, allow_none=True)
    attendees = fields.List(fields.Nested(AttendeeInSchema), required=True, validate=validate.Length(min=1, max=60))
    minutes = fields.String(required=True, validate=validate.Length(min=1, max=20_000))


class DecisionCreateSchema(StrictSchema):
    text = fields.String(required=True, validate=validate.Length(min=1, max=20_000))


class ActionCreateSchema(StrictSchema):
    description = fields.String(required=True, validate=validate.Length(min=1, max=10_000))
    due_on = fields.Date(required=True)
    owner_user_id = fields.UUID(load_default=None, allow_none=True)
    owner_agency_id = fields.UUID(load_default=None, allow_none=True)
    meeting_id = fields.UUID(load_default=None, allow_none=True)


class ActionSchema(Schema):
    id = fields.UUID(required=True)
    meeting_id = fields.UUID(allow_none=True)
    description = fields.String()
    owner_user_id = fields.UUID(allow_none=True)
    owner_agency_id = fields.UUID(allow_none=True)
    due_on = iso("date")
    assigned_at = iso()
    done = fields.Boolean()
    done_at = iso(allow_none=True)
    note = fields.String(allow_none=True)


class DecisionSchema(Schema):
    id = fields.UUID(required=True)
    text = fields.String()
    knowledge_position = fields.Integer(
        metadata={"description": "the event-store position when the decision was recorded: what the group could know"}
    )
    recorded_at = iso()
    recorded_by = fields.UUID()


class AttendeeSchema(Schema):
    agency_id = fields.UUID()
    agency_kind = fields.String()
    agency_name = fields.String()
    user_id = fields.UUID(allow_none=True)
    name = fields.String()


class MeetingSchema(Schema):
    id = fields.UUID(required=True)
    group_id = fields.UUID()
    scheduled_for = iso()
    place = fields.String()
    scheduled_by = fields.UUID()
    held = fields.Boolean()
    held_on = iso("date", allow_none=True)
    minutes_recorded_at = iso()
    attendees = fields.List(fields.Nested(AttendeeSchema))
    minutes = fields.String(allow_none=True)
    decisions = fields.List(fields.Nested(DecisionSchema))
    actions = fields.List(fields.Nested(ActionSchema))


# --- deadlines and agendas -----------------------------------------------------------------


class DeadlineQuerySchema(StrictSchema):
    group_id = fields.UUID(
        metadata={"description": "one group's items; a group the caller may not read answers as the group itself does"}
    )
    blue_card_id = fields.UUID(
        metadata={"description": "one card's items; a card the caller may not read answers as the card itself does"}
    )
    state = fields.String(validate=validate.OneOf(STATES))


class DeadlineItemSchema(Schema):
    id = fields.String(required=True)
    kind = fields.String(
        metadata={"description": "form_a_to_chair, chair_to_group, first_group_meeting, monitoring_review or action"}
    )
    label = fields.String()
    state = fields.String(metadata={"description": ", ".join(STATES)})
    breached = fields.Boolean()
    delay_working_days = fields.Integer()
    blue_card_id = fields.UUID(allow_none=True)
    group_id = fields.UUID(allow_none=True)
    description = fields.String(allow_none=True)
    owner_user_id = fields.UUID(allow_none=True)
    owner_agency_id = fields.UUID(allow_none=True)
    start_on = iso("date")
    due_on = iso("date")
    met_on = iso("date", allow_none=True)
    reminded_due_soon_at = iso(allow_none=True)
    reminded_overdue_at = iso(allow_none=True)
    opened_position = fields.Integer()
    met_position = fields.Integer(allow_none=True)
    policy_version = fields.String()


class DeadlineListSchema(Schema):
    as_of = iso("date")
    policy_version = fields.String()
    summary = fields.Dict(keys=fields.String(), values=fields.Integer())
    per_group = fields.List(fields.Dict())
    items = fields.List(fields.Nested(DeadlineItemSchema))


class AgendaQuerySchema(StrictSchema):
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "html")))


class TeamAgendaQuerySchema(AgendaQuerySchema):
    since = when("news recorded after this instant (default: the policy's look-back)")


class ReasonSchema(Schema):
    code = fields.String()
    weight = fields.Integer()
    text = fields.String()
    refs = fields.List(fields.Dict(), metadata={"description": "the events and entries behind the reason"})


class AgendaItemSchema(Schema):
    rank = fields.Integer()
    urgency = fields.Integer()
    subject = fields.Dict(metadata={"description": "type child or case, id, label"})
    reasons = fields.List(fields.Nested(ReasonSchema))


class AgendaSchema(Schema):
    kind = fields.String()
    group_id = fields.UUID()
    municipality_id = fields.UUID()
    name = fields.String()
    blue_card_id = fields.UUID(allow_none=True)
    next_meeting = fields.Dict(allow_none=True)
    since = iso(allow_none=True)
    since_reason = fields.String()
    generated_at = iso()
    policy_version = fields.String()
    risk_policy_version = fields.String()
    position = fields.Integer()
    items = fields.List(fields.Nested(AgendaItemSchema))


class ReminderRunSchema(Schema):
    due_soon = fields.Integer()
    overdue = fields.Integer()
