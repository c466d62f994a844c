"""Audit: verify that nobody rewrote the stored history or the read log, and see who read a child's record."""

from __future__ import annotations

from flask.views import MethodView

from domain.access import Action, require
from services.adapters.integrity import verify
from services.api.schema_kit import Blueprint
from services.api.schemas_audit import AuditVerifyQuerySchema, AuditVerifySchema, ReadsQuerySchema, ReadsSchema
from services.http.auth import current_actor
from services.http.context import services

blp = Blueprint("audit", __name__, url_prefix="/api/v1/audit", description="Audit and tamper evidence")


@blp.route("/verify")
class Verify(MethodView):
    @blp.arguments(AuditVerifyQuerySchema, location="query")
    @blp.response(200, AuditVerifySchema)
    def get(self, query: dict):
        """Recompute the hash chains over every stored event and your municipality's read log.

        Names the first broken link of each. Pass ``expect_head`` (``expect_reads_head``),
        a head recorded at an earlier verification, to also detect a truncated or wholly
        rewritten tail of the events (of the read log).
        """
        actor = current_actor()
        require(actor, Action.VERIFY_HISTORY)
        svc = services()
        report = verify(svc.store.recorder, query.get("expect_head"))
        reads = svc.read_audit.verify(actor, query.get("expect_reads_head"))
        return {**report, "intact": report["intact"] and reads["intact"], "reads": reads}


@blp.route("/reads")
class Reads(MethodView):
    @blp.arguments(ReadsQuerySchema, location="query", unknown=None)
    @blp.response(200, ReadsSchema)
    def get(self, query: dict):
        """Who read a child's record: who, when, which child, on what grounds; newest first.

        The auditor lists all reads in the municipality, each line whole (with the view,
        the withheld categories and the detail). The coordinator, the agency that
        registered the child, the child's school and the members of its working group list
        the reads of that child (``child_id`` required): who looked, from which agency,
        when and on what grounds, and nothing of what the record holds. Filing a form A
        or a signal about a child gives no standing.
        """
        return services().read_audit.list(current_actor(), **query)
