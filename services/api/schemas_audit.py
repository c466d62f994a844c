"""Schemas of the read audit (who read which child's record, when and on what grounds) and of verification."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.api.schema_kit import StrictSchema, iso, when
from services.api.schemas import VerifyQuerySchema, VerifySchema
from services.usecases.read_audit import MAX_PAGE

_AUDITOR_ONLY = " (the auditor's listing only)"


class ReadsQuerySchema(StrictSchema):
    child_id = fields.UUID(metadata={"description": "required unless you are the auditor"})
    user_id = fields.UUID()
    since = when("reads at or after this instant")
    until = when("reads before this instant")
    limit = fields.Integer(load_default=200, validate=validate.Range(min=1, max=MAX_PAGE))


class ReadSchema(Schema):
    """One read. A case owner gets who looked (reader, agency, role, time, grounds); the auditor all of it."""

    id = fields.String(required=True)
    at = iso(required=True)
    child_id = fields.UUID(required=True)
    user_id = fields.UUID(required=True)
    reader_name = fields.String(allow_none=True, metadata={"description": "the reader's name in the directory"})
    role = fields.String(required=True)
    agency_id = fields.UUID(allow_none=True)
    agency_name = fields.String(allow_none=True)
    grounds = fields.String(
        required=True, metadata={"description": "group_membership, coordinator, audit or own_agency"}
    )
    agency_kind = fields.String(allow_none=True, metadata={"description": "the reader's agency kind" + _AUDITOR_ONLY})
    view = fields.String(
        metadata={
            "description": "identity, search, signals, events, timeline, risk, blue_card, working_group, agenda, "
            "help_plan, time_cards, notifications" + _AUDITOR_ONLY
        },
    )
    withheld_categories = fields.List(
        fields.String(),
        metadata={"description": "data categories whose text was withheld from this reader" + _AUDITOR_ONLY},
    )
    detail = fields.String(metadata={"description": "for example the as_of instant of a replay" + _AUDITOR_ONLY})


class ReadsSchema(Schema):
    reads = fields.List(fields.Nested(ReadSchema), required=True)
    limit = fields.Integer(required=True)


# --- verification: the events' chain and the read log's ------------------------------------


class AuditVerifyQuerySchema(VerifyQuerySchema):
    expect_reads_head = fields.String(
        validate=validate.Regexp(r"^[0-9a-f]{64}$", error="must be 64 hex digits"),
        metadata={"description": "a head of your municipality's read log kept from an earlier verification"},
    )


class BrokenReadSchema(Schema):
    seq = fields.Integer(allow_none=True, metadata={"description": "the place in the chain (1 is the first line)"})
    read_id = fields.String(allow_none=True)
    problem = fields.String(required=True)


class ReadChainSchema(Schema):
    municipality_id = fields.UUID(required=True)
    intact = fields.Boolean(required=True)
    count = fields.Integer(required=True, metadata={"description": "chained read lines verified"})
    legacy = fields.Integer(required=True, metadata={"description": "lines written before the chain, not judged"})
    head = fields.String(required=True, metadata={"description": "the last verified link; keep it"})
    first_broken = fields.Nested(BrokenReadSchema, allow_none=True)
    expected_head_found = fields.Boolean()


class AuditVerifySchema(VerifySchema):
    """``intact`` is true when both the events and the read log verify; each says where it broke."""

    reads = fields.Nested(ReadChainSchema, required=True, metadata={"description": "your municipality's read log"})
