"""The printable subject-access export (RODO art. 15) of one child's record, for the coordinator or the auditor.

The same use case as ``GET /api/v1/children/{id}/subject-access`` (which writes the read
audit, view ``subject_access``), laid out to be printed on A4 and handed to the person.
Also the retention section of the deadlines page: the children due for erasure.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext

from domain.access import Action, Actor, may
from domain.errors import Conflict
from services.http.context import services
from services.web.export_text import ground_name, printable
from services.web.signin import person, signed_in

blp = Blueprint("subject_access_pages", __name__)

#: What each kind of record is called on the page.
RECORD_TYPES = {
    "child": lazy_gettext("Child's record"),
    "notice": lazy_gettext("Police notice"),
    "blue_card": lazy_gettext("Blue Card"),
    "working_group": lazy_gettext("Working group"),
    "help_plan": lazy_gettext("Help plan"),
    "time_card": lazy_gettext("Time card"),
    "child_record": lazy_gettext("Child's record"),
    "person": lazy_gettext("Person's record"),
}


@blp.route("/children/<uuid:child_id>/subject-access")
@signed_in
def subject_access(child_id: UUID):
    """Everything held about the child, who read the record, and its erasures; printable on A4."""
    actor = person()
    if actor is None:
        abort(401)
    export = services().subject_access.export(actor, child_id)
    return _page(export)


@blp.route("/persons/<uuid:person_id>/subject-access")
@signed_in
def person_subject_access(person_id: UUID):
    """The same for an adult named in a case: their record and every record naming them."""
    actor = person()
    if actor is None:
        abort(401)
    export = services().subject_access.export_person(actor, person_id)
    return _page(export)


def _page(export: dict) -> str:
    """The export retold in the reader's language (services/web/export_text.py): no ids, no raw data."""
    shown = printable(export, RECORD_TYPES)
    return render_template("web/subject_access.html", export=export, ground_name=ground_name, **shown)


def retention_due(actor: Actor) -> dict | None:
    """The deadlines page's retention section: who is due for erasure (None: not for this reader)."""
    if not may(actor, Action.APPROVE_ERASURE):
        return None
    return services().retention.due(actor)


@blp.route("/retention/<uuid:child_id>/erasure", methods=["POST"])
@signed_in
def confirm_retention_erasure(child_id: UUID):
    """The coordinator confirms an erasure the schedule lists: asked with the ground 'retention_expired'.

    The schedule is checked again at this moment (services/usecases/erasure.py): a record
    that is no longer due (a new entry since the daily run) is refused with its due day.
    """
    actor = person()
    if actor is None:
        abort(401)
    try:
        services().erasure.request(
            actor, child_id, ground="retention_expired", reference="harmonogram retencji (strona Terminy)"
        )
    except Conflict as refused:
        due_on = refused.details.get("due_on")
        if due_on:
            day = date.fromisoformat(str(due_on)).strftime("%d.%m.%Y")
            flash(_("Not erased: the retention period has not ended yet (due on %(day)s).", day=day))
        else:
            flash(_("Not erased: an erasure of this record is already waiting, or the record changed; look again."))
    else:
        flash(_("The record was erased: its retention period had ended."))
    return redirect(url_for("procedure.deadlines") + "#retention-due")
