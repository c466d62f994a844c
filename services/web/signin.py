"""Sign-in, sign-out, the language switch, and who is signed in (``person()``).

The signed cookie carries only a random session id (and the CSRF token and language);
the server's session table (services/adapters/sessions.py) says whose session it is and
whether it is still alive. Sign-out ends it there, so a copy of the cookie taken before
sign-out opens nothing; a new password or a deactivation ends every session of the
user, and eight hours end any session. The session never authenticates the JSON API
(which wants a bearer token), so a page session cannot be used to script the API from
another site.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from domain.access import Actor
from services.http.context import services
from services.usecases.accounts import Accounts
from services.web import csrf
from services.web.i18n import COOKIE, LANGUAGES

blp = Blueprint("signin", __name__, template_folder="templates", static_folder="static", static_url_path="/assets")
log = logging.getLogger("safehub.web")


def accounts() -> Accounts:
    """The process's Accounts, with the failure log every web worker shares (built by bootstrap)."""
    return services().accounts


def person() -> Actor | None:
    """The signed-in person's Actor, or None."""
    if "web_actor" in g:
        return g.web_actor
    sid = session.get("sid")
    actor = accounts().session_person(sid) if isinstance(sid, str) else None
    if actor is None and "sid" in session:
        _forget()
    g.web_actor = actor
    if actor is not None:
        g.person_info = accounts().display(actor.user_id)
    return actor


def signed_in(view: Callable[..., Any]) -> Callable[..., Any]:
    """Send a visitor who is not signed in to the sign-in page, then back."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if person() is None:
            return redirect(url_for("signin.sign_in", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no host, no '//', no backslash): never an open redirect.

    Browsers read a backslash as a slash, so '/\\evil.example' would leave the site.
    """
    if not target:
        return url_for("pages.start")
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(c) < 32 for c in target)
    ):
        return url_for("pages.start")
    return target


def _end_session() -> None:
    """End the cookie's server-side session, if it has one."""
    sid = session.get("sid")
    if isinstance(sid, str):
        accounts().end_session(sid)


def _forget() -> None:
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


@blp.route("/sign-in", methods=["GET", "POST"])
def sign_in():
    """The sign-in form; a failure says nothing about whether the login exists."""
    if request.method == "GET":
        if person() is not None:
            return redirect(_safe_next(request.args.get("next")))
        return render_template("web/sign_in.html", next=request.args.get("next", ""), problem=None)
    login = request.form.get("login", "").strip()
    password = request.form.get("password", "")
    result = accounts().sign_in(login, password)
    if result.actor is None:
        log.info("sign-in refused", extra={"outcome": result.problem})  # never the login or password
        status = 429 if result.problem == "locked" else 401
        return render_template(
            "web/sign_in.html",
            next=request.form.get("next", ""),
            problem=result.problem,
            login=login,
            locked_until=result.locked_until,
        ), status
    _end_session()
    _forget()
    session.permanent = True
    session["sid"] = accounts().open_session(result)
    csrf.renew()
    return redirect(_safe_next(request.form.get("next")))


@blp.route("/sign-out", methods=["POST"])
def sign_out():
    """End the session on the server (POST with the CSRF token, so no other site can sign a person out)."""
    _end_session()
    _forget()
    return redirect(url_for("signin.sign_in"))


@blp.route("/language", methods=["POST"])
def choose_language():
    """Switch between Polish and English; remembered in the session and a cookie."""
    lang = request.form.get("lang", "")
    if lang not in LANGUAGES:
        lang = "pl"
    session["lang"] = lang
    response = make_response(redirect(_safe_next(request.form.get("next"))))
    response.set_cookie(
        COOKIE,
        lang,
        max_age=365 * 24 * 3600,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )
    return response
