"""What every page shares: the navigation per role, error pages, small form helpers."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Blueprint, g, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from werkzeug.exceptions import HTTPException

from domain.access import Action, Actor, may
from domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from services.http.context import services
from services.http.errors import size_text
from services.web import i18n
from services.web.signin import person

#: (endpoint, label, the action that makes it useful) in the order of the header.
NAV = [
    ("pages.start", lazy_gettext("Start"), None),
    ("pages.find_child", lazy_gettext("Find a child"), Action.FIND_CHILD),
    ("pages.import_csv", lazy_gettext("Import CSV"), Action.SUBMIT_SIGNAL),
    ("pages.notifications", lazy_gettext("Police notices"), Action.READ_NOTIFICATIONS),
    ("procedure.groups", lazy_gettext("Working groups"), Action.RECORD_GROUP_WORK),
    ("procedure.team_agenda", lazy_gettext("Team agenda"), Action.READ_DEADLINES),
    ("procedure.deadlines", lazy_gettext("Deadlines"), Action.READ_DEADLINES),
    ("procedure.blue_cards", lazy_gettext("Blue Cards"), Action.READ_PROCEDURE),
    ("procedure.help_plans", lazy_gettext("Help plans"), Action.READ_HELP_PLAN),
    ("erasure_pages.erasures", lazy_gettext("Erasure requests"), Action.APPROVE_ERASURE),
    ("account.my_account", lazy_gettext("My account"), None),
]


def nav_for(actor: Actor | None) -> list[tuple[str, str]]:
    """The header links this person can use."""
    if actor is None:
        return []
    items = []
    for endpoint, label, action in NAV:
        if action is None or may(actor, action):
            if endpoint == "pages.import_csv" and actor.agency_kind is None:
                continue
            items.append((endpoint, str(label)))
    return items


def page_context() -> dict:
    """Values every template may use."""
    actor = person()
    return {"actor": actor, "nav": nav_for(actor), "me": g.get("person_info"), "labels": i18n, "label": i18n.label}


def error_page(status: int, title: str, message: str):
    """An error as a page in the reader's language."""
    return render_template("web/error.html", title=title, message=message, status=status), status


def register_errors(blp: Blueprint) -> None:
    """Domain refusals on the pages become pages, not JSON."""

    @blp.errorhandler(Forbidden)
    def forbidden(exc: Forbidden):
        return error_page(
            403,
            _("Access refused"),
            _(
                "Your role does not give access to this page or record. "
                "If you think you need it, ask the team coordinator."
            ),
        )

    @blp.errorhandler(NotFound)
    def not_found(exc: NotFound):
        return error_page(404, _("Not found"), _("There is no such record, or it is not in your municipality."))

    @blp.errorhandler(Conflict)
    def conflict(exc: Conflict):
        return error_page(409, _("Not possible now"), str(exc))

    @blp.errorhandler(InvalidInput)
    def invalid(exc: InvalidInput):
        text = "; ".join(
            f"{i18n.label(i18n.FIELDS, k)}: {', '.join(i18n.domain_message(m) for m in v)}"
            for k, v in exc.errors.items()
        )
        return error_page(422, _("Please check the input"), text)

    @blp.errorhandler(HTTPException)
    def http(exc: HTTPException):
        if exc.code == 400 and exc.description == "csrf":
            return error_page(
                400, _("The form has expired"), _("Please go back, reload the page and send the form again.")
            )
        if exc.code == 413:  # only an import may send a file; the limit is its own (services/app.py)
            size = size_text(services().settings.import_size_limit)
            return error_page(
                413,
                _("The file is too large"),
                _("The file is too large: at most %(size)s. Split it into smaller files.", size=size),
            )
        return error_page(exc.code or 500, str(exc.name), _("The request could not be handled."))

    blp.context_processor(page_context)


def local_now() -> datetime:
    """Now in the deployment's time zone (services' clock, so tests can move it)."""
    svc = services()
    return svc.children.clock().astimezone(ZoneInfo(svc.settings.timezone))


def form_text(name: str, limit: int = 20_000) -> str:
    """A trimmed form field, cut at a sane length."""
    return request.form.get(name, "").strip()[:limit]


def display_name(child: dict) -> str:
    """The child's name, or a plain note when the personal data were erased."""
    if child.get("erased") or not child.get("given_name"):
        return _("(personal data erased)")
    return f"{child['given_name']} {child['family_name']}"
