"""Blue Cards: form A, form B, forwarding, group assignment, forms C and D, monitoring, closure, reviews."""

from __future__ import annotations

from uuid import UUID

from flask import jsonify
from flask.views import MethodView

from services.api.schema_kit import Blueprint
from services.api.schemas_procedure import (
    BlueCardQuerySchema,
    BlueCardSchema,
    ClosureSchema,
    FormASchema,
    FormBSchema,
    FormCSchema,
    FormDSchema,
    GroupAssignmentSchema,
    NoteSchema,
    ReviewSchema,
)
from services.http.auth import current_actor
from services.http.context import services

blp = Blueprint(
    "blue_cards", __name__, url_prefix="/api/v1/blue-cards", description="The Blue Card (Niebieska Karta) procedure"
)


def answer(body: object, status: int = 200):
    """Send plain JSON values as they are (the schemas document them)."""
    response = jsonify(body)
    response.status_code = status
    return response


@blp.route("")
class BlueCardList(MethodView):
    @blp.arguments(BlueCardQuerySchema, location="query", unknown=None)
    @blp.response(200, BlueCardSchema(many=True))
    def get(self, query: dict):
        """The cards you may see (all of them for the chair and the auditor)."""
        return answer(services().blue_cards.list(current_actor(), **query))

    @blp.arguments(FormASchema)
    @blp.response(201, BlueCardSchema)
    def post(self, body: dict):
        """Fill in form A (initiating services: OPS, GKRPA, police, school, health; family assistants)."""
        return answer(services().blue_cards.fill_form_a(current_actor(), **body), 201)


@blp.route("/<uuid:card_id>")
class BlueCardItem(MethodView):
    @blp.response(200, BlueCardSchema)
    def get(self, card_id: UUID):
        """One card with every step as recorded."""
        return answer(services().blue_cards.get(current_actor(), card_id))


def _step(rule: str, schema: type, method: str, summary: str, status: int = 200) -> None:
    """Register ``POST /blue-cards/{id}/<rule>`` calling ``BlueCards.<method>`` with the body."""

    @blp.arguments(schema)
    @blp.response(status, BlueCardSchema)
    def post(self, body: dict, card_id: UUID):
        return answer(getattr(services().blue_cards, method)(current_actor(), card_id, **body), status)

    post.__doc__ = summary
    view = type(f"BlueCard_{method}", (MethodView,), {"post": post})
    blp.route(f"/<uuid:card_id>/{rule}")(view)


_step("form-b", FormBSchema, "hand_form_b", "Record form B handed to a victim named on form A.", 201)
_step("forward", NoteSchema, "forward", "Form A reaches the team chair (the chair or the filling agency records it).")
_step("group", GroupAssignmentSchema, "assign_group", "The chair assigns an existing working group.")
_step("form-c", FormCSchema, "record_form_c", "Form C: assessment and help plan with the victim (group).", 201)
_step("form-d", FormDSchema, "record_form_d", "Form D: with the suspected perpetrator (group).", 201)
_step("monitoring", NoteSchema, "start_monitoring", "The group starts monitoring the family.")
_step("closure", ClosureSchema, "close", "The chair closes the card for one of the two legal reasons.")
_step("reviews", ReviewSchema, "record_review", "A post-closure monitoring review.", 201)
