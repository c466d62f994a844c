"""Schemas of the erasure endpoint."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from domain.children import ERASURE_GROUNDS
from services.api.schema_kit import StrictSchema


class ErasureSchema(StrictSchema):
    ground = fields.String(required=True, validate=validate.OneOf(ERASURE_GROUNDS))
    reference = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "the case or decision number authorising the erasure (no personal data)"},
    )


class ErasedSchema(Schema):
    id = fields.UUID(required=True)
    records = fields.List(fields.UUID())
    erased = fields.Boolean(required=True)
    ground = fields.String(required=True)
    keys_destroyed = fields.Integer(required=True)
