"""Erasing a child's personal data by destroying its keys (crypto-shredding), decided by two people.

A coordinator asks (202, pending); a second, different person (another coordinator or
the auditor) approves, which erases. Only ``retention_expired``, when the retention
policy says the period has ended, erases on one coordinator's request (200).
"""

from __future__ import annotations

from uuid import UUID

from flask.views import MethodView

from services.api.schema_kit import Blueprint
from services.api.schemas_erasure import ErasedSchema, ErasureApprovalSchema, ErasureSchema
from services.http.auth import current_actor
from services.http.context import services

blp = Blueprint("erasure", __name__, url_prefix="/api/v1/children", description="Erasure")


@blp.route("/<uuid:child_id>/erasure")
class ChildErasure(MethodView):
    @blp.arguments(ErasureSchema)
    @blp.response(202, ErasedSchema)
    @blp.alt_response(200, schema=ErasedSchema, description="erased at once: retention_expired and due")
    def post(self, body: dict, child_id: UUID):
        """Ask to erase the child's personal data; a second person approves before anything is destroyed."""
        answer = services().erasure.request(current_actor(), child_id, **body)
        return answer, 200 if answer["erased"] else 202


@blp.route("/<uuid:child_id>/erasure/approval")
class ChildErasureApproval(MethodView):
    @blp.arguments(ErasureApprovalSchema)
    @blp.response(200, ErasedSchema)
    def post(self, body: dict, child_id: UUID):
        """Approve the pending erasure (not its asker): the personal data is destroyed for good; the skeleton stays."""
        return services().erasure.approve(current_actor(), child_id)


#: Adults named in a case (victims, suspected perpetrators) are persons with keys of their own.
person_blp = Blueprint("person_erasure", __name__, url_prefix="/api/v1/persons", description="Erasure of an adult")


@person_blp.route("/<uuid:person_id>/erasure")
class PersonErasure(MethodView):
    @person_blp.arguments(ErasureSchema)
    @person_blp.response(202, ErasedSchema)
    def post(self, body: dict, person_id: UUID):
        """Ask to erase an adult's personal data (authorised_request only); a second person approves."""
        answer = services().person_erasure.request(current_actor(), person_id, **body)
        return answer, 200 if answer["erased"] else 202


@person_blp.route("/<uuid:person_id>/erasure/approval")
class PersonErasureApproval(MethodView):
    @person_blp.arguments(ErasureApprovalSchema)
    @person_blp.response(200, ErasedSchema)
    def post(self, body: dict, person_id: UUID):
        """Approve the pending erasure (not its asker): the person's key is destroyed; every text about them closes."""
        return services().person_erasure.approve(current_actor(), person_id)
