"""Family assistants' monthly time cards: entries, submission, the coordinator's decision, reports."""

from __future__ import annotations

from uuid import UUID

from flask import Response, jsonify, render_template_string
from flask.views import MethodView

from services.api.schema_kit import Blueprint
from services.api.schemas_family import (
    ReportQuerySchema,
    ServiceReportSchema,
    TimeCardAcceptanceSchema,
    TimeCardCreateSchema,
    TimeCardMonthQuerySchema,
    TimeCardReturnSchema,
    TimeCardSchema,
    TimeCardTotalsSchema,
    TimeEntryCreateSchema,
    TimeEntryRemovalSchema,
)
from services.http.auth import current_actor
from services.http.context import services

blp = Blueprint("time_cards", __name__, url_prefix="/api/v1/time-cards", description="Family-assistant time cards")


@blp.route("")
class TimeCardList(MethodView):
    @blp.arguments(TimeCardMonthQuerySchema, location="query", unknown=None)
    @blp.response(200, TimeCardSchema(many=True))
    def get(self, query: dict):
        """List a month's cards (an assistant sees its own; the coordinator every one)."""
        return services().time_cards.list_cards(current_actor(), query["month"])

    @blp.arguments(TimeCardCreateSchema)
    @blp.response(201, TimeCardSchema)
    def post(self, body: dict):
        """Open your card for a month (one per assistant per month)."""
        return services().time_cards.open(current_actor(), body["month"])


@blp.route("/totals")
class TimeCardTotals(MethodView):
    @blp.arguments(TimeCardMonthQuerySchema, location="query", unknown=None)
    @blp.response(200, TimeCardTotalsSchema)
    def get(self, query: dict):
        """Monthly hours per assistant and per family."""
        return services().time_cards.totals(current_actor(), query["month"])


@blp.route("/<uuid:card_id>")
class TimeCardItem(MethodView):
    @blp.response(200, TimeCardSchema)
    def get(self, card_id: UUID):
        """Return the card with its entries and totals."""
        return services().time_cards.get(current_actor(), card_id)


@blp.route("/<uuid:card_id>/entries")
class TimeCardEntries(MethodView):
    @blp.arguments(TimeEntryCreateSchema)
    @blp.response(201, TimeCardSchema)
    def post(self, body: dict, card_id: UUID):
        """Add a meeting with a family; the hours are computed from the times."""
        return services().time_cards.add_entry(current_actor(), card_id, **body)


@blp.route("/<uuid:card_id>/entries/<uuid:entry_id>/removal")
class TimeCardEntryRemoval(MethodView):
    @blp.arguments(TimeEntryRemovalSchema)
    @blp.response(201, TimeCardSchema)
    def post(self, body: dict, card_id: UUID, entry_id: UUID):
        """Take back an entry made in error (an event; the history keeps it)."""
        return services().time_cards.remove_entry(current_actor(), card_id, entry_id, body["reason"])


@blp.route("/<uuid:card_id>/submission")
class TimeCardSubmission(MethodView):
    @blp.response(201, TimeCardSchema)
    def post(self, card_id: UUID):
        """Hand the card to the coordinator."""
        return services().time_cards.submit(current_actor(), card_id)


@blp.route("/<uuid:card_id>/acceptance")
class TimeCardAcceptance(MethodView):
    @blp.arguments(TimeCardAcceptanceSchema)
    @blp.response(201, TimeCardSchema)
    def post(self, body: dict, card_id: UUID):
        """Accept a submitted card (the coordinator)."""
        return services().time_cards.accept(current_actor(), card_id, body["note"])


@blp.route("/<uuid:card_id>/return")
class TimeCardReturn(MethodView):
    @blp.arguments(TimeCardReturnSchema)
    @blp.response(201, TimeCardSchema)
    def post(self, body: dict, card_id: UUID):
        """Return a submitted card to the assistant with a reason (the coordinator)."""
        return services().time_cards.return_card(current_actor(), card_id, body["reason"])


@blp.route("/<uuid:card_id>/report")
class TimeCardReport(MethodView):
    @blp.arguments(ReportQuerySchema, location="query", unknown=None)
    @blp.response(200, ServiceReportSchema)
    def get(self, query: dict, card_id: UUID):
        """The monthly service report per family; ``format=html`` gives a printable page."""
        report = services().time_cards.report(current_actor(), card_id)
        if query["format"] == "html":
            return Response(render_template_string(_REPORT_PAGE, r=report), mimetype="text/html")
        return jsonify(report)


_REPORT_PAGE = """<!doctype html>
<html lang="pl"><head><meta charset="utf-8">
<title>Karta realizacji usługi asystenta rodziny — {{ r.month }}</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;width:100%;margin-bottom:2em}
td,th{border:1px solid #444;padding:4px 6px;text-align:left;vertical-align:top}
.sign{margin-top:3em;display:flex;justify-content:space-between}@media print{section{page-break-after:always}}</style>
</head><body>
{% for f in r.families %}<section>
<h1>Karta realizacji usługi asystenta rodziny<br><small>Miesięczne sprawozdanie z pracy z rodziną</small></h1>
<p>Asystent rodziny: <b>{{ r.assistant }}</b> &nbsp; Rodzina: <b>{{ f.label }}</b> &nbsp;
Miesiąc: <b>{{ r.month }}</b></p>
<table><tr><th>Lp.</th><th>data</th><th>godzina od&ndash;do</th><th>łącznie czas trwania</th><th>miejsce spotkania</th>
<th>osoby biorące udział</th><th>podjęte działania, przebieg, tematyka</th></tr>
{% for e in f.entries %}<tr><td>{{ loop.index }}</td><td>{{ e.date }}</td><td>{{ e.start }}&ndash;{{ e.end }}</td>
<td>{{ "%.2f"|format(e.minutes / 60) }} h</td><td>{{ e.place }}</td><td>{{ e.participants }}</td>
<td>{{ e.topic }}</td></tr>
{% endfor %}<tr><th colspan="3">razem ilość godzin:</th><th colspan="4">{{ "%.2f"|format(f.hours) }}</th></tr></table>
<p>Status karty: {{ r.status }}{% if r.decision %} ({{ r.decision.decision }}
{%- if r.decision.note %}: {{ r.decision.note }}{% endif %}){% endif %}</p>
<div class="sign"><span>........................<br>podpis asystenta rodziny</span>
<span>........................<br>akceptacja koordynatora</span></div>
</section>{% endfor %}
</body></html>
"""
