"""Audit: verify that nobody rewrote the stored history."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from domain.access import Action, require
from services.api.auth import current_actor
from services.api.context import services
from services.api.schemas import VerifyQuerySchema, VerifySchema
from services.integrity import verify

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
