"""Children: register, find, read, merge, and the raw event history."""

from __future__ import annotations

from uuid import UUID

from flask import request
from flask.views import MethodView

from services.api.schema_kit import Blueprint
from services.api.schemas import (
    ChildCreateSchema,
    ChildNameQuerySchema,
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
from services.http.errors import error_body

blp = Blueprint("children", __name__, url_prefix="/api/v1/children", description="Children")


#: A PESEL in a URL lands in browser history, proxy and access logs and Referer headers.
PESEL_IN_URL = "a PESEL is never sent in a URL: search with POST /api/v1/children/search, the PESEL in the body"


@blp.before_request
def refuse_a_pesel_in_the_url():
    """Refuse (400, naming the field) a PESEL in any query string of these endpoints, before anything runs."""
    if "pesel" in request.args:
        return error_body(400, "invalid_input", "the request has invalid fields", errors={"pesel": [PESEL_IN_URL]})
    return None


@blp.route("")
class Children(MethodView):
    # unknown=None: let the strict schema refuse a mistyped parameter (webargs would drop it).
    @blp.arguments(ChildNameQuerySchema, location="query", unknown=None)
    @blp.response(200, ChildSearchSchema)
    @blp.alt_response(400, description="a pesel in the query string: search with POST /api/v1/children/search")
    def get(self, query: dict):
        """Find a child by given name, family name and date of birth (a PESEL only by POST .../search)."""
        return services().children.find(current_actor(), **query)

    @blp.arguments(ChildCreateSchema)
    @blp.response(201, ChildRegisteredSchema)
    def post(self, body: dict):
        """Register a child; likely duplicates already on file are listed in the answer."""
        return services().children.register(current_actor(), **body)


@blp.route("/search")
class ChildSearch(MethodView):
    @blp.arguments(ChildQuerySchema)
    @blp.response(200, ChildSearchSchema)
    def post(self, body: dict):
        """Find a child by PESEL, or by given name, family name and date of birth (in the body, not the URL)."""
        return services().children.find(current_actor(), **body)


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
