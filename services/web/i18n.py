"""Translations: Polish by default, English on request; Polish dates (dd.mm.rrrr).

Message ids are English; ``translations/pl`` holds the Polish catalogue (compiled .mo
committed beside the .po). The language is chosen by the switch in the page header and
kept in the session and a cookie; the browser's Accept-Language is not consulted, so a
new visitor always starts in Polish.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from flask import Flask, current_app, request, session
from flask_babel import Babel, format_date, format_datetime, get_locale, lazy_gettext, lazy_pgettext
from flask_babel import gettext as _

LANGUAGES = ("pl", "en")
DEFAULT = "pl"
COOKIE = "safehub_lang"
TRANSLATIONS = Path(__file__).parent / "translations"


def select_locale() -> str:
    """The session's language, else the cookie's, else Polish."""
    chosen = session.get("lang") or request.cookies.get(COOKIE)
    return chosen if chosen in LANGUAGES else DEFAULT


def init_i18n(app: Flask, timezone: str) -> None:
    """Attach Flask-Babel with our catalogue and the date filters."""
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT)
    app.config["BABEL_DEFAULT_TIMEZONE"] = timezone
    Babel(app, locale_selector=select_locale, default_translation_directories=str(TRANSLATIONS))
    app.jinja_env.filters["day"] = day
    app.jinja_env.filters["moment"] = moment
    app.jinja_env.globals["language"] = language


def language() -> str:
    """The language of the current page (for <html lang> and the switch)."""
    return str(get_locale() or DEFAULT)


def _parse(value: object) -> date | datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, (date, datetime)):
        return value
    text = str(value)
    try:
        return datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)
    except ValueError:
        return None


def day(value: object) -> str:
    """A calendar day: 12.03.2014 in Polish, 12 Mar 2014 in English."""
    parsed = _parse(value)
    if parsed is None:
        return "—"
    if isinstance(parsed, datetime):
        parsed = parsed.astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()
    return format_date(parsed, "dd.MM.yyyy" if language() == "pl" else "d MMM yyyy")


def moment(value: object) -> str:
    """A moment in local time: 12.03.2026 14:05 in Polish, 12 Mar 2026 14:05 in English."""
    parsed = _parse(value)
    if parsed is None:
        return "—"
    if not isinstance(parsed, datetime):
        return day(parsed)
    return format_datetime(parsed, "dd.MM.yyyy HH:mm" if language() == "pl" else "d MMM yyyy HH:mm")


# --- labels for codes the services return ----------------------------------------------

ROLES = {
    "admin": lazy_gettext("administrator"),
    "submitter": lazy_gettext("submitting agency"),
    "case_worker": lazy_gettext("social worker"),
    "family_assistant": lazy_gettext("family assistant"),
    "coordinator": lazy_gettext("team coordinator"),
    "auditor": lazy_gettext("auditor"),
}
AGENCY_KINDS = {
    "school": lazy_gettext("school"),
    "police": lazy_gettext("police"),
    "ops": lazy_gettext("social welfare (OPS)"),
    "court_curator": lazy_gettext("court curator"),
    "health": lazy_gettext("health service"),
    "gkrpa": lazy_gettext("alcohol commission (GKRPA)"),
    "pcpr": lazy_gettext("family support centre (PCPR)"),
    "day_centre": lazy_gettext("day-support centre"),
    "ngo": lazy_gettext("NGO"),
    "team": lazy_gettext("interdisciplinary team"),
}
SEVERITIES = {
    "info": lazy_gettext("information"),
    "low": lazy_gettext("low"),
    "medium": lazy_gettext("medium"),
    "high": lazy_gettext("high"),
    "critical": lazy_gettext("critical"),
}
BANDS = {
    "low": lazy_pgettext("risk band", "low"),
    "medium": lazy_pgettext("risk band", "medium"),
    "high": lazy_pgettext("risk band", "high"),
    "review_now": lazy_pgettext("risk band", "review now"),
}
ENTRY_TYPES = {
    "signal": lazy_gettext("signal"),
    "registered": lazy_gettext("record opened"),
    "merged_into": lazy_gettext("merged into another record"),
    "absorbed": lazy_gettext("another record merged in"),
    "erased": lazy_gettext("personal data erased"),
}
#: Data categories whose text a reader may not be shown (see domain/access_policy.toml).
CATEGORIES = {
    "health": lazy_gettext("health"),
    "addiction": lazy_gettext("addictions"),
    "conviction": lazy_gettext("convictions"),
    "family": lazy_gettext("family circumstances"),
    "housing": lazy_gettext("housing"),
    "education": lazy_gettext("education"),
    "safety": lazy_gettext("safety"),
}
GROUNDS = {
    "group_membership": lazy_gettext("you sit on this child's working group"),
    "coordinator": lazy_gettext("you coordinate the interdisciplinary team"),
    "audit": lazy_gettext("you are the auditor (read only)"),
    "own_agency": lazy_gettext("you see only your own agency's entries: you do not sit on this child's working group"),
}
ENTRY_LABELS = {
    "risk": lazy_gettext("risk chart"),
    "source": lazy_gettext("source"),
    "help_plan_action": lazy_gettext("help plan"),
    "deadline": lazy_gettext("deadline list"),
    "group_action": lazy_gettext("group actions"),
}
REASONS = {
    "new_signals": lazy_gettext("New signals since the last meeting"),
    "serious_signals": lazy_gettext("Serious signals"),
    "band_raised": lazy_gettext("Risk band raised"),
    "band_lowered": lazy_gettext("Risk band lowered"),
    "band_high": lazy_gettext("Risk band high"),
    "band_review_now": lazy_gettext("Risk band: review now"),
    "pieces_join": lazy_gettext("Signals from several agencies"),
    "pieces_join_no_card": lazy_gettext("Signals from several agencies and no open Blue Card"),
    "help_plan_action_overdue": lazy_gettext("Help-plan action overdue"),
    "action_overdue": lazy_gettext("Group action overdue"),
    "deadline_breached": lazy_gettext("Statutory deadline breached"),
    "deadline_due": lazy_gettext("Statutory deadline due"),
    "deadline_met_late": lazy_gettext("Deadline met late"),
    "review_due": lazy_gettext("Post-closure review due"),
}
DEADLINE_STATES = {
    "pending": lazy_gettext("pending"),
    "due_soon": lazy_gettext("due soon"),
    "overdue": lazy_gettext("overdue"),
    "met": lazy_gettext("met"),
    "late": lazy_gettext("met late"),
}
DEADLINE_KINDS = {
    "form_a_to_chair": lazy_gettext("form A to the team chair"),
    "chair_to_group": lazy_gettext("chair to a diagnostic and support group"),
    "first_group_meeting": lazy_gettext("the group's first meeting"),
    "monitoring_review": lazy_gettext("post-closure monitoring review"),
    "action": lazy_gettext("action"),
    "help_plan_action": lazy_gettext("help-plan action"),
}
#: The English labels the deadline list gives (services/usecases/deadlines.py), to find their codes again.
DEADLINE_ENGLISH = {
    "form_a_to_chair": "form A to the team chair",
    "chair_to_group": "chair to a diagnostic and support group",
    "first_group_meeting": "the group's first meeting",
    "monitoring_review": "post-closure monitoring review",
    "action": "action",
    "help_plan_action": "help-plan action",
}
CARD_STATUSES = {
    "filled": lazy_gettext("form A filled in"),
    "forwarded": lazy_gettext("forwarded to the chair"),
    "group_assigned": lazy_gettext("working group assigned"),
    "monitoring": lazy_gettext("monitoring"),
    "closed": lazy_gettext("closed"),
}
CARD_STEPS = {
    "FormAFilled": lazy_gettext("form A filled in"),
    "FormBHanded": lazy_gettext("form B handed to the victim"),
    "ForwardedToChair": lazy_gettext("forwarded to the chair"),
    "GroupAssigned": lazy_gettext("working group assigned"),
    "FormCRecorded": lazy_gettext("form C recorded (assessment and help plan)"),
    "FormDRecorded": lazy_gettext("form D recorded (with the suspected perpetrator)"),
    "MonitoringStarted": lazy_gettext("monitoring started"),
    "Closed": lazy_gettext("closed"),
    "MonitoringReviewRecorded": lazy_gettext("monitoring review recorded"),
}
NOTICE_STATUSES = {
    "pending": lazy_gettext("waiting for delivery"),
    "delivered": lazy_gettext("delivered"),
    "acknowledged": lazy_gettext("acknowledged"),
    "escalated": lazy_gettext("escalated"),
}
PARTIES = {
    "family": lazy_gettext("family"),
    "family_assistant": lazy_gettext("family assistant"),
    "social_worker": lazy_gettext("social worker"),
    "agency": lazy_gettext("another agency"),
}
IMPORT_STATUSES = {
    "accepted": lazy_gettext("accepted"),
    "duplicate": lazy_gettext("duplicate"),
    "rejected": lazy_gettext("rejected"),
}
FIELDS = {
    "kind": lazy_gettext("kind"),
    "observed_at": lazy_gettext("observed on"),
    "days": lazy_gettext("days"),
    "severity": lazy_gettext("severity"),
    "details": lazy_gettext("description"),
    "pesel": lazy_gettext("PESEL"),
    "date_of_birth": lazy_gettext("date of birth"),
    "given_name": lazy_gettext("given name"),
    "family_name": lazy_gettext("family name"),
    "_row": lazy_gettext("row"),
    "file": lazy_gettext("file"),
    "school_id": lazy_gettext("school"),
    "query": lazy_gettext("search"),
    "dry_run": lazy_gettext("only check the file"),
}
#: Messages the domain and the import give in English, translated when we know them.
DOMAIN_MESSAGES = {
    "is required": lazy_gettext("is required"),
    "must not be in the future": lazy_gettext("must not be in the future"),
    "is implausibly old": lazy_gettext("is implausibly old"),
    "must not be blank": lazy_gettext("must not be blank"),
    "the line is incomplete (truncated or missing columns)": lazy_gettext(
        "the line is incomplete (truncated or missing columns)"
    ),
    "is not a date (use YYYY-MM-DD or DD.MM.YYYY)": lazy_gettext("is not a date (use DD.MM.YYYY or YYYY-MM-DD)"),
    "is too far in the past for a child": lazy_gettext("is too far in the past for a child"),
    "encodes a different date of birth than date_of_birth": lazy_gettext(
        "encodes a different date of birth than the one given"
    ),
}


def label(table: dict, code: object) -> str:
    """The translated label of a code, or the code itself when it is new to us."""
    found = table.get(str(code)) if code is not None else None
    return str(found) if found is not None else str(code or "")


def domain_message(text: str) -> str:
    """A domain refusal in the reader's language when we know its wording."""
    for english, translated in DOMAIN_MESSAGES.items():
        if text == english:
            return str(translated)
        if text.startswith("unknown signal kind"):
            return _("unknown signal kind")
        if "is not a signal an agency of kind" in text:
            return _("your agency does not submit this kind of signal")
    return text
