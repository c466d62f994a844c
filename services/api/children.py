"""Children: register, find, read, merge, and the raw event history."""

from __future__ import annotations

from uuid import UUID

from flask.views import MethodView
from flask_smorest import Blueprint

from services.api.schemas import (
    ChildCreateSchema,
    ChildQuerySchema,
    ChildRegisteredSchema,
    ChildSchema,
    ChildSearchSchema,
    EventSchema,
    EventsQuerySchema,
    MergeSchema,
)
from services.http.auth import current_actor
from services.http.context import services

blp = Blueprint("children", __name__, url_prefix="/api/v1/children", description="Children")


@blp.route("")
class Children(MethodView):
    # unknown=None: let the strict schema refuse a mistyped parameter (webargs would drop it).
    @blp.arguments(ChildQuerySchema, location="query", unknown=None)
    @blp.response(200, ChildSearchSchema)
    def get(self, query: dict):
        """Find a child by PESEL, or by given name, family name and date of birth."""
        return services().children.find(current_actor(), **query)

    @blp.arguments(ChildCreateSchema)
    @blp.response(201, ChildRegisteredSchema)
    def post(self, body: dict):
        """Register a child; likely duplicates already on file are listed in the answer."""
        return services().children.register(current_actor(), **body)


@blp.route("/<uuid:child_id>")
class ChildItem(MethodView):
    @blp.response(200, ChildSchema)
    def get(self, child_id: UUID):
        """Return a child's identity record."""
        return services().children.get(current_actor(), child_id)


@blp.route("/<uuid:child_id>/merge")
class ChildMerge(MethodView):
    @blp.arguments(MergeSchema)
    @blp.response(200, ChildSchema)
    def post(self, body: dict, child_id: UUID):
        """Merge this (duplicate) record into ``target_id``; answers with the surviving record."""
        return services().children.merge(current_actor(), child_id, body["target_id"], reason=body["reason"])


@blp.route("/<uuid:child_id>/events")
class ChildEvents(MethodView):
    @blp.arguments(EventsQuerySchema, location="query", unknown=None)
    @blp.response(200, EventSchema(many=True))
    def get(self, query: dict, child_id: UUID):
        """Return the raw stored history you may see, optionally as it stood at ``as_of``."""
        return services().children.events(current_actor(), child_id, as_of=query.get("as_of"))
