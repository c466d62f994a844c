"""Help plans: draw up, read (any version), revise, evaluate; overdue actions."""

from __future__ import annotations

from uuid import UUID

from flask.views import MethodView

from services.api.schema_kit import Blueprint
from services.api.schemas_family import (
    HelpPlanCreateSchema,
    HelpPlanEvaluationSchema,
    HelpPlanListQuerySchema,
    HelpPlanQuerySchema,
    HelpPlanRevisionSchema,
    HelpPlanSchema,
    HelpPlanSummarySchema,
    OverdueActionSchema,
    OverdueQuerySchema,
)
from services.http.auth import current_actor
from services.http.context import services

blp = Blueprint("help_plans", __name__, url_prefix="/api/v1/help-plans", description="Help plans")


@blp.route("")
class HelpPlanList(MethodView):
    @blp.arguments(HelpPlanListQuerySchema, location="query", unknown=None)
    @blp.response(200, HelpPlanSummarySchema(many=True))
    def get(self, query: dict):
        """List the municipality's help plans, or one child's (``child_id``)."""
        return services().help_plans.list_plans(current_actor(), query.get("child_id"))

    @blp.arguments(HelpPlanCreateSchema)
    @blp.response(201, HelpPlanSchema)
    def post(self, body: dict):
        """Draw up a help plan for a child or a family (OPS case workers and family assistants)."""
        return services().help_plans.draw(current_actor(), **body)


@blp.route("/overdue-actions")
class OverdueActions(MethodView):
    @blp.arguments(OverdueQuerySchema, location="query", unknown=None)
    @blp.response(200, OverdueActionSchema(many=True))
    def get(self, query: dict):
        """Actions past their due date and not evaluated done (one child's with ``child_id``)."""
        return services().help_plans.overdue_actions(current_actor(), query.get("child_id"))


@blp.route("/<uuid:plan_id>")
class HelpPlanItem(MethodView):
    @blp.arguments(HelpPlanQuerySchema, location="query", unknown=None)
    @blp.response(200, HelpPlanSchema)
    def get(self, query: dict, plan_id: UUID):
        """Return the plan in force (or ``version=N``) with the list of its versions and evaluations."""
        return services().help_plans.get(current_actor(), plan_id, query.get("version"))


@blp.route("/<uuid:plan_id>/revisions")
class HelpPlanRevisions(MethodView):
    @blp.arguments(HelpPlanRevisionSchema)
    @blp.response(201, HelpPlanSchema)
    def post(self, body: dict, plan_id: UUID):
        """Adapt the plan to new circumstances: a new version; the old one stays readable."""
        return services().help_plans.revise(current_actor(), plan_id, **body)


@blp.route("/<uuid:plan_id>/evaluations")
class HelpPlanEvaluations(MethodView):
    @blp.arguments(HelpPlanEvaluationSchema)
    @blp.response(201, HelpPlanSchema)
    def post(self, body: dict, plan_id: UUID):
        """Evaluate the actions (done, partly done, not done) and describe the family's situation."""
        return services().help_plans.evaluate(current_actor(), plan_id, **body)
