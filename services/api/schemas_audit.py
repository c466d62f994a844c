"""Schemas of the read audit: who read which child's record, when and on what grounds."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.api.schema_kit import StrictSchema, iso, when
from services.usecases.read_audit import MAX_PAGE


class ReadsQuerySchema(StrictSchema):
    child_id = fields.UUID(metadata={"description": "required unless you are the auditor"})
    user_id = fields.UUID()
    since = when("reads at or after this instant")
    until = when("reads before this instant")
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=MAX_PAGE))


class ReadSchema(Schema):
    id = fields.String(required=True)
    at = iso(required=True)
    user_id = fields.UUID(required=True)
    role = fields.String(required=True)
    agency_id = fields.UUID(allow_none=True)
    agency_kind = fields.String(allow_none=True)
    child_id = fields.UUID(required=True)
    view = fields.String(
        required=True,
        metadata={
            "description": "identity, search, signals, events, timeline, risk, blue_card, working_group, agenda, "
            "help_plan, time_cards, notifications"
        },
    )
    grounds = fields.String(
        required=True, metadata={"description": "group_membership, coordinator, audit or own_agency"}
    )
    withheld_categories = fields.List(
        fields.String(), metadata={"description": "data categories whose text was withheld from this reader"}
    )
    detail = fields.String(metadata={"description": "for example the as_of instant of a replay"})


class ReadsSchema(Schema):
    reads = fields.List(fields.Nested(ReadSchema), required=True)
    limit = fields.Integer(required=True)
