"""Schemas of the programme report, its drill-down and the monthly statistics."""

from __future__ import annotations

from marshmallow import fields, validate

from services.api.schema_kit import StrictSchema, iso

FORMATS = ("json", "csv", "html")


class PeriodSchema(StrictSchema):
    start = fields.Date(required=True, data_key="from", metadata={"description": "first day (YYYY-MM-DD)"})
    end = fields.Date(required=True, data_key="to", metadata={"description": "last day, inclusive (YYYY-MM-DD)"})


class ProgrammeQuerySchema(PeriodSchema):
    format = fields.String(
        validate=validate.OneOf(FORMATS),
        metadata={
            "description": "json (default), csv (UTF-8 with BOM, ';'-separated, as Polish Excel reads it) or html "
            "(a printable page); 'Accept: text/csv' or 'text/html' choose too"
        },
    )


class CasesQuerySchema(PeriodSchema):
    indicator = fields.String(
        required=True,
        validate=validate.Length(min=1, max=100),
        metadata={
            "description": "an indicator key of the report, e.g. cards_conducted or deadline_breaches:form_a_to_chair"
        },
    )


class MonthlyQuerySchema(StrictSchema):
    year = fields.Integer(required=True, strict=False, validate=validate.Range(min=2000, max=2100))


def _moment(description: str) -> fields.String:
    return fields.String(metadata={"format": "date-time", "description": description})


class CutOffSchema(StrictSchema):
    municipality_id = fields.String()
    start = iso("date", data_key="from")
    end = iso("date", data_key="to")
    computed_at = _moment("when the report was computed")
    recorded_by = _moment(
        "only events recorded before this instant count (the end of the period, or now while it runs)"
    )
    final = fields.Boolean(metadata={"description": "true once the period is over: the figures no longer change"})
    last_event_position = fields.Integer(metadata={"description": "the last event (notification id) counted"})
    view_position = fields.Integer(metadata={"description": "how far the projection had read the log"})
    policy_version = fields.String()


class IndicatorSchema(StrictSchema):
    key = fields.String()
    label = fields.String()
    counts = fields.String(metadata={"description": "what is counted: person, blue_card, family, meeting..."})
    value = fields.Integer()


class BreachSchema(StrictSchema):
    kind = fields.String()
    label = fields.String()
    due = fields.Integer(metadata={"description": "items due in the period"})
    breached = fields.Integer(metadata={"description": "done late, or still not done at the period's end"})
    still_open_overdue = fields.Integer()
    median_delay_working_days = fields.Float(allow_none=True)
    worst_delay_working_days = fields.Integer(allow_none=True)


class ProgrammeReportSchema(CutOffSchema):
    indicators = fields.List(fields.Nested(IndicatorSchema))
    signals_by_agency_kind = fields.Dict(keys=fields.String(), values=fields.Integer())
    signals_by_kind = fields.Dict(keys=fields.String(), values=fields.Integer())
    deadline_breaches = fields.List(fields.Nested(BreachSchema))


class CasesSchema(CutOffSchema):
    indicator = fields.String()
    label = fields.String()
    counts = fields.String()
    value = fields.Integer()
    cases = fields.List(fields.Dict(), metadata={"description": "the cases behind the figure (ids only)"})


class MonthSchema(StrictSchema):
    month = fields.String()
    signals = fields.Integer()
    signals_by_agency_kind = fields.Dict(keys=fields.String(), values=fields.Integer())
    cards_started = fields.Integer()


class MonthlySchema(CutOffSchema):
    year = fields.Integer()
    agency_kinds = fields.List(fields.String())
    months = fields.List(fields.Nested(MonthSchema))
    totals = fields.Dict()
