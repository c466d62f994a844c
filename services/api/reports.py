"""The yearly programme report (JSON, CSV, a printable page), its drill-down and monthly statistics."""

from __future__ import annotations

from flask import make_response, render_template, request
from flask.views import MethodView

from services.api.blue_cards import answer
from services.api.schema_kit import Blueprint
from services.api.schemas_reports import (
    CasesQuerySchema,
    CasesSchema,
    MonthlyQuerySchema,
    MonthlySchema,
    ProgrammeQuerySchema,
    ProgrammeReportSchema,
)
from services.http.auth import current_actor
from services.http.context import services
from services.usecases.reports import programme_csv

blp = Blueprint(
    "reports",
    __name__,
    url_prefix="/api/v1/reports",
    description="The programme report and statistics, computed from events for any period",
)


@blp.route("/programme")
class ProgrammeReport(MethodView):
    @blp.arguments(ProgrammeQuerySchema, location="query", unknown=None)
    @blp.response(200, ProgrammeReportSchema)
    def get(self, query: dict):
        """The Krasnystaw-style indicators for a period, counted from what was recorded by its end.

        For the chair and the auditor only: counts over every agency, for a period as short
        as a day, move the moment another agency records something (see ``usecases.reports``).
        """
        report = services().reports.programme(current_actor(), query["start"], query["end"])
        fmt = query.get("format") or _negotiated()
        if fmt == "csv":
            response = make_response(programme_csv(report))
            response.headers["Content-Type"] = "text/csv; charset=utf-8"
            response.headers["Content-Disposition"] = (
                f'attachment; filename="program-{report["from"]}-{report["to"]}.csv"'
            )
            return response
        if fmt == "html":
            response = make_response(render_template("programme_report.html", report=report))
            response.headers["Content-Type"] = "text/html; charset=utf-8"
            return response
        return answer(report)


@blp.route("/programme/cases")
class ProgrammeCases(MethodView):
    @blp.arguments(CasesQuerySchema, location="query", unknown=None)
    @blp.response(200, CasesSchema)
    def get(self, query: dict):
        """The cases behind one figure (the chair and the auditor only)."""
        return answer(services().reports.cases(current_actor(), query["indicator"], query["start"], query["end"]))


@blp.route("/monthly")
class Monthly(MethodView):
    @blp.arguments(MonthlyQuerySchema, location="query", unknown=None)
    @blp.response(200, MonthlySchema)
    def get(self, query: dict):
        """Signals per month per agency kind and Blue Cards started per month (the chair and the auditor)."""
        return answer(services().reports.monthly(current_actor(), query["year"]))


def _negotiated() -> str:
    best = request.accept_mimetypes.best_match(["application/json", "text/csv", "text/html"])
    return {"text/csv": "csv", "text/html": "html"}.get(best or "", "json")
