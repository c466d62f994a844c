"""Marshmallow schemas: every input is checked here before a use case sees it.

Response schemas document the JSON the API returns (the OpenAPI document is built from
them); values arrive already as JSON types, so dates are documented strings.
"""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from domain.agencies import AGENCY_KINDS, ROLES
from domain.pesel import pesel_problem
from domain.signals import CATALOGUE, SEVERITIES
from services.api.schema_kit import WARSAW, StrictSchema, iso, when, withheld
from services.api.schemas_access import UserSchema, UserWithTokenSchema  # noqa: F401 - the directory's, re-exported
from services.api.schemas_family import InterventionSchema  # beside the notifications it feeds

# --- errors ---------------------------------------------------------------------------


class ErrorSchema(Schema):
    error = fields.String(required=True, metadata={"description": "machine-readable code"})
    message = fields.String(required=True)
    errors = fields.Dict(
        keys=fields.String(), values=fields.List(fields.String()), metadata={"description": "field name -> problems"}
    )
    details = fields.Dict()


# --- directory ------------------------------------------------------------------------


class AgencyCreateSchema(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(AGENCY_KINDS))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))


class AgencySchema(Schema):
    id = fields.UUID(required=True)
    municipality_id = fields.UUID(required=True)
    kind = fields.String(required=True)
    name = fields.String(required=True)
    created_at = iso()


class UserCreateSchema(StrictSchema):
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    agency_id = fields.UUID(load_default=None, allow_none=True)


class MeSchema(Schema):
    user_id = fields.UUID(required=True)
    municipality_id = fields.UUID(required=True)
    agency_id = fields.UUID(allow_none=True)
    agency_kind = fields.String(allow_none=True)
    role = fields.String(required=True)


# --- children -------------------------------------------------------------------------


def _check_pesel(value: str | None) -> None:
    if value is not None:
        problem = pesel_problem(value)
        if problem:
            raise ValidationError(problem)


class ChildCreateSchema(StrictSchema):
    given_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    family_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    date_of_birth = fields.Date(required=True)
    pesel = fields.String(load_default=None, allow_none=True, validate=_check_pesel)
    school_id = fields.UUID(load_default=None, allow_none=True)


class ChildQuerySchema(StrictSchema):
    pesel = fields.String(validate=_check_pesel)
    given_name = fields.String(validate=validate.Length(min=1, max=100))
    family_name = fields.String(validate=validate.Length(min=1, max=100))
    date_of_birth = fields.Date()


class ChildNameQuerySchema(StrictSchema):
    """The search by name and birth date in a query string: a PESEL is searched only in a body."""

    given_name = fields.String(validate=validate.Length(min=1, max=100))
    family_name = fields.String(validate=validate.Length(min=1, max=100))
    date_of_birth = fields.Date()


class ChildSchema(Schema):
    id = fields.UUID(required=True)
    municipality_id = fields.UUID(required=True)
    given_name = fields.String(required=True)
    family_name = fields.String(required=True)
    date_of_birth = iso("date", required=True)
    pesel = fields.String(allow_none=True)
    school_id = fields.UUID(allow_none=True)
    registered_at = iso()
    merged_into = fields.UUID(allow_none=True)
    merged_from = fields.List(fields.UUID())
    erased = fields.Boolean(metadata={"description": "personal data erased (crypto-shredded)"})


class ChildCandidateSchema(ChildSchema):
    similarity = fields.Float()
    match = fields.String(metadata={"description": "exact or likely"})
    reason = fields.String()


class LikelyDuplicateSchema(Schema):
    """Another record that nearly matches: enough to recognise it, and the look is logged."""

    id = fields.UUID(required=True)
    given_name = fields.String(allow_none=True)
    family_name = fields.String(allow_none=True)
    date_of_birth = iso("date", allow_none=True)
    erased = fields.Boolean()
    similarity = fields.Float()
    match = fields.String(metadata={"description": "likely"})
    reason = fields.String()


class ChildRegisteredSchema(ChildSchema):
    likely_duplicates = fields.List(fields.Nested(LikelyDuplicateSchema))


class ChildSearchSchema(Schema):
    matches = fields.List(fields.Nested(ChildCandidateSchema))
    likely_duplicates = fields.List(fields.Nested(LikelyDuplicateSchema))


class MergeSchema(StrictSchema):
    target_id = fields.UUID(required=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


# --- signals --------------------------------------------------------------------------


class SignalCreateSchema(StrictSchema):
    kind = fields.String(required=True, validate=validate.OneOf(tuple(CATALOGUE)))
    observed_at = when(required=True)
    severity = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(SEVERITIES))
    details = fields.String(load_default="", validate=validate.Length(max=10_000))
    days = fields.Integer(load_default=None, allow_none=True, strict=True, validate=validate.Range(min=1, max=366))
    intervention = fields.Nested(
        InterventionSchema,
        load_default=None,
        allow_none=True,
        metadata={"description": "police details of a domestic_intervention; the school and OPS are notified"},
    )


class IdempotencyHeaderSchema(Schema):
    class Meta:
        unknown = EXCLUDE

    idempotency_key = fields.String(
        data_key="Idempotency-Key",
        load_default=None,
        validate=validate.Regexp(r"^[\x21-\x7e]{1,200}$", error="must be 1-200 visible ASCII characters"),
        metadata={"description": "a retry with the same key returns the first result"},
    )


class SignalCorrectionSchema(StrictSchema):
    reason = fields.String(load_default="", validate=validate.Length(max=2000))
    kind = fields.String(validate=validate.OneOf(tuple(CATALOGUE)))
    severity = fields.String(validate=validate.OneOf(SEVERITIES))
    observed_at = when()
    details = fields.String(validate=validate.Length(max=10_000))
    days = fields.Integer(strict=True, validate=validate.Range(min=1, max=366))


class SignalRetractionSchema(StrictSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class SignalSchema(Schema):
    id = fields.UUID(required=True)
    child_id = fields.UUID(required=True)
    kind = fields.String(required=True)
    label = fields.String()
    severity = fields.String(required=True)
    observed_at = iso(required=True)
    recorded_at = iso(required=True)
    details = fields.String(allow_none=True)
    days = fields.Integer(allow_none=True)
    agency_id = fields.UUID(required=True)
    agency_kind = fields.String(required=True)
    author_id = fields.UUID()
    author_role = fields.String()
    corrected = fields.Boolean()
    corrections = fields.List(fields.Dict())
    retracted = fields.Boolean()
    retraction_reason = fields.String(allow_none=True)
    retracted_at = iso(allow_none=True)
    notified = fields.List(
        fields.Dict(), metadata={"description": "the notices a domestic intervention sent (recipient and due time)"}
    )
    withheld_category = withheld()


class SignalKindSchema(Schema):
    code = fields.String(required=True)
    label_pl = fields.String()
    label_en = fields.String()
    default_severity = fields.String()
    agency_kinds = fields.List(fields.String())
    category = fields.String()
    quantity = fields.String(allow_none=True)


# --- history --------------------------------------------------------------------------


class EventsQuerySchema(StrictSchema):
    as_of = fields.AwareDateTime(
        default_timezone=WARSAW, metadata={"description": "only events recorded at or before this instant"}
    )


class EventSchema(Schema):
    type = fields.String(required=True)
    child_id = fields.UUID(required=True)
    version = fields.Integer(
        metadata={"description": "position in the record; only to readers who see every agency's entries"}
    )
    recorded_at = iso(required=True)
    data = fields.Dict(required=True)
    withheld_category = withheld()


# --- timeline and risk ------------------------------------------------------------------


class TimelineQuerySchema(StrictSchema):
    since = when("only entries observed at or after this instant")
    until = when("only entries observed at or before this instant")
    agency_kind = fields.String(validate=validate.OneOf(AGENCY_KINDS))
    kind = fields.String(validate=validate.OneOf(tuple(CATALOGUE)))
    as_of = when("replay: the timeline as the store held it at this instant (by recorded time)")


class RiskQuerySchema(StrictSchema):
    as_of = when("replay: the score as it would have read at this instant, from what was recorded by then")


class FreshnessSchema(Schema):
    position = fields.Integer(required=True, metadata={"description": "last log position applied"})
    head = fields.Integer(required=True, metadata={"description": "last log position in the store"})
    lag = fields.Integer(required=True)
    includes_latest = fields.Boolean(required=True, metadata={"description": "the child's latest event is included"})
    replayed_events = fields.Integer(metadata={"description": "with as_of: events replayed from the store"})


class AgencyRefSchema(Schema):
    id = fields.UUID()
    name = fields.String(allow_none=True)
    kind = fields.String(allow_none=True)


class TimelineEntrySchema(Schema):
    id = fields.String(required=True)
    type = fields.String(required=True, metadata={"description": "signal, registered, merged_into, absorbed"})
    child_id = fields.UUID(required=True)
    kind = fields.String(allow_none=True)
    label = fields.String(allow_none=True)
    severity = fields.String(allow_none=True)
    observed_at = iso(required=True)
    recorded_at = iso(required=True)
    details = fields.String(allow_none=True)
    days = fields.Integer(allow_none=True)
    agency = fields.Nested(AgencyRefSchema, allow_none=True)
    author_id = fields.UUID(allow_none=True)
    author_role = fields.String(allow_none=True)
    corrected = fields.Boolean()
    corrections = fields.List(fields.Dict())
    retracted = fields.Boolean()
    retraction_reason = fields.String(allow_none=True)
    retracted_at = iso(allow_none=True)
    related_child_id = fields.UUID(allow_none=True)
    withheld_category = withheld()


class TimelineSchema(Schema):
    child_id = fields.UUID(required=True, metadata={"description": "the surviving record"})
    requested_id = fields.UUID(required=True)
    records = fields.List(fields.UUID(), metadata={"description": "records merged into this timeline"})
    grounds = fields.String(
        required=True,
        metadata={
            "description": "why you may read this record (written to the read audit): group_membership, "
            "coordinator, audit, or own_agency (then only your agency's entries are listed)"
        },
    )
    entries = fields.List(fields.Nested(TimelineEntrySchema))
    as_of = iso()  # present when replayed to a past instant
    freshness = fields.Nested(FreshnessSchema, required=True)


class ContributionSchema(Schema):
    signal_id = fields.String()
    kind = fields.String()
    agency_kind = fields.String()
    severity = fields.String()
    weight = fields.Float()
    age_days = fields.Float()
    decay = fields.Float()
    contribution = fields.Float()
    counted = fields.Boolean()
    note = fields.String()


class PiecesJoinSchema(Schema):
    agency_ids = fields.List(fields.String())
    agency_kinds = fields.List(fields.String())
    signal_ids = fields.List(fields.String())
    window_days = fields.Integer()
    first_observed = iso()
    last_observed = iso()


class BandChangeSchema(Schema):
    at = iso()
    from_band = fields.String()
    to_band = fields.String()
    score = fields.Float()
    policy_version = fields.String()
    position = fields.Integer()


class RiskSchema(Schema):
    child_id = fields.UUID(required=True)
    requested_id = fields.UUID(required=True)
    score = fields.Float(required=True)
    band = fields.String(required=True, metadata={"description": "low, medium, high or review_now"})
    red_flags = fields.List(fields.String())
    pieces_join = fields.Nested(PiecesJoinSchema, allow_none=True)
    contributions = fields.List(fields.Nested(ContributionSchema))
    policy_version = fields.String(required=True)
    assessed_at = iso()
    notice = fields.String(required=True)
    band_history = fields.List(fields.Nested(BandChangeSchema))
    as_of = iso()  # present when replayed to a past instant
    freshness = fields.Nested(FreshnessSchema, required=True)


# --- audit ------------------------------------------------------------------------------


class VerifyQuerySchema(StrictSchema):
    expect_head = fields.String(validate=validate.Regexp(r"^[0-9a-f]{64}$", error="must be 64 hex digits"))


class BrokenLinkSchema(Schema):
    notification_id = fields.Integer(required=True)
    problem = fields.String(required=True)
    expected_link = fields.String()
    stored_link = fields.String()


class VerifySchema(Schema):
    intact = fields.Boolean(required=True)
    count = fields.Integer(required=True, metadata={"description": "events verified"})
    head = fields.String(required=True, metadata={"description": "the last verified link; keep it"})
    first_broken = fields.Nested(BrokenLinkSchema, allow_none=True)
    expected_head_found = fields.Boolean()


# --- bulk import ------------------------------------------------------------------------


class ImportQuerySchema(StrictSchema):
    dry_run = fields.Boolean(load_default=False, metadata={"description": "check every row, save nothing"})


class ImportRowSchema(Schema):
    row = fields.Integer(required=True, metadata={"description": "line number in the file"})
    status = fields.String(required=True, metadata={"description": "accepted, duplicate or rejected"})
    child_id = fields.UUID()
    signal_id = fields.UUID()
    registered_child = fields.Boolean()
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))


class ImportReportSchema(Schema):
    rows = fields.Integer(required=True)
    accepted = fields.Integer(required=True)
    duplicate = fields.Integer(required=True)
    rejected = fields.Integer(required=True)
    registered_children = fields.Integer(required=True)
    dry_run = fields.Boolean(required=True)
    replayed = fields.Boolean(required=True)
    results = fields.List(fields.Nested(ImportRowSchema))
