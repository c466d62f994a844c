"""Erasure on the pages: a coordinator asks on the child's page, a second person approves on ``/erasures``.

The same use case as ``POST /api/v1/children/{id}/erasure`` and its approval
(services/usecases/erasure.py): nothing is destroyed until someone other than the asker
(another coordinator or the auditor) approves, except the ground ``retention_expired``
when the retention schedule says the period has ended. The form is loaded through the
API's own schema (services/api/schemas_erasure.py); its refusals become Polish words
beside each field. The list shows ids, grounds and references, never a name, and each
child listed leaves a read line (the use case's ``pending``).
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from marshmallow import ValidationError

from domain.access import Action, may
from domain.erasure_rules import ERASURE_GROUNDS
from domain.errors import Conflict, Forbidden
from services.api.schemas_erasure import ErasureSchema
from services.http.context import services
from services.web.forms import as_body
from services.web.signin import person, signed_in

blp = Blueprint("erasure_pages", __name__)

#: The grounds of an erasure as the reader names them (the values are domain.erasure_rules.ERASURE_GROUNDS).
GROUNDS = {
    "authorised_request": lazy_gettext("request of an entitled person"),
    "retention_expired": lazy_gettext("the retention period has ended"),
}
if set(GROUNDS) != set(ERASURE_GROUNDS):
    raise RuntimeError("every erasure ground needs its words on the page (services/web/erasure_pages.py)")
_FIELDS = ("ground", "reference")
_SCHEMA = ErasureSchema()


@blp.app_template_global()
def erasure_grounds() -> dict:
    """The grounds for the erasure form's select, in the reader's language."""
    return {code: str(GROUNDS[code]) for code in ERASURE_GROUNDS}


def erasure_values(form: dict, errors: dict[str, list[str]]) -> dict:
    """Load the form through the API's schema, collecting the page's words per refused field."""
    given = as_body(form, _FIELDS)
    try:
        return _SCHEMA.load(given)
    except ValidationError as e:
        errors.update({field: [_problem(field, given)] for field in e.normalized_messages()})
        return dict(e.valid_data or {})


def _problem(field: str, given: dict) -> str:
    """The page's words for a field the API's schema refused (its own messages are for API clients)."""
    if field == "ground":
        return _("Choose the ground of the erasure from the list.")
    if field == "reference":
        if field not in given:
            return _("Give the reference of the decision or request (e.g. its case number).")
        return _("The reference is too long (at most 200 characters).")
    return _("Please check the input")


def _actor():
    actor = person()
    if actor is None:
        abort(401)
    return actor


@blp.route("/children/<uuid:child_id>/erasure", methods=["POST"])
@signed_in
def request_erasure(child_id: UUID):
    """A coordinator asks to erase the child's personal data: pending until a second person approves."""
    actor = _actor()
    if not may(actor, Action.ERASE_CHILD):
        raise Forbidden("only a coordinator asks for an erasure")
    services().children.load_child(actor, child_id)  # another municipality's child: 404 before the form is read
    errors: dict[str, list[str]] = {}
    values = erasure_values(request.form, errors)
    if errors:
        shown = {f: request.form.get(f, "") for f in _FIELDS}
        return render_template("web/erasure_form.html", child_id=child_id, errors=errors, values=shown), 400
    back = redirect(url_for("pages.timeline", child_id=child_id))
    try:
        answer = services().erasure.request(actor, child_id, **values)
    except Conflict as refused:
        due_on = refused.details.get("due_on")
        if due_on:
            day = date.fromisoformat(str(due_on)).strftime("%d.%m.%Y")
            flash(_("Not erased: the retention period has not ended yet (due on %(day)s).", day=day))
        elif values["ground"] == "retention_expired":
            flash(_("Not erased: the retention period has not ended yet."))
        else:
            flash(_("Not asked: an erasure of this record is already waiting for approval, or it was erased."))
        return back
    if answer["erased"]:
        flash(_("The child's personal data were erased: the retention period had ended."))
    else:
        flash(_("Erasure request recorded; it waits for approval by a second person."))
    return back


@blp.route("/erasures")
@signed_in
def erasures():
    """The municipality's erasure requests waiting for a second person (coordinator and auditor)."""
    items = services().erasure.pending(_actor())
    return render_template("web/erasures.html", items=items, grounds=erasure_grounds())


@blp.route("/erasures/<uuid:child_id>/approval", methods=["POST"])
@signed_in
def approve_erasure(child_id: UUID):
    """A second person approves: the child's personal data are destroyed for good (not by the asker)."""
    actor = _actor()
    if not may(actor, Action.APPROVE_ERASURE):
        raise Forbidden("only a coordinator or the auditor approves an erasure")
    try:
        services().erasure.approve(actor, child_id)
    except Forbidden:  # allowed to approve, but this is the asker's own request
        flash(_("The person who asked for the erasure cannot approve it."))
    except Conflict:
        flash(_("No erasure of this record is waiting for approval, or the request changed; look again."))
    else:
        flash(_("The child's personal data were erased."))
    return redirect(url_for("erasure_pages.erasures"))
