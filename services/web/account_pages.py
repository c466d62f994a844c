"""The signed-in person's own account, and the approver's list of access requests.

"My account" lets a person make their own API token (shown once, on the answer page and
nowhere else: not in a flash message, which would travel in the session). The access
requests page lists the grants waiting for this person's approval; approving shows the
approver's half of the setup code once, to hand to the person (see
services/usecases/access_grants.py for why it takes both halves).
"""

from __future__ import annotations

from uuid import UUID

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _
from marshmallow import ValidationError

from domain.access import Actor
from domain.errors import Conflict, InvalidInput
from services.api.schemas_access import ActivationSchema
from services.http.context import services
from services.usecases.access_grants import APPROVERS
from services.usecases.accounts import MIN_PASSWORD, check_password
from services.web.signin import person, signed_in

blp = Blueprint("account", __name__)
ACTIVATION = ActivationSchema()


def _actor() -> Actor:
    actor = person()
    if actor is None:  # signed_in ran first
        abort(401)
    return actor


def _account_page(actor: Actor, token: str | None = None):
    return render_template(
        "web/account.html",
        account=services().accounts.display(actor.user_id),
        token=token,
        approves=actor.role in APPROVERS or actor.role == "admin",
    )


@blp.route("/account")
@signed_in
def my_account():
    """Who I am, and a button for a new API token of my own."""
    return _account_page(_actor())


@blp.route("/account/token", methods=["POST"])
@signed_in
def new_token():
    """Replace my own API token and show the new one once (the old one stops at once)."""
    actor = _actor()
    made = services().directory.own_token(actor)
    return _account_page(actor, token=made["token"])


@blp.route("/access-requests")
@signed_in
def access_requests():
    """The grants waiting for my approval (the coordinator's; the auditor's for auditors)."""
    actor = _actor()
    pending = services().access_grants.pending(actor)
    return render_template("web/access_requests.html", pending=pending, may_approve=actor.role in APPROVERS)


@blp.route("/access-requests/<uuid:user_id>", methods=["POST"])
@signed_in
def approve(user_id: UUID):
    """Approve one request; the page shows the approval code once, to hand to the person."""
    actor = _actor()
    approved = services().access_grants.approve(actor, user_id)
    return render_template(
        "web/access_requests.html",
        pending=services().access_grants.pending(actor),
        may_approve=True,
        approved=approved,
    )


@blp.route("/activation", methods=["GET", "POST"])
def activation():
    """Where a person whose access was approved sets their login and password with both halves of the code.

    No session is needed (they have none yet); the form carries the CSRF token like the
    sign-in form. The two halves came from two people (the administrator's setup code and
    the approver's approval code): neither alone gets past this page.
    """
    if request.method == "GET":
        return render_template("web/activation.html", values={}, errors={})
    given = {key: request.form.get(key, "").strip() for key in ("setup_code", "approval_code", "login")}
    password, repeated = request.form.get("password", ""), request.form.get("password_again", "")
    errors = _activation_problems(given, password, repeated)
    if not errors:
        svc = services()
        try:
            svc.access_grants.claim(
                given["setup_code"],
                given["approval_code"],
                first=lambda user_id: svc.accounts.set_password(user_id, password, given["login"]),
            )
        except InvalidInput as refused:
            errors = {field: [_activation_words(field)] for field in refused.errors} or {
                "setup_code": [_activation_words("setup_code")]
            }
        except Conflict:
            errors = {"login": [_("This login is taken; choose another.")]}
        else:
            return render_template("web/activation.html", done=True, login=given["login"].lower())
    return render_template("web/activation.html", values=given, errors=errors), 422


def _activation_problems(given: dict, password: str, repeated: str) -> dict[str, list[str]]:
    """What is missing or wrong in the form before anything is tried (the schema's own rules)."""
    try:
        ACTIVATION.load({**given, "password": password})
    except ValidationError as e:
        errors = {field: [_activation_words(field)] for field in e.normalized_messages()}
    else:
        errors = {}
    if "password" not in errors:
        try:
            check_password(password)
        except InvalidInput:
            errors["password"] = [_activation_words("password")]
    if password != repeated and "password" not in errors:
        errors["password_again"] = [_("The two passwords differ.")]
    return errors


def _activation_words(field: str) -> str:
    """The page's Polish words for a refused field (the API's refusals are English)."""
    return {
        "setup_code": _("These codes do not open an account: check both, or ask for a new reset."),
        "approval_code": _("Give the code from the person who approved your access."),
        "login": _("Use 3-64 characters: lower-case letters, digits, '.', '-' or '_'."),
        "password": _("The password needs at least %(n)d characters.", n=MIN_PASSWORD),
    }.get(field, _("Check this field."))
