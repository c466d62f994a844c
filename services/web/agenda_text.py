"""Agenda reasons in the reader's language.

The agenda use case explains each reason in an English sentence for the API; the page
rebuilds the sentence from its numbers (read back with the patterns below) in the
reader's language. A sentence no pattern knows is shown as it is in English and left
out in Polish (the translated heading and the linked sources still say what it is).
"""

from __future__ import annotations

import re

from flask_babel import gettext as _

from services.web import i18n

_INT = r"(\d+)"
_PATTERNS: dict[str, re.Pattern[str]] = {
    "help_plan_action_overdue": re.compile(rf"{_INT} help-plan action\(s\) overdue \(([^)]*)\), the oldest due (\S+)"),
    "new_signals": re.compile(rf"{_INT} (?:new )?signal\(s\)"),
    "band_raised": re.compile(r"from (\w+) to (\w+).*\(score ([\d.]+)"),
    "band_lowered": re.compile(r"from (\w+) to (\w+).*\(score ([\d.]+)"),
    "band_high": re.compile(r"\(score ([\d.]+)\)"),
    "band_review_now": re.compile(r"\(score ([\d.]+)\)"),
    "pieces_join_no_card": re.compile(rf"signals from {_INT} agencies \(([^)]*)\) within {_INT} days"),
    "deadline_breached": re.compile(rf"by {_INT} working day\(s\): (.*) \(due (\S+)\)"),
    "action_overdue": re.compile(rf"by {_INT} working day\(s\): (.*) \(due (\S+)\)"),
    "deadline_due": re.compile(r"due (\S+): (.*)"),
    "review_due": re.compile(r"due (\S+)"),
    "deadline_met_late": re.compile(rf"done {_INT} working day\(s\) late: (.*) \(due (\S+), done (\S+)\)"),
}


def _what(text: str) -> str:
    """A deadline's English label back to its code's translation, else as given."""
    for code, english in i18n.DEADLINE_ENGLISH.items():
        if text == english:
            return i18n.label(i18n.DEADLINE_KINDS, code)
    return text


def describe(reason: dict) -> str:
    """The reason's sentence in the current language (empty when we cannot say it in Polish)."""
    code, text = reason["code"], reason["text"]
    if i18n.language() == "en":
        return text
    found = _PATTERNS.get(code, re.compile(r"(?!)")).search(text)
    if found is None:
        return ""
    g = found.groups()
    if code == "help_plan_action_overdue":
        return _("%(n)s overdue, the oldest due %(day)s", n=g[0], day=i18n.day(g[2]))
    if code == "new_signals":
        return _("%(n)s signals", n=g[0])
    if code in ("band_raised", "band_lowered"):
        return _(
            "%(a)s → %(b)s (score %(score)s)",
            a=i18n.label(i18n.BANDS, g[0]),
            b=i18n.label(i18n.BANDS, g[1]),
            score=f"{float(g[2]):.1f}",
        )
    if code in ("band_high", "band_review_now"):
        return _("current score %(score)s", score=f"{float(g[0]):.1f}")
    if code == "pieces_join_no_card":
        kinds = ", ".join(i18n.label(i18n.AGENCY_KINDS, k.strip()) for k in g[1].split(","))
        return _("%(n)s agencies (%(kinds)s) within %(days)s days", n=g[0], kinds=kinds, days=g[2])
    if code in ("deadline_breached", "action_overdue"):
        return _("%(what)s: due %(day)s, %(n)s working days late", what=_what(g[1]), day=i18n.day(g[2]), n=g[0])
    if code == "deadline_due":
        return _("%(what)s: due %(day)s", what=_what(g[1]), day=i18n.day(g[0]))
    if code == "review_due":
        return _("due %(day)s", day=i18n.day(g[0]))
    if code == "deadline_met_late":
        return _(
            "%(what)s: due %(day)s, done %(done)s (%(n)s working days late)",
            what=_what(g[1]),
            day=i18n.day(g[2]),
            done=i18n.day(g[3]),
            n=g[0],
        )
    return ""
