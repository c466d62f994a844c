"""Deadlines (per team and per group) and the interdisciplinary team's agenda."""

from __future__ import annotations

from uuid import UUID

from flask.views import MethodView

from services.api.blue_cards import answer
from services.api.groups import AGENDA_HTML_DOC, agenda_answer
from services.api.schema_kit import Blueprint, request_language
from services.api.schemas_procedure import (
    AgendaSchema,
    DeadlineListSchema,
    DeadlineQuerySchema,
    DecisionCreateSchema,
    DecisionSchema,
    MeetingCreateSchema,
    MeetingSchema,
    MinutesSchema,
    TeamAgendaQuerySchema,
)
from services.http.auth import current_actor
from services.http.context import services

blp = Blueprint("deadlines", __name__, url_prefix="/api/v1", description="Deadlines and the team's agenda")


@blp.route("/deadlines")
class DeadlineList(MethodView):
    @blp.arguments(DeadlineQuerySchema, location="query", unknown=None)
    @blp.response(200, DeadlineListSchema)
    def get(self, query: dict):
        """What is due, overdue, met and met late (counted in Polish working days).

        Only the cases the caller may read, by the detail endpoints' rule: the coordinator and
        the auditor see the municipality; others a group's items as its member, a card's where
        they may read the card, and help-plan actions of the plans they may read. Each child
        shown is written to the read audit (view ``deadlines``)."""
        return answer(services().deadlines.list(current_actor(), **query))


@blp.route("/team/agenda")
class TeamAgenda(MethodView):
    @blp.arguments(TeamAgendaQuerySchema, location="query", unknown=None)
    @blp.response(200, AgendaSchema)
    @blp.doc(**AGENDA_HTML_DOC)
    def get(self, query: dict):
        """The team's agenda: breached and due deadlines, overdue actions, reviews due, risk changes,
        and children whose pieces join with no open Blue Card."""
        agenda = services().agendas.team_agenda(current_actor(), since=query.get("since"), language=request_language())
        return agenda_answer(agenda, query["format"])


@blp.route("/team/meetings")
class TeamMeetings(MethodView):
    @blp.response(200, MeetingSchema(many=True))
    def get(self):
        """The interdisciplinary team's own meetings."""
        return answer(services().groups.team_meetings(current_actor()))

    @blp.arguments(MeetingCreateSchema)
    @blp.response(201, MeetingSchema)
    def post(self, body: dict):
        """The chair schedules a team meeting."""
        return answer(services().groups.schedule_team_meeting(current_actor(), **body), 201)


@blp.route("/team/meetings/<uuid:meeting_id>/minutes")
class TeamMeetingMinutes(MethodView):
    @blp.arguments(MinutesSchema)
    @blp.response(200, MeetingSchema)
    def post(self, body: dict, meeting_id: UUID):
        """Record a team meeting as held (attendees by agency, minutes); the team's agenda counts from it."""
        return answer(services().groups.hold_team_meeting(current_actor(), meeting_id, **body))


@blp.route("/team/meetings/<uuid:meeting_id>/decisions")
class TeamMeetingDecisions(MethodView):
    @blp.arguments(DecisionCreateSchema)
    @blp.response(201, DecisionSchema)
    def post(self, body: dict, meeting_id: UUID):
        """Record a team decision; it keeps the event-store position it was made on."""
        return answer(services().groups.record_team_decision(current_actor(), meeting_id, **body), 201)
