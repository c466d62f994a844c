"""Audit: verify that nobody rewrote the stored history, and see who read a child's record."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from domain.access import Action, require
from services.adapters.integrity import verify
from services.api.schemas import VerifyQuerySchema, VerifySchema
from services.api.schemas_audit import ReadsQuerySchema, ReadsSchema
from services.http.auth import current_actor
from services.http.context import services

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit", description="Audit and tamper evidence")


@blp.route("/verify")
class Verify(MethodView):
    @blp.arguments(VerifyQuerySchema, location="query")
    @blp.response(200, VerifySchema)
    def get(self, query: dict):
        """Recompute the hash chain over every stored event; name the first broken link.

        Pass ``expect_head`` (a head hash recorded at an earlier verification) to also
        detect a truncated or wholly rewritten tail.
        """
        require(current_actor(), Action.VERIFY_HISTORY)
        return verify(services().store.recorder, query.get("expect_head"))


@blp.route("/reads")
class Reads(MethodView):
    @blp.arguments(ReadsQuerySchema, location="query", unknown=None)
    @blp.response(200, ReadsSchema)
    def get(self, query: dict):
        """Every read of child data: who, when, which child, which view, on what grounds; newest first.

        The auditor lists all reads in the municipality; the coordinator and the agency that
        owns a child's case (it registered the child or opened its Blue Card) list the reads
        of that child (``child_id`` required).
        """
        return services().read_audit.list(current_actor(), **query)
