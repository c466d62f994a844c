"""Erasing a child's personal data by destroying its keys (crypto-shredding)."""

from __future__ import annotations

from uuid import UUID

from flask.views import MethodView
from flask_smorest import Blueprint

from services.api.schemas_erasure import ErasedSchema, ErasureSchema
from services.http.auth import current_actor
from services.http.context import services

blp = Blueprint("erasure", __name__, url_prefix="/api/v1/children", description="Erasure")


@blp.route("/<uuid:child_id>/erasure")
class ChildErasure(MethodView):
    @blp.arguments(ErasureSchema)
    @blp.response(200, ErasedSchema)
    def post(self, body: dict, child_id: UUID):
        """Erase the child's personal data for good; the event skeleton and the hash chain remain."""
        svc = services()
        return svc.erasure.erase(current_actor(), child_id, **body)
