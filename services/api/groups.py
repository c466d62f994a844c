"""Working groups: members, meetings (schedule, minutes, decisions), actions, and the agenda."""

from __future__ import annotations

from uuid import UUID

from flask import make_response, render_template
from flask.views import MethodView

from services.api.blue_cards import answer
from services.api.schema_kit import Blueprint, request_language
from services.api.schemas_procedure import (
    ActionCreateSchema,
    ActionSchema,
    AgendaQuerySchema,
    AgendaSchema,
    DecisionCreateSchema,
    DecisionSchema,
    GroupCreateSchema,
    GroupSchema,
    MeetingCreateSchema,
    MeetingSchema,
    MinutesSchema,
    NoteSchema,
)
from services.http.auth import current_actor
from services.http.context import services

blp = Blueprint(
    "working_groups",
    __name__,
    url_prefix="/api/v1/working-groups",
    template_folder="templates",
    description="Working groups (diagnostic and support groups), meetings and agendas",
)


#: The agenda routes also answer a printable page (``format=html``): documented beside the JSON.
AGENDA_HTML_DOC = {
    "responses": {
        "200": {
            "description": "OK",
            "content": {"application/json": {"schema": "AgendaSchema"}, "text/html": {"schema": {"type": "string"}}},
        }
    }
}


def agenda_answer(agenda: dict, fmt: str):
    """JSON, or a printable page."""
    if fmt == "html":
        response = make_response(render_template("agenda.html", agenda=agenda))
        response.headers["Content-Type"] = "text/html; charset=utf-8"
        return response
    return answer(agenda)


@blp.route("")
class GroupList(MethodView):
    @blp.response(200, GroupSchema(many=True))
    def get(self):
        """The groups you sit on (all of them for the chair and the auditor)."""
        return answer(services().groups.list(current_actor()))

    @blp.arguments(GroupCreateSchema)
    @blp.response(201, GroupSchema)
    def post(self, body: dict):
        """The chair opens a group; its core is an OPS social worker and a police officer."""
        return answer(services().groups.open(current_actor(), **body), 201)


@blp.route("/<uuid:group_id>")
class GroupItem(MethodView):
    @blp.response(200, GroupSchema)
    def get(self, group_id: UUID):
        """One group."""
        return answer(services().groups.get(current_actor(), group_id))


@blp.route("/<uuid:group_id>/meetings")
class Meetings(MethodView):
    @blp.response(200, MeetingSchema(many=True))
    def get(self, group_id: UUID):
        """The group's meetings with attendance, minutes, decisions and actions."""
        return answer(services().groups.meetings(current_actor(), group_id))

    @blp.arguments(MeetingCreateSchema)
    @blp.response(201, MeetingSchema)
    def post(self, body: dict, group_id: UUID):
        """Schedule a meeting."""
        return answer(services().groups.schedule_meeting(current_actor(), group_id, **body), 201)


@blp.route("/<uuid:group_id>/meetings/<uuid:meeting_id>")
class MeetingItem(MethodView):
    @blp.response(200, MeetingSchema)
    def get(self, group_id: UUID, meeting_id: UUID):
        """One meeting."""
        return answer(services().groups.meeting(current_actor(), group_id, meeting_id))


@blp.route("/<uuid:group_id>/meetings/<uuid:meeting_id>/minutes")
class MeetingMinutes(MethodView):
    @blp.arguments(MinutesSchema)
    @blp.response(200, MeetingSchema)
    def post(self, body: dict, group_id: UUID, meeting_id: UUID):
        """Record the meeting as held: who came (by agency) and the minutes."""
        return answer(services().groups.hold_meeting(current_actor(), group_id, meeting_id, **body))


@blp.route("/<uuid:group_id>/meetings/<uuid:meeting_id>/decisions")
class MeetingDecisions(MethodView):
    @blp.arguments(DecisionCreateSchema)
    @blp.response(201, DecisionSchema)
    def post(self, body: dict, group_id: UUID, meeting_id: UUID):
        """Record a decision; it keeps the event-store position it was made on."""
        return answer(services().groups.record_decision(current_actor(), group_id, meeting_id, **body), 201)


@blp.route("/<uuid:group_id>/actions")
class Actions(MethodView):
    @blp.response(200, ActionSchema(many=True))
    def get(self, group_id: UUID):
        """Every action the group gave."""
        return answer(services().groups.actions(current_actor(), group_id))

    @blp.arguments(ActionCreateSchema)
    @blp.response(201, ActionSchema)
    def post(self, body: dict, group_id: UUID):
        """Give a person or an agency a task with a due date (optionally from a meeting)."""
        return answer(services().groups.assign_action(current_actor(), group_id, **body), 201)


@blp.route("/<uuid:group_id>/actions/<uuid:action_id>/done")
class ActionDone(MethodView):
    @blp.arguments(NoteSchema)
    @blp.response(200, ActionSchema)
    def post(self, body: dict, group_id: UUID, action_id: UUID):
        """Mark an action done."""
        return answer(services().groups.mark_action_done(current_actor(), group_id, action_id, **body))


@blp.route("/<uuid:group_id>/agenda")
class GroupAgenda(MethodView):
    @blp.arguments(AgendaQuerySchema, location="query", unknown=None)
    @blp.response(200, AgendaSchema)
    @blp.doc(**AGENDA_HTML_DOC)
    def get(self, query: dict, group_id: UUID):
        """The next meeting's agenda: children and the case, most urgent first, each with its reasons."""
        agenda = services().agendas.group_agenda(current_actor(), group_id, language=request_language())
        return agenda_answer(agenda, query["format"])
