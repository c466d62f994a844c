"""Deadlines (per team and per group) and the interdisciplinary team's agenda."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from services.api.auth import current_actor
from services.api.blue_cards import answer
from services.api.context import services
from services.api.groups import agenda_answer
from services.api.schemas_procedure import AgendaSchema, DeadlineListSchema, DeadlineQuerySchema, TeamAgendaQuerySchema
from services.api.timelines import _language

blp = Blueprint("deadlines", __name__, url_prefix="/api/v1", description="Deadlines and the team's agenda")


@blp.route("/deadlines")
class DeadlineList(MethodView):
    @blp.arguments(DeadlineQuerySchema, location="query", unknown=None)
    @blp.response(200, DeadlineListSchema)
    def get(self, query: dict):
        """What is due, overdue, met and met late (counted in Polish working days)."""
        return answer(services().deadlines.list(current_actor(), **query))


@blp.route("/team/agenda")
class TeamAgenda(MethodView):
    @blp.arguments(TeamAgendaQuerySchema, location="query", unknown=None)
    @blp.response(200, AgendaSchema)
    def get(self, query: dict):
        """The team's agenda: breached and due deadlines, overdue actions, reviews due, risk changes,
        and children whose pieces join with no open Blue Card."""
        agenda = services().agendas.team_agenda(current_actor(), since=query.get("since"), language=_language())
        return agenda_answer(agenda, query["format"])
