"""Schemas of users and their access: who a user is, who asked for its access and who approved it.

Kept beside ``schemas.py`` (which re-exports ``UserSchema`` and ``UserWithTokenSchema``) so
the grant, reset, approval and activation shapes live together.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.api.schema_kit import StrictSchema, iso


class GrantSchema(Schema):
    requested_by = fields.UUID(required=True)
    requested_at = iso()
    reason = fields.String(required=True)
    approved_by = fields.UUID(allow_none=True)
    approved_at = fields.String(allow_none=True, metadata={"format": "date-time"})


class UserSchema(Schema):
    id = fields.UUID(required=True)
    municipality_id = fields.UUID(required=True)
    agency_id = fields.UUID(allow_none=True)
    role = fields.String(required=True)
    name = fields.String(required=True)
    active = fields.Boolean()
    access = fields.String(
        metadata={"description": "'pending' until a second person approves the grant, then 'approved'"}
    )
    grant = fields.Nested(GrantSchema, allow_none=True, metadata={"description": "who requested, who approved"})
    credential_issued_by = fields.UUID(allow_none=True, metadata={"description": "who made the current API token"})
    deactivated_by = fields.UUID(allow_none=True)
    deactivation_reason = fields.String(allow_none=True)
    created_at = iso()


class UserWithTokenSchema(UserSchema):
    token = fields.String(
        allow_none=True,
        metadata={"description": "shown once; none for a reader created or reset by someone else"},
    )
    setup_code = fields.String(
        allow_none=True,
        metadata={"description": "the requester's half of the setup code, shown once; worthless without the approval"},
    )


class ApprovedUserSchema(UserSchema):
    approval_code = fields.String(
        required=True,
        metadata={"description": "the approver's half of the setup code, shown once: hand it to the person"},
    )


class AccessRequestSchema(Schema):
    user_id = fields.UUID(required=True)
    name = fields.String(required=True)
    role = fields.String(required=True)
    agency_id = fields.UUID(allow_none=True)
    agency_name = fields.String(allow_none=True)
    requested_by = fields.UUID(required=True)
    requested_by_name = fields.String(allow_none=True)
    requested_at = iso()
    reason = fields.String(required=True)


class DeactivationSchema(StrictSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class ResetSchema(StrictSchema):
    reason = fields.String(load_default="credentials reset", validate=validate.Length(min=1, max=500))


class ActivationSchema(StrictSchema):
    setup_code = fields.String(required=True, validate=validate.Length(min=1, max=200))
    approval_code = fields.String(required=True, validate=validate.Length(min=1, max=200))
    login = fields.String(load_default=None, validate=validate.Length(min=3, max=64))
    password = fields.String(load_default=None, validate=validate.Length(min=1, max=200), load_only=True)


class ActivatedSchema(Schema):
    user_id = fields.UUID(required=True)
    name = fields.String(required=True)
    role = fields.String(required=True)
    token = fields.String(required=True, metadata={"description": "your own API token, shown once"})
    login = fields.String(allow_none=True)
