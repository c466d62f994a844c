"""A child's timeline and risk, read from the projections."""

from __future__ import annotations

from uuid import UUID

from flask import current_app
from flask.views import MethodView

from services.api.schema_kit import Blueprint, request_language
from services.api.schemas import RiskQuerySchema, RiskSchema, TimelineQuerySchema, TimelineSchema
from services.http.auth import current_actor
from services.http.context import services

blp = Blueprint("timelines", __name__, url_prefix="/api/v1/children", description="Timeline and risk")


@blp.route("/<uuid:child_id>/timeline")
class ChildTimeline(MethodView):
    @blp.arguments(TimelineQuerySchema, location="query")
    @blp.response(200, TimelineSchema)
    def get(self, query: dict, child_id: UUID):
        """Every agency's entries about the child in one line, ordered by when they happened."""
        # Already JSON text: skipping marshmallow's dump of ~1,000 nested entries saves ~100 ms,
        # and the entries' text is reused while the child is unchanged; the schema still
        # documents the shape and a test checks the body against it.
        body = services().views.timeline_json(current_actor(), child_id, language=request_language(), **query)
        return current_app.response_class(body, mimetype="application/json")


@blp.route("/<uuid:child_id>/risk")
class ChildRisk(MethodView):
    @blp.arguments(RiskQuerySchema, location="query")
    @blp.response(200, RiskSchema)
    def get(self, query: dict, child_id: UUID):
        """The risk score with every contributing signal; it supports judgment and decides nothing."""
        # Plain JSON values, ~1,000 contributions: encoded once, compact and unsorted (Flask's
        # provider sorts every object's keys), and not dumped through marshmallow either.
        body = services().views.risk_json(current_actor(), child_id, **query)
        return current_app.response_class(body, mimetype="application/json")
