"""Grants of access to child data: waiting requests, approvals, resets, activation, deactivation.

See services/usecases/access_grants.py for why a grant needs two people and why the
administrator's half of a setup code opens nothing on its own.
"""

from __future__ import annotations

from uuid import UUID

from flask.views import MethodView

from domain.errors import InvalidInput
from services.api.schema_kit import Blueprint
from services.api.schemas_access import (
    AccessRequestSchema,
    ActivatedSchema,
    ActivationSchema,
    ApprovedUserSchema,
    DeactivationSchema,
    ResetSchema,
    UserSchema,
    UserWithTokenSchema,
)
from services.http.auth import current_actor
from services.http.context import services
from services.usecases.accounts import check_password

blp = Blueprint("access_grants", __name__, url_prefix="/api/v1", description="Access grants and deactivation")


@blp.route("/access-requests")
class AccessRequests(MethodView):
    @blp.response(200, AccessRequestSchema(many=True))
    def get(self):
        """Requests waiting for your approval: the coordinator's (the auditor's for auditors); directory data only."""
        return services().access_grants.pending(current_actor())


@blp.route("/users/<uuid:user_id>/approval")
class Approval(MethodView):
    @blp.response(200, ApprovedUserSchema)
    def post(self, user_id: UUID):
        """Approve a waiting grant as the second person; hand the approval code shown here to the person."""
        return services().access_grants.approve(current_actor(), user_id)


@blp.route("/users/<uuid:user_id>/reset")
class Reset(MethodView):
    @blp.arguments(ResetSchema)
    @blp.response(200, UserWithTokenSchema)
    def post(self, body: dict, user_id: UUID):
        """End a reader's token and password now; access waits for a coordinator's (auditor's) approval.

        The setup code shown here is only the requester's half: with the approver's half
        the person makes their own token (``POST /api/v1/activation``).
        """
        return services().access_grants.reset(current_actor(), user_id, body["reason"])


@blp.route("/users/<uuid:user_id>/deactivation")
class Deactivation(MethodView):
    @blp.arguments(DeactivationSchema)
    @blp.response(200, UserSchema)
    def post(self, body: dict, user_id: UUID):
        """Deactivate a user: tokens and page sessions end at once (administrator; coordinator for field staff)."""
        return services().access_grants.deactivate(current_actor(), user_id, body["reason"])


@blp.route("/activation")
class Activation(MethodView):
    @blp.doc(security=[])
    @blp.arguments(ActivationSchema)
    @blp.response(201, ActivatedSchema)
    def post(self, body: dict):
        """Use both halves of a setup code once for your own API token (and, with a login, a page password).

        No bearer token: this is how a person whose access was approved gets their first one.
        """
        svc = services()
        login, password = body["login"], body["password"]
        if (login is None) != (password is None):
            raise InvalidInput.one("password" if password is None else "login", "give login and password together")
        if password is not None:
            check_password(password)

        def set_password(user_id: UUID) -> None:
            if password is not None:
                svc.accounts.set_password(user_id, password, login)

        claimed = svc.access_grants.claim(body["setup_code"], body["approval_code"], first=set_password)
        return {**claimed, "login": login.strip().lower() if login else None}
