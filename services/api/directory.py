"""Agencies, users and the caller's own identity."""

from __future__ import annotations

from uuid import UUID

from flask.views import MethodView

from services.api.schema_kit import Blueprint
from services.api.schemas import (
    AgencyCreateSchema,
    AgencySchema,
    MeSchema,
    UserCreateSchema,
    UserSchema,
    UserWithTokenSchema,
)
from services.http.auth import current_actor
from services.http.context import services

blp = Blueprint("directory", __name__, url_prefix="/api/v1", description="Agencies and users")


@blp.route("/agencies")
class Agencies(MethodView):
    @blp.response(200, AgencySchema(many=True))
    def get(self):
        """List the agencies of your municipality."""
        return services().directory.list_agencies(current_actor())

    @blp.arguments(AgencyCreateSchema)
    @blp.response(201, AgencySchema)
    def post(self, body: dict):
        """Register an agency (administrators only)."""
        actor = current_actor()
        return services().directory.create_agency(actor, actor.municipality_id, body["kind"], body["name"])


@blp.route("/agencies/<uuid:agency_id>")
class AgencyItem(MethodView):
    @blp.response(200, AgencySchema)
    def get(self, agency_id: UUID):
        """Return one agency."""
        return services().directory.get_agency(current_actor(), agency_id)


@blp.route("/users")
class Users(MethodView):
    @blp.response(200, UserSchema(many=True))
    def get(self):
        """List the users of your municipality (administrator and auditor)."""
        return services().directory.list_users(current_actor())

    @blp.arguments(UserCreateSchema)
    @blp.response(201, UserWithTokenSchema)
    def post(self, body: dict):
        """Create a user. An administrator gets its token (shown once); a reader waits for approval.

        For a role that reads child data the answer holds no token, only the requester's half
        of a setup code (``setup_code``); see ``/users/{id}/approval`` and ``/activation``.
        """
        actor = current_actor()
        return services().directory.create_user(
            actor,
            role=body["role"],
            name=body["name"],
            agency_id=body["agency_id"],
            municipality_id=actor.municipality_id,
        )


@blp.route("/users/<uuid:user_id>")
class UserItem(MethodView):
    @blp.response(200, UserSchema)
    def get(self, user_id: UUID):
        """Return one user with who requested and who approved its access (administrator and auditor)."""
        return services().directory.get_user(current_actor(), user_id)


@blp.route("/users/<uuid:user_id>/token")
class UserToken(MethodView):
    @blp.response(201, UserWithTokenSchema)
    def post(self, user_id: UUID):
        """Issue a new token for an administrator; a reader makes their own (``/me/token``) or is reset."""
        return services().directory.issue_token(current_actor(), user_id)


@blp.route("/me/token")
class MyToken(MethodView):
    @blp.response(201, UserWithTokenSchema)
    def post(self):
        """Replace your own API token; the new one is shown only in this answer, the old one stops at once."""
        return services().directory.own_token(current_actor())


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, MeSchema)
    def get(self):
        """Return who the token belongs to."""
        return vars(current_actor())
