"""The retention schedule's list: children due for erasure, for the coordinator and the auditor.

The daily job (Celery beat, or the embedded loop) lists them; the coordinator confirms by
asking for the erasure with the ground ``retention_expired`` (POST .../erasure), which is
checked against the schedule again and then erases at once.
"""

from __future__ import annotations

from flask.views import MethodView

from services.api.blue_cards import answer
from services.api.schema_kit import Blueprint
from services.api.schemas_retention import RetentionDueSchema
from services.http.auth import current_actor
from services.http.context import services

blp = Blueprint("retention", __name__, url_prefix="/api/v1/retention", description="Retention schedule")


@blp.route("/due")
class RetentionDue(MethodView):
    @blp.response(200, RetentionDueSchema)
    def get(self):
        """Children whose every record is past its retention rule: ids, the kind of record and rule that
        gave the day, the day (due since); no names. Each child listed is written to the read audit
        (view ``retention_due``). The coordinator and the auditor only."""
        return answer(services().retention.due(current_actor()))
