"""Signals about a child: submit (idempotently), list, correct, retract; and the catalogue."""

from __future__ import annotations

from uuid import UUID

from flask.views import MethodView

from domain.access import Action, require
from domain.signals import CATALOGUE
from services.api.schema_kit import Blueprint
from services.api.schemas import (
    IdempotencyHeaderSchema,
    SignalCorrectionSchema,
    SignalCreateSchema,
    SignalKindSchema,
    SignalRetractionSchema,
    SignalSchema,
)
from services.http.auth import current_actor
from services.http.context import services

blp = Blueprint("signals", __name__, url_prefix="/api/v1", description="Signals")

#: Argument schemas are given as instances: given a class, webargs builds one per request.
_IDEMPOTENCY = IdempotencyHeaderSchema()
_SIGNAL_CREATE = SignalCreateSchema()


@blp.route("/children/<uuid:child_id>/signals")
class ChildSignals(MethodView):
    @blp.response(200, SignalSchema(many=True))
    def get(self, child_id: UUID):
        """List the signals about the child that you may see."""
        return services().children.list_signals(current_actor(), child_id)

    @blp.arguments(_IDEMPOTENCY, location="headers")
    @blp.arguments(_SIGNAL_CREATE)
    @blp.response(201, SignalSchema)
    def post(self, headers: dict, body: dict, child_id: UUID):
        """Submit a signal; your agency is recorded as its source.

        Send an ``Idempotency-Key`` header: a retry with the same key and body returns
        the first result and records nothing new.
        """
        signal, _replayed = services().children.record_signal(
            current_actor(), child_id, idempotency_key=headers["idempotency_key"], **body
        )
        return signal


@blp.route("/children/<uuid:child_id>/signals/<uuid:signal_id>/corrections")
class SignalCorrections(MethodView):
    @blp.arguments(SignalCorrectionSchema())
    @blp.response(201, SignalSchema)
    def post(self, body: dict, child_id: UUID, signal_id: UUID):
        """Correct your agency's signal; the original stays in the history."""
        return services().children.correct_signal(current_actor(), child_id, signal_id, **body)


@blp.route("/children/<uuid:child_id>/signals/<uuid:signal_id>/retraction")
class SignalRetraction(MethodView):
    @blp.arguments(SignalRetractionSchema())
    @blp.response(201, SignalSchema)
    def post(self, body: dict, child_id: UUID, signal_id: UUID):
        """Retract your agency's signal with a reason; it stays visible as retracted."""
        return services().children.retract_signal(current_actor(), child_id, signal_id, **body)


@blp.route("/signal-kinds")
class SignalKinds(MethodView):
    @blp.response(200, SignalKindSchema(many=True))
    def get(self):
        """List the signal catalogue (kinds, who submits them, default severity)."""
        require(current_actor(), Action.READ_DIRECTORY)
        return [{**vars(k), "agency_kinds": sorted(k.agency_kinds)} for k in CATALOGUE.values()]
