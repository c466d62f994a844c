"""Schemas for family work: help plans, family-assistant time cards, police notifications."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from domain.help_plans import PARTIES, RESULTS
from services.api.schema_kit import StrictSchema, iso

_TEXT = validate.Length(max=2000)
_ITEMS = validate.Length(max=100)


def _texts(**kwargs: object) -> fields.List:
    return fields.List(
        fields.String(validate=validate.Length(min=1, max=2000)), validate=_ITEMS, load_default=list, **kwargs
    )


# --- help plans -------------------------------------------------------------------------


class SwotSchema(StrictSchema):
    strengths = _texts(metadata={"description": "mocne strony"})
    weaknesses = _texts(metadata={"description": "słabe strony"})
    opportunities = _texts(metadata={"description": "szanse"})
    threats = _texts(metadata={"description": "zagrożenia"})


class PlanActionInSchema(StrictSchema):
    id = fields.String(
        validate=validate.Length(min=1, max=100),
        metadata={"description": "on a revision: the id of an action kept from the current version"},
    )
    party = fields.String(
        required=True,
        validate=validate.OneOf(PARTIES),
        metadata={"description": "the column of the schedule: who does it"},
    )
    agency_id = fields.UUID(
        load_default=None, allow_none=True, metadata={"description": "the agency, when the party is another agency"}
    )
    description = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    due = fields.Date(required=True, metadata={"description": "w terminie"})


class PlanContentSchema(StrictSchema):
    swot = fields.Nested(SwotSchema, load_default=dict)
    main_goal = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    long_term_goals = _texts()
    short_term_goals = _texts()
    actions = fields.List(fields.Nested(PlanActionInSchema), required=True, validate=validate.Length(min=1, max=100))
    next_evaluation = fields.Date(required=True, metadata={"description": "ocena realizacji działań nastąpi w dniu"})


class HelpPlanCreateSchema(StrictSchema):
    child_ids = fields.List(
        fields.UUID(),
        required=True,
        validate=validate.Length(min=1, max=20),
        metadata={"description": "one child, or the children of a family"},
    )
    person_ids = fields.List(
        fields.UUID(),
        load_default=list,
        validate=validate.Length(max=20),
        metadata={"description": "the adults the plan names (parents, household members), as registered persons"},
    )
    household = fields.String(
        load_default="",
        validate=_TEXT,
        metadata={"description": "the family: representative, address, who lives there"},
    )
    plan = fields.Nested(PlanContentSchema, required=True)


class HelpPlanRevisionSchema(StrictSchema):
    reason = fields.String(
        required=True, validate=validate.Length(min=1, max=2000), metadata={"description": "the new circumstances"}
    )
    plan = fields.Nested(PlanContentSchema, required=True)


class HelpPlanEvaluationSchema(StrictSchema):
    held_on = fields.Date(required=True)
    results = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=100)),
        values=fields.String(validate=validate.OneOf(RESULTS)),
        required=True,
        validate=_ITEMS,
        metadata={"description": "action id -> done, partly_done or not_done"},
    )
    situation = fields.String(
        required=True,
        validate=validate.Length(min=1, max=20_000),
        metadata={"description": "opis aktualnej sytuacji rodziny"},
    )
    next_evaluation = fields.Date(load_default=None, allow_none=True)


class HelpPlanQuerySchema(StrictSchema):
    version = fields.Integer(strict=False, validate=validate.Range(min=1, max=10_000))


class HelpPlanListQuerySchema(StrictSchema):
    child_id = fields.UUID()


class PlanActionSchema(Schema):
    id = fields.String(required=True)
    party = fields.String(required=True)
    agency_id = fields.String(allow_none=True)
    description = fields.String(required=True)
    due = iso("date", required=True)
    last_result = fields.String(allow_none=True)


class PlanContentOutSchema(Schema):
    swot = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))
    main_goal = fields.String()
    long_term_goals = fields.List(fields.String())
    short_term_goals = fields.List(fields.String())
    actions = fields.List(fields.Nested(PlanActionSchema))
    next_evaluation = iso("date")


class PlanVersionSchema(Schema):
    version = fields.Integer()
    drawn_at = iso(allow_none=True)
    reason = fields.String()
    author_id = fields.String()


class EvaluationSchema(Schema):
    held_on = iso("date")
    plan_version = fields.Integer()
    results = fields.Dict(keys=fields.String(), values=fields.String())
    situation = fields.String()
    next_evaluation = iso("date", allow_none=True)
    author_id = fields.String()


class OverdueActionSchema(Schema):
    id = fields.String(required=True)
    party = fields.String()
    agency_id = fields.String(allow_none=True)
    description = fields.String()
    due = iso("date")
    days_overdue = fields.Integer()
    last_result = fields.String(allow_none=True)
    help_plan_id = fields.String()
    plan_version = fields.Integer()
    child_ids = fields.List(fields.String())


class HelpPlanSchema(Schema):
    id = fields.UUID(required=True)
    municipality_id = fields.UUID()
    child_ids = fields.List(fields.UUID())
    person_ids = fields.List(fields.UUID())
    household = fields.String(
        allow_none=True,
        metadata={"description": "null (as every text of the plan) once a person it concerns is erased"},
    )
    version = fields.Integer(metadata={"description": "the version shown"})
    current_version = fields.Integer()
    plan = fields.Nested(PlanContentOutSchema)
    next_evaluation = iso("date")
    versions = fields.List(fields.Nested(PlanVersionSchema))
    evaluations = fields.List(fields.Nested(EvaluationSchema))
    overdue_actions = fields.List(fields.Dict())
    created_at = iso()


class HelpPlanSummarySchema(Schema):
    id = fields.UUID(required=True)
    child_ids = fields.List(fields.UUID())
    household = fields.String()
    version = fields.Integer()
    main_goal = fields.String()
    next_evaluation = iso("date")
    created_at = iso()
    overdue_actions = fields.Integer()


class OverdueQuerySchema(StrictSchema):
    child_id = fields.UUID()


# --- time cards ---------------------------------------------------------------------------

_MONTH = validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$", error="must be a month written YYYY-MM")


class TimeCardCreateSchema(StrictSchema):
    month = fields.String(required=True, validate=_MONTH)


class TimeCardMonthQuerySchema(StrictSchema):
    month = fields.String(required=True, validate=_MONTH)


class TimeEntryCreateSchema(StrictSchema):
    date = fields.Date(required=True)
    start = fields.Time(required=True, metadata={"description": "HH:MM (godzina od)"})
    end = fields.Time(required=True, metadata={"description": "HH:MM (godzina do)"})
    place = fields.String(
        required=True, validate=validate.Length(min=1, max=2000), metadata={"description": "miejsce spotkania"}
    )
    topic = fields.String(
        required=True,
        validate=validate.Length(min=1, max=2000),
        metadata={"description": "podjęte działania, tematyka spotkania"},
    )
    participants = fields.String(load_default="", validate=_TEXT, metadata={"description": "osoby biorące udział"})
    help_plan_id = fields.UUID(load_default=None, allow_none=True, metadata={"description": "the family's plan"})
    child_ids = fields.List(
        fields.UUID(),
        load_default=list,
        validate=validate.Length(max=20),
        metadata={"description": "the family's children, when there is no plan"},
    )


class TimeEntryRemovalSchema(StrictSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class TimeCardAcceptanceSchema(StrictSchema):
    note = fields.String(load_default="", validate=_TEXT)


class TimeCardReturnSchema(StrictSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class TimeEntrySchema(Schema):
    id = fields.String(required=True)
    date = iso("date", required=True)
    start = fields.String(required=True)
    end = fields.String(required=True)
    minutes = fields.Integer()
    hours = fields.Float()
    place = fields.String()
    topic = fields.String()
    participants = fields.String()
    help_plan_id = fields.String(allow_none=True)
    child_ids = fields.List(fields.String())
    family = fields.String()


class TimeCardSchema(Schema):
    id = fields.UUID(required=True)
    municipality_id = fields.UUID()
    assistant_id = fields.UUID()
    assistant = fields.String()
    month = fields.String()
    status = fields.String(metadata={"description": "open, submitted, accepted or returned"})
    decision = fields.Dict(allow_none=True)
    entries = fields.List(fields.Nested(TimeEntrySchema))
    totals = fields.Dict()


class FamilyTotalSchema(Schema):
    family = fields.String()
    label = fields.String()
    help_plan_id = fields.String(allow_none=True)
    child_ids = fields.List(fields.String())
    minutes = fields.Integer()
    hours = fields.Float()


class AssistantTotalSchema(Schema):
    card_id = fields.String()
    assistant_id = fields.String()
    assistant = fields.String()
    status = fields.String()
    minutes = fields.Integer()
    hours = fields.Float()


class TimeCardTotalsSchema(Schema):
    month = fields.String()
    per_assistant = fields.List(fields.Nested(AssistantTotalSchema))
    per_family = fields.List(fields.Nested(FamilyTotalSchema))
    total_minutes = fields.Integer()
    total_hours = fields.Float()


class FamilyReportSchema(FamilyTotalSchema):
    entries = fields.List(fields.Nested(TimeEntrySchema))


class ServiceReportSchema(Schema):
    card_id = fields.String()
    month = fields.String()
    assistant_id = fields.String()
    assistant = fields.String()
    status = fields.String()
    decision = fields.Dict(allow_none=True)
    families = fields.List(fields.Nested(FamilyReportSchema))
    total_hours = fields.Float()


class ReportQuerySchema(StrictSchema):
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "html")))


# --- police notifications ---------------------------------------------------------------


class InterventionSchema(StrictSchema):
    police_reference = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "the police case or incident number"},
    )
    place = fields.String(required=True, validate=validate.Length(min=1, max=400))
    child_present = fields.Boolean(required=True, metadata={"description": "was the child present"})
    child_said = fields.String(
        load_default="", validate=validate.Length(max=10_000), metadata={"description": "what the child said"}
    )
    circumstances = fields.String(load_default="", validate=validate.Length(max=10_000))


NOTIFICATION_STATUSES = ("pending", "delivered", "acknowledged", "escalated")


class NotificationQuerySchema(StrictSchema):
    status = fields.String(validate=validate.OneOf(NOTIFICATION_STATUSES))


class AcknowledgementSchema(StrictSchema):
    note = fields.String(load_default="", validate=validate.Length(max=10_000))


class NotificationSchema(Schema):
    id = fields.UUID(required=True)
    direction = fields.String(metadata={"description": "received, sent or escalated (as the caller sees it)"})
    status = fields.String(metadata={"description": "pending, delivered, acknowledged or escalated"})
    child = fields.Dict()
    signal_id = fields.UUID()
    sender = fields.Dict()
    recipient = fields.Dict()
    observed_at = iso()
    recorded_at = iso()
    due_at = iso()  # before the start of the next school day after it was recorded
    due_by_observation = iso()  # the same, counted from the intervention itself
    recorded_late = fields.Boolean()
    overdue = fields.Boolean()
    signal_retracted = fields.Boolean(metadata={"description": "the police withdrew the signal: not escalated"})
    intervention = fields.Dict(allow_none=True, metadata={"description": "null after the child's erasure"})
    details = fields.String(allow_none=True)
    delivered_at = iso(allow_none=True)
    acknowledged_at = iso(allow_none=True)
    acknowledged_by = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    escalated_at = iso(allow_none=True)
    policy_version = fields.String()


class EscalationRunSchema(Schema):
    escalated = fields.List(fields.String())
