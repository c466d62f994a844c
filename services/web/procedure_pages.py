"""Pages of the team's work: working groups and meetings, agendas (printable on A4),
deadlines, Blue Cards and help plans. Read views over the same use cases as the API."""

from __future__ import annotations

from uuid import UUID

from flask import Blueprint, abort, render_template, url_for
from flask_babel import gettext as _

from domain.access import Action, may, require
from domain.errors import DomainError
from domain.signals import CATALOGUE
from services.http.context import services
from services.web import i18n, subject_access_pages
from services.web.agenda_text import describe
from services.web.common import display_name
from services.web.signin import person, signed_in

blp = Blueprint("procedure", __name__)


def _actor():
    actor = person()
    if actor is None:
        abort(401)
    return actor


def _names(actor, child_ids: list[str]) -> dict[str, str]:
    """Children's names through the use case (erased or unreadable ones get a note)."""
    svc, names = services(), {}
    for child_id in child_ids:
        try:
            names[child_id] = display_name(svc.children.get(actor, UUID(child_id)))
        except DomainError:
            names[child_id] = "—"
    return names


def ref_link(ref: dict, item: dict) -> str | None:
    """Where an agenda reason's reference is shown: the timeline entry, the chart, a deadline."""
    subject = item["subject"]
    child_id = ref.get("child_id") or (subject["id"] if subject["type"] == "child" else None)
    if ref["type"] == "signal" and child_id:
        return url_for("pages.timeline", child_id=child_id) + f"#entry-{ref['id']}"
    if ref["type"] == "risk_band_change" and child_id:
        return url_for("pages.timeline", child_id=child_id) + "#risk"
    if ref["type"] == "deadline":
        return url_for("procedure.deadlines") + f"#deadline-{ref['id']}"
    if ref["type"] == "help_plan_action" and ref.get("help_plan_id"):
        return url_for("procedure.help_plan", plan_id=ref["help_plan_id"]) + f"#action-{ref['id']}"
    if ref["type"] == "group_action" and subject.get("group_id"):
        return url_for("procedure.group", group_id=subject["group_id"]) + f"#action-{ref['id']}"
    return None


def _agenda_page(actor, agenda: dict):
    """Render an agenda with its reasons in the reader's language and named sources.

    The signals behind a child's reasons are named by kind and date, which the agenda gives
    with each reference (read, and audited, with the agenda: no timeline is read per child).
    """
    lang = i18n.language()

    def ref_label(ref: dict, n: int) -> str:
        if ref["type"] == "signal" and ref.get("observed_at"):
            row = CATALOGUE.get(ref.get("kind") or "")
            return f"{row.label(lang) if row else ref.get('kind')}, {i18n.day(ref['observed_at'])}"
        if ref["type"] == "risk_band_change":
            return str(i18n.ENTRY_LABELS["risk"])
        if ref["type"] in i18n.ENTRY_LABELS:
            return str(i18n.ENTRY_LABELS[ref["type"]])
        return str(i18n.ENTRY_LABELS["source"]) + f" {n}"

    def case_label(label: str | None) -> str:
        """The service names a case without a group 'Blue Card: <children>' in English."""
        if label and label.startswith("Blue Card"):
            return _("Blue Card") + label[len("Blue Card") :]
        return label or _("Blue Card")

    return render_template(
        "web/agenda.html",
        agenda=agenda,
        ref_link=ref_link,
        ref_label=ref_label,
        describe=describe,
        case_label=case_label,
    )


@blp.route("/groups")
@signed_in
def groups():
    """The working groups this person may read."""
    actor, svc = _actor(), services()
    found = svc.groups.list(actor)
    names = _names(actor, sorted({c for g in found for c in g["child_ids"]}))
    return render_template("web/groups.html", groups=found, names=names)


@blp.route("/groups/<uuid:group_id>")
@signed_in
def group(group_id: UUID):
    """A group: members, meetings with minutes and decisions, actions."""
    actor, svc = _actor(), services()
    found = svc.groups.get(actor, group_id)
    return render_template(
        "web/group.html",
        group=found,
        names=_names(actor, found["child_ids"]),
        meetings=svc.groups.meetings(actor, group_id),
        actions=svc.groups.actions(actor, group_id),
    )


@blp.route("/groups/<uuid:group_id>/meetings/<uuid:meeting_id>")
@signed_in
def meeting(group_id: UUID, meeting_id: UUID):
    """One meeting: when, where, who attended, minutes, decisions, actions."""
    actor, svc = _actor(), services()
    found = svc.groups.get(actor, group_id)
    return render_template("web/meeting.html", group=found, meeting=svc.groups.meeting(actor, group_id, meeting_id))


@blp.route("/groups/<uuid:group_id>/agenda")
@signed_in
def group_agenda(group_id: UUID):
    """The next meeting's agenda for one group (print it: A4 stylesheet)."""
    actor, svc = _actor(), services()
    return _agenda_page(actor, svc.agendas.group_agenda(actor, group_id, language=i18n.language()))


@blp.route("/team/agenda")
@signed_in
def team_agenda():
    """The team's agenda: cases with deadlines, overdue actions, children whose risk changed."""
    actor, svc = _actor(), services()
    return _agenda_page(actor, svc.agendas.team_agenda(actor, language=i18n.language()))


@blp.route("/deadlines")
@signed_in
def deadlines():
    """Statutory deadlines and overdue actions, breached first."""
    actor, svc = _actor(), services()
    require(actor, Action.READ_DEADLINES)
    found = svc.deadlines.list(actor)
    order = {"overdue": 0, "due_soon": 1, "pending": 2, "late": 3, "met": 4}
    items = sorted(found["items"], key=lambda d: (order.get(d["state"], 9), d.get("due_on") or ""))
    retention = subject_access_pages.retention_due(actor)  # the coordinator's and the auditor's section
    return render_template(
        "web/deadlines.html",
        deadlines=found,
        items=items,
        retention=retention,
        retention_kinds=subject_access_pages.RECORD_TYPES,
        may_confirm_retention=may(actor, Action.ERASE_CHILD),
    )


@blp.route("/blue-cards")
@signed_in
def blue_cards():
    """Blue Cards this person may read."""
    actor, svc = _actor(), services()
    cards = svc.blue_cards.list(actor)
    names = _names(actor, sorted({c for card in cards for c in card.get("child_victim_ids", [])}))
    return render_template("web/blue_cards.html", cards=cards, names=names)


@blp.route("/blue-cards/<uuid:card_id>")
@signed_in
def blue_card(card_id: UUID):
    """One card: its status and every step as recorded."""
    actor, svc = _actor(), services()
    card = svc.blue_cards.get(actor, card_id)
    return render_template("web/blue_card.html", card=card, names=_names(actor, card.get("child_victim_ids", [])))


@blp.route("/help-plans")
@signed_in
def help_plans():
    """Help plans (OPS family work)."""
    actor, svc = _actor(), services()
    plans = svc.help_plans.list_plans(actor)
    return render_template(
        "web/help_plans.html", plans=plans, names=_names(actor, sorted({c for p in plans for c in p["child_ids"]}))
    )


@blp.route("/help-plans/<uuid:plan_id>")
@signed_in
def help_plan(plan_id: UUID):
    """One help plan: SWOT, goals, actions with due dates and results, evaluations."""
    actor, svc = _actor(), services()
    plan = svc.help_plans.get(actor, plan_id)
    return render_template("web/help_plan.html", plan=plan, names=_names(actor, plan["child_ids"]))
