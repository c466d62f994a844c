"""Schemas of the erasure endpoints: the request, its approval, and the state they answer with."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from domain.erasure_rules import ERASURE_GROUNDS
from services.api.schema_kit import StrictSchema


class ErasureSchema(StrictSchema):
    ground = fields.String(
        required=True,
        validate=validate.OneOf(ERASURE_GROUNDS),
        metadata={
            "description": "authorised_request: waits for a second person's approval; retention_expired: "
            "erases at once when the retention policy says the period has ended, refused (409) before"
        },
    )
    reference = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "the case or decision number authorising the erasure (no personal data)"},
    )


class ErasureApprovalSchema(StrictSchema):
    """Approving takes no fields: the pending request says what is approved."""


class ErasureRetentionSchema(Schema):
    due_on = fields.String(allow_none=True, metadata={"description": "the day retention ended (ISO date)"})
    rule = fields.String(metadata={"description": "the retention policy's version"})


class ErasedSchema(Schema):
    id = fields.UUID(required=True)
    records = fields.List(fields.UUID())
    state = fields.String(required=True, metadata={"description": "pending (awaiting a second person) or erased"})
    erased = fields.Boolean(required=True)
    ground = fields.String(required=True)
    reference = fields.String()
    requested_by = fields.UUID(metadata={"description": "the coordinator who asked"})
    approved_by = fields.UUID(allow_none=True, metadata={"description": "the second person (or the asker, retention)"})
    keys_destroyed = fields.Integer(required=True)
    retention = fields.Nested(ErasureRetentionSchema)
