"""Police notices: list what is addressed to (or sent by) your agency, read, deliver, acknowledge."""

from __future__ import annotations

from uuid import UUID

from flask.views import MethodView

from services.api.schema_kit import Blueprint
from services.api.schemas_family import AcknowledgementSchema, NotificationQuerySchema, NotificationSchema
from services.http.auth import current_actor
from services.http.context import services

blp = Blueprint(
    "notifications",
    __name__,
    url_prefix="/api/v1/notifications",
    description="Police notifications to schools and OPS (Operation Encompass)",
)


@blp.route("")
class NotificationList(MethodView):
    @blp.arguments(NotificationQuerySchema, location="query", unknown=None)
    @blp.response(200, NotificationSchema(many=True))
    def get(self, query: dict):
        """List the notices your agency received or sent (the coordinator: the escalated ones)."""
        return services().notifications.list_notices(current_actor(), query.get("status"))


@blp.route("/<uuid:notice_id>")
class NotificationItem(MethodView):
    @blp.response(200, NotificationSchema)
    def get(self, notice_id: UUID):
        """Return a notice; the recipient agency's first read records its delivery."""
        return services().notifications.get(current_actor(), notice_id)


@blp.route("/<uuid:notice_id>/delivery")
class NotificationDelivery(MethodView):
    @blp.response(201, NotificationSchema)
    def post(self, notice_id: UUID):
        """Record that your system received the notice (recorded once)."""
        return services().notifications.deliver(current_actor(), notice_id)


@blp.route("/<uuid:notice_id>/acknowledgement")
class NotificationAcknowledgement(MethodView):
    @blp.arguments(AcknowledgementSchema)
    @blp.response(201, NotificationSchema)
    def post(self, body: dict, notice_id: UUID):
        """Confirm that a person at your agency has read the notice."""
        return services().notifications.acknowledge(current_actor(), notice_id, body["note"])
