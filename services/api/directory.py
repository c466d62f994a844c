"""Agencies, users and the caller's own identity."""

from __future__ import annotations

from uuid import UUID

from flask.views import MethodView
from flask_smorest import Blueprint

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
        """List the users of your municipality (administrators only)."""
        return services().directory.list_users(current_actor())

    @blp.arguments(UserCreateSchema)
    @blp.response(201, UserWithTokenSchema)
    def post(self, body: dict):
        """Create a user; the response carries its API token, shown only this once."""
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
        """Return one user (administrators only)."""
        return services().directory.get_user(current_actor(), user_id)


@blp.route("/users/<uuid:user_id>/token")
class UserToken(MethodView):
    @blp.response(201, UserWithTokenSchema)
    def post(self, user_id: UUID):
        """Issue a new token for the user; the old one stops working at once."""
        return services().directory.issue_token(current_actor(), user_id)


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, MeSchema)
    def get(self):
        """Return who the token belongs to."""
        return vars(current_actor())
