"""Schemas of the retention list and the subject-access export (documentation of plain JSON answers)."""

from __future__ import annotations

from marshmallow import Schema, fields

from services.api.schema_kit import iso


class RetentionDueItemSchema(Schema):
    notice_id = fields.UUID(required=True, metadata={"description": "the daily job's notice"})
    child_id = fields.UUID(required=True, metadata={"description": "the child due for erasure (the merge root)"})
    records = fields.List(fields.UUID(), metadata={"description": "the record and every record merged into it"})
    kind = fields.String(
        required=True,
        metadata={
            "description": "the kind of record whose rule gave the day: child_record, blue_card, "
            "working_group, help_plan or time_card"
        },
    )
    record_id = fields.String(allow_none=True, metadata={"description": "that record's id (none: the child's own)"})
    due_on = fields.String(
        required=True, metadata={"format": "date", "description": "the day retention ended (due since)"}
    )
    rule = fields.String(required=True, metadata={"description": "the retention policy's version"})
    legal_basis = fields.String(metadata={"description": "the rule's legal basis, as the policy file states it"})
    noted_at = fields.String(metadata={"format": "date-time", "description": "when the daily job listed it"})


class RetentionDueSchema(Schema):
    as_of = iso("date", required=True)
    policy_version = fields.String(required=True)
    items = fields.List(fields.Nested(RetentionDueItemSchema), required=True)


class SubjectSchema(Schema):
    type = fields.String(required=True, metadata={"description": "child, or person (an adult named in a case)"})
    id = fields.UUID(required=True)
    records = fields.List(fields.UUID())
    given_name = fields.String(allow_none=True)
    family_name = fields.String(allow_none=True)
    date_of_birth = iso("date", allow_none=True)
    pesel = fields.String(allow_none=True)
    name = fields.String(allow_none=True, metadata={"description": "a person's name"})
    role = fields.String(metadata={"description": "a person's role in the case"})
    relation = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    erased = fields.Boolean()


class HeldEntrySchema(Schema):
    record_type = fields.String(
        required=True,
        metadata={"description": "child, person, notice, blue_card, working_group, help_plan or time_card"},
    )
    record_id = fields.UUID(required=True)
    event = fields.String(required=True, metadata={"description": "what was recorded (the event's name)"})
    at = fields.String(required=True, metadata={"format": "date-time", "description": "when it was recorded"})
    agency_id = fields.String(allow_none=True, metadata={"description": "the agency that recorded it"})
    agency_name = fields.String(allow_none=True)
    data = fields.Dict(metadata={"description": "the entry's fields; other children's ids read 'another child'"})


class SubjectAccessSchema(Schema):
    subject = fields.Nested(SubjectSchema, required=True)
    generated_at = iso(required=True)
    generated_by = fields.Dict(metadata={"description": "the caller's user id and role"})
    held = fields.List(fields.Nested(HeldEntrySchema), required=True)
    read_log = fields.List(fields.Dict(), metadata={"description": "the record's read-audit lines, newest first"})
    erasures = fields.List(fields.Nested(HeldEntrySchema))
    retention = fields.Dict(
        allow_none=True, metadata={"description": "the retention schedule's answer today (none for an adult)"}
    )
