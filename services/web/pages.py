"""Pages about children: the start page, finding a child, the timeline, the signal form,
the CSV import, and police notices. Every read goes through the same use case as the API."""

from __future__ import annotations

import secrets
from datetime import datetime
from uuid import UUID

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError

from domain.access import Action, may, require
from domain.errors import DomainError, Forbidden, InvalidInput
from domain.signals import CATALOGUE, SEVERITIES, kinds_for_agency
from services.adapters.rate_limits import RateLimited
from services.api.imports import EXAMPLE
from services.http.context import services
from services.http.errors import size_text
from services.web import forms, i18n
from services.web.chart import risk_chart
from services.web.common import display_name, local_now
from services.web.signin import person, signed_in

blp = Blueprint("pages", __name__)


def _actor():
    actor = person()
    if actor is None:  # signed_in ran first; this is a guard for type checkers and refactors
        abort(401)
    return actor


@blp.route("/")
def home():
    """The site's root: the start page, or sign-in."""
    return redirect(url_for("pages.start") if person() else url_for("signin.sign_in"))


@blp.route("/start")
@signed_in
def start():
    """A start page per role: what this person works from every day."""
    actor, svc = _actor(), services()
    data: dict = {}
    if actor.role == "submitter":
        data["children"], receipts = svc.caseload.caseload(actor)
        data["receipts"] = receipts[:15]
    if actor.role in ("case_worker", "family_assistant", "coordinator"):
        groups = svc.groups.list(actor)
        data["groups"] = [{**g, "children": [_name(svc, actor, c) for c in g["child_ids"]]} for g in groups]
    if actor.role == "coordinator":
        deadlines = svc.deadlines.list(actor)
        data["deadlines"] = [d for d in deadlines["items"] if d["state"] in ("overdue", "due_soon", "pending")][:12]
        data["deadline_summary"] = deadlines["summary"]
        data["meetings"] = _next_meetings(svc, actor, groups)
    if actor.role in ("submitter", "case_worker", "family_assistant"):
        data["notices"] = svc.notifications.list_notices(actor, open_only=True, limit=10)
    if actor.role == "admin":
        data["agencies"] = svc.directory.list_agencies(actor)
    return render_template("web/start.html", **data)


def _name(svc, actor, child_id: str) -> dict:
    try:
        child = svc.children.get(actor, UUID(child_id))
    except DomainError:
        return {"id": child_id, "name": _("(not available)")}
    return {"id": child_id, "name": display_name(child), "date_of_birth": child.get("date_of_birth")}


def _next_meetings(svc, actor, groups: list[dict]) -> list[dict]:
    now = local_now()
    found = [{**m, "where": _("Interdisciplinary team")} for m in svc.groups.team_meetings(actor)]
    for group in groups:
        found.extend(
            {**m, "where": group["name"], "group_id": group["id"]}
            for m in svc.groups.meetings(actor, UUID(group["id"]))
        )
    upcoming = [m for m in found if not m.get("held_on") and datetime.fromisoformat(m["scheduled_for"]) >= now]
    return sorted(upcoming, key=lambda m: m["scheduled_for"])[:8]


@blp.route("/children", methods=["GET", "POST"])
@signed_in
def find_child():
    """Look a child up by PESEL, or by name and date of birth (as the API's search).

    The search is posted (with the CSRF token): a PESEL in a URL would stay in the browser's
    history, the proxies' and the server's logs and the next page's Referer. A query string
    is never read, so an old bookmark with ``?pesel=`` shows the empty form.
    """
    actor, svc = _actor(), services()
    require(actor, Action.FIND_CHILD)
    args = request.form if request.method == "POST" else {}
    result, errors = None, {}
    given = forms.as_body(args, forms.CHILD_QUERY_FIELDS)
    if request.method == "POST" and not given:
        errors = {"query": [_("Give the PESEL, or all three: given name, family name and date of birth.")]}
    if given:
        values = forms.child_values(forms.CHILD_QUERY, given, errors)
        if not errors:
            try:
                result = svc.children.find(actor, **values)
            except InvalidInput as e:
                errors = forms.field_errors(e)
    return render_template(
        "web/find.html",
        result=result,
        errors=errors,
        new_errors={},
        args=args,
        may_register=actor.agency_kind is not None and actor.role != "auditor",
    )


@blp.route("/children/new", methods=["POST"])
@signed_in
def register_child():
    """Open a pupil's record when the search found none (schools register their pupils)."""
    actor, svc = _actor(), services()
    errors: dict[str, list[str]] = {}
    values = forms.child_values(forms.CHILD_CREATE, forms.as_body(request.form, forms.CHILD_CREATE_FIELDS), errors)
    if not errors:
        try:
            child = svc.children.register(actor, **values)
            flash(_("The record was opened."))
            return redirect(url_for("pages.timeline", child_id=child["id"]))
        except InvalidInput as e:
            errors = forms.field_errors(e)
    return render_template(
        "web/find.html", result=None, errors={}, new_errors=errors, args=request.form, may_register=True
    ), 422


@blp.route("/children/<uuid:child_id>")
@signed_in
def timeline(child_id: UUID):
    """Every entry the reader may see, with filters; the risk chart and its explanation if allowed."""
    actor, svc = _actor(), services()
    lang = i18n.language()
    child = svc.children.get(actor, child_id)
    errors: dict[str, list[str]] = {}
    filters = forms.timeline_filters(request.args, errors)
    data = svc.views.timeline(actor, child_id, language=lang, **filters)
    if data["child_id"] != str(child_id):  # a merged record: read the surviving one
        return redirect(url_for("pages.timeline", child_id=data["child_id"]))
    try:
        risk = svc.views.risk(actor, child_id)
    except Forbidden:
        risk = None  # the policy keeps the score from this reader; the page says nothing about it
    policy = svc.views.policy
    chart = (
        risk_chart(
            risk,
            dict(policy.thresholds),
            svc.views.clock(),
            half_life_days=policy.half_life_days,
            max_age_days=policy.max_age_days,
        )
        if risk
        else None
    )
    labels = {c.code: c.label(lang) for c in CATALOGUE.values()}
    entries = list(reversed(data["entries"]))  # newest first: what changed is on top
    may_submit = actor.agency_kind is not None and actor.role in (
        "submitter",
        "case_worker",
        "family_assistant",
        "coordinator",
    )
    return render_template(
        "web/timeline.html",
        child=child,
        name=display_name(child),
        data=data,
        entries=entries,
        risk=risk,
        chart=chart,
        kind_labels=labels,
        errors=errors,
        filters={f: request.args.get(f, "") for f in forms.TIMELINE_FILTERS},
        thresholds=sorted(svc.views.policy.thresholds.items(), key=lambda kv: kv[1]),
        may_submit=may_submit,
        may_erase=may(actor, Action.ERASE_CHILD) and not child.get("erased"),
    )


@blp.route("/children/<uuid:child_id>/signals/new", methods=["GET", "POST"])
@signed_in
def signal_form(child_id: UUID):
    """The signal form: the kinds this agency submits; problems shown beside their fields."""
    actor, svc = _actor(), services()
    require(actor, Action.SUBMIT_SIGNAL)
    if actor.agency_kind is None:
        raise Forbidden("only a user of an agency can submit signals")
    child = svc.children.get(actor, child_id)
    lang = i18n.language()
    kinds = [(k.code, k.label(lang), k.default_severity, k.quantity) for k in kinds_for_agency(actor.agency_kind)]
    form = {
        "kind": "",
        "observed_at": local_now().strftime("%Y-%m-%dT%H:%M"),
        "severity": "",
        "days": "",
        "details": "",
        "key": secrets.token_urlsafe(16),
    }
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        form.update({k: request.form.get(k, "") for k in ("kind", "observed_at", "severity", "days", "details", "key")})
        values = forms.signal_values(form, errors, {k[0] for k in kinds})
        if not errors:
            try:
                key = forms.idempotency_key(form["key"])
                signal, _replayed = svc.children.record_signal(actor, child_id, idempotency_key=key, **values)
                flash(
                    _(
                        "Signal recorded on %(when)s. Receipt number: %(receipt)s",
                        when=i18n.moment(signal.get("recorded_at")),
                        receipt=signal["id"][:8].upper(),
                    )
                )
                target = signal.get("child_id", str(child_id))
                return redirect(url_for("pages.timeline", child_id=target) + f"#entry-{signal['id']}")
            except InvalidInput as e:
                errors = forms.field_errors(e)
        status = 422
    return render_template(
        "web/signal_form.html",
        child=child,
        name=display_name(child),
        kinds=kinds,
        severities=SEVERITIES,
        form=form,
        errors=errors,
    ), status


@blp.route("/import", methods=["GET", "POST"])
@signed_in
def import_csv():
    """Upload a school e-register export; every row's result is shown."""
    actor, svc = _actor(), services()
    require(actor, Action.SUBMIT_SIGNAL)
    if actor.agency_kind is None:
        raise Forbidden("only a user of an agency can import signals")
    report, errors, status = None, {}, 200
    query: dict = {}
    headers: dict[str, str] = {}
    if request.method == "POST":
        try:  # the checkbox is the API's query parameter, loaded as the API loads it
            query = forms.IMPORT_QUERY.load(forms.as_body(request.form, ("dry_run",)))
        except ValidationError as e:
            errors.update({field: [_("Tick the box, or leave it empty.")] for field in e.normalized_messages()})
        upload = request.files.get("file")
        data = upload.read() if upload is not None else b""
        if not data:
            errors["file"] = [_("Choose a CSV file to upload.")]
        if errors:
            status = 422
        else:
            key = forms.idempotency_key(request.form.get("key", ""))
            try:
                report = svc.imports.import_csv(actor, data, idempotency_key=key, dry_run=query["dry_run"])
            except InvalidInput as e:
                errors, status = forms.field_errors(e), 422
            except RateLimited as e:
                errors, status = {"file": [forms.too_many_imports(e)]}, 429
                headers["Retry-After"] = str(e.retry_after)
    page = render_template(
        "web/import.html",
        report=report,
        errors=errors,
        key=secrets.token_urlsafe(16),
        dry_run=query.get("dry_run", False),
        max_rows=svc.settings.import_max_rows,
        max_size=size_text(svc.settings.import_size_limit),
    )
    return page, status, headers


@blp.route("/import/example.csv")
@signed_in
def import_example():
    """The example file (the same as the API's)."""
    return Response(
        "\ufeff" + EXAMPLE,
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=safehub-import-przyklad.csv"},
    )


@blp.route("/notifications")
@signed_in
def notifications():
    """Police notices this agency sent or received."""
    actor, svc = _actor(), services()
    return render_template("web/notifications.html", notices=svc.notifications.list_notices(actor))


@blp.route("/notifications/<uuid:notice_id>", methods=["GET", "POST"])
@signed_in
def notification(notice_id: UUID):
    """One notice; the receiving agency acknowledges it here."""
    actor, svc = _actor(), services()
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            values = forms.ACKNOWLEDGEMENT.load(forms.as_body(request.form, ("note",)))
        except ValidationError as e:
            errors = {field: [forms.acknowledgement_problem(field)] for field in e.normalized_messages()}
        else:
            try:
                svc.notifications.acknowledge(actor, notice_id, values["note"])
                flash(_("Notice acknowledged."))
                return redirect(url_for("pages.notification", notice_id=notice_id))
            except InvalidInput as e:
                errors = forms.field_errors(e)
    return render_template(
        "web/notification.html",
        notice=svc.notifications.get(actor, notice_id),
        errors=errors,
        note=request.form.get("note", ""),
    ), 422 if errors else 200
