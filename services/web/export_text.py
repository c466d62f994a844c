"""The subject-access export (RODO art. 15) as a document a parent can read: Polish, no internal ids.

The use case (services/usecases/subject_access.py) answers every entry as its event's
raw data, for the API. The printed page is handed to the person, so each entry is
retold here: what happened in words (``title``), and its content as short labelled
fields. Ids, versions, authors' ids, hashes and the municipality are bookkeeping, not
information about the person, and are left out; other children and persons in a shared
record stay "another child" / "another person" (art. 15(4)), and a step whose texts
concern another person says that its texts were withheld.

Pure presentation: no reads, only the labels of services/web/i18n.py and the signal
catalogue, so the same export dict always reads the same.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext

from domain.signals import CATALOGUE
from services.web import i18n

#: One field as printed: its label and either a line of text or a short sub-list.
Field = tuple[str, "str | list[str]"]

_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE)
OTHER_CHILD, OTHER_PERSON = "another child", "another person"  # as services/usecases/subject_access.py marks them

#: What each event says happened (the event's class name, without its aggregate).
TITLES = {
    "Child.Registered": lazy_gettext("Child's record opened"),
    "Child.SignalRecorded": lazy_gettext("Signal"),
    "Child.SignalCorrected": lazy_gettext("Signal corrected"),
    "Child.SignalRetracted": lazy_gettext("Signal withdrawn"),
    "Child.MergedInto": lazy_gettext("Record merged into another record of the same child"),
    "Child.Absorbed": lazy_gettext("Another record of the same child merged in"),
    "Child.ErasureRequested": lazy_gettext("Erasure of personal data requested"),
    "Child.Erased": lazy_gettext("Personal data erased"),
    "Notification.Issued": lazy_gettext("Police notice"),
    "Notification.Delivered": lazy_gettext("Police notice delivered"),
    "Notification.Acknowledged": lazy_gettext("Police notice acknowledged"),
    "Notification.Escalated": lazy_gettext("Police notice passed to the team (not acknowledged in time)"),
    "BlueCard.FormAFilled": lazy_gettext("Blue Card: form A"),
    "BlueCard.FormBHanded": lazy_gettext("Blue Card: form B handed over"),
    "BlueCard.ForwardedToChair": lazy_gettext("Blue Card: forwarded to the team chair"),
    "BlueCard.GroupAssigned": lazy_gettext("Blue Card: working group assigned"),
    "BlueCard.FormCRecorded": lazy_gettext("Blue Card: form C"),
    "BlueCard.FormDRecorded": lazy_gettext("Blue Card: form D"),
    "BlueCard.MonitoringStarted": lazy_gettext("Blue Card: monitoring started"),
    "BlueCard.Closed": lazy_gettext("Blue Card: procedure closed"),
    "BlueCard.MonitoringReviewRecorded": lazy_gettext("Blue Card: review after closing"),
    "WorkingGroup.Opened": lazy_gettext("Working group appointed"),
    "WorkingGroup.BlueCardAttached": lazy_gettext("Working group: Blue Card attached"),
    "WorkingGroup.MeetingScheduled": lazy_gettext("Working group meeting scheduled"),
    "WorkingGroup.MeetingHeld": lazy_gettext("Working group meeting held"),
    "WorkingGroup.DecisionRecorded": lazy_gettext("Working group decision"),
    "WorkingGroup.ActionAssigned": lazy_gettext("Working group task assigned"),
    "WorkingGroup.ActionDone": lazy_gettext("Working group task done"),
    "HelpPlan.Drawn": lazy_gettext("Help plan drawn up"),
    "HelpPlan.Revised": lazy_gettext("Help plan revised"),
    "HelpPlan.Evaluated": lazy_gettext("Help plan evaluated"),
    "TimeCard.Opened": lazy_gettext("Time card opened"),
    "TimeCard.EntryAdded": lazy_gettext("Time card entry"),
    "TimeCard.EntryRemoved": lazy_gettext("Time card entry removed"),
    "TimeCard.Submitted": lazy_gettext("Time card submitted"),
    "TimeCard.Accepted": lazy_gettext("Time card accepted"),
    "TimeCard.Returned": lazy_gettext("Time card returned for correction"),
    "Person.Registered": lazy_gettext("Person's record opened"),
    "Person.ErasureRequested": lazy_gettext("Erasure of personal data requested"),
    "Person.Erased": lazy_gettext("Personal data erased"),
}

#: The printed name of each field, in the order the fields are printed.
LABELS = {
    "given_name": lazy_gettext("given name"),
    "family_name": lazy_gettext("family name"),
    "name": lazy_gettext("name"),
    "date_of_birth": lazy_gettext("date of birth"),
    "pesel": lazy_gettext("PESEL"),
    "role": lazy_gettext("role in the case"),
    "relation": lazy_gettext("relation to the child"),
    "address": lazy_gettext("address"),
    "recipient_kind": lazy_gettext("sent to"),
    "severity": lazy_gettext("severity"),
    "observed_at": lazy_gettext("observed on"),
    "incident_date": lazy_gettext("date of the incident"),
    "filled_on": lazy_gettext("filled in on"),
    "days": lazy_gettext("number of days"),
    "day": lazy_gettext("day"),
    "start": lazy_gettext("from"),
    "end": lazy_gettext("until"),
    "month": lazy_gettext("month"),
    "scheduled_for": lazy_gettext("date"),
    "held_on": lazy_gettext("held on"),
    "place": lazy_gettext("place"),
    "topic": lazy_gettext("topic"),
    "participants": lazy_gettext("participants"),
    "details": lazy_gettext("description"),
    "description": lazy_gettext("description"),
    "text": lazy_gettext("content"),
    "intervention": lazy_gettext("police intervention"),
    "child_victim_ids": lazy_gettext("children"),
    "child_ids": lazy_gettext("children"),
    "adult_victims": lazy_gettext("adults experiencing violence"),
    "adult_victim_ids": lazy_gettext("adults experiencing violence"),
    "perpetrators": lazy_gettext("persons suspected of violence"),
    "perpetrator_ids": lazy_gettext("persons suspected of violence"),
    "person_ids": lazy_gettext("adults"),
    "members": lazy_gettext("members"),
    "attendees": lazy_gettext("present"),
    "minutes": lazy_gettext("minutes of the meeting"),
    "household": lazy_gettext("household"),
    "assessment": lazy_gettext("assessment"),
    "help_plan": lazy_gettext("help plan"),
    "actions": lazy_gettext("actions"),
    "results": lazy_gettext("results of the actions"),
    "situation": lazy_gettext("the family's situation"),
    "next_evaluation": lazy_gettext("next evaluation"),
    "due_on": lazy_gettext("due"),
    "due_at": lazy_gettext("to be acknowledged by"),
    "overdue_since": lazy_gettext("overdue since"),
    "outcome": lazy_gettext("outcome"),
    "violence_recurred": lazy_gettext("violence recurred"),
    "ground": lazy_gettext("ground"),
    "reference": lazy_gettext("reference"),
    "reason": lazy_gettext("reason"),
    "note": lazy_gettext("note"),
    "channel": lazy_gettext("channel"),
}
#: The parts of a help plan (its ``texts``), printed as a short sub-list.
PLAN_PARTS = {
    "strengths": lazy_gettext("Strengths"),
    "weaknesses": lazy_gettext("Weaknesses"),
    "opportunities": lazy_gettext("Opportunities"),
    "threats": lazy_gettext("Threats"),
    "main_goal": lazy_gettext("Main goal"),
    "long_term_goals": lazy_gettext("Long-term goals"),
    "short_term_goals": lazy_gettext("Short-term goals"),
}
#: The police's details of an intervention.
INTERVENTION = {
    "police_reference": lazy_gettext("police reference"),
    "place": lazy_gettext("place"),
    "child_present": lazy_gettext("child present"),
    "child_said": lazy_gettext("what the child said"),
    "circumstances": lazy_gettext("circumstances"),
}
PERSON_ROLES = {
    "adult_victim": lazy_gettext("adult experiencing violence"),
    "perpetrator": lazy_gettext("person suspected of violence"),
    "household_member": lazy_gettext("household member"),
    "parent": lazy_gettext("parent"),
}
CLOSURE_REASONS = {
    "violence_ceased_plan_done": lazy_gettext("the violence ceased and the help plan was carried out"),
    "action_not_justified": lazy_gettext("no grounds for action"),
}
ERASURE_GROUNDS = {
    "retention_expired": lazy_gettext("the retention period ended"),
    "authorised_request": lazy_gettext("an authorised request"),
}
RESULTS = {
    "done": lazy_gettext("done"),
    "partly_done": lazy_gettext("partly done"),
    "not_done": lazy_gettext("not done"),
}
#: What each read-log view is, for the "who read the record" table.
VIEWS = {
    "subject_access": lazy_gettext("information on personal data (GDPR art. 15)"),
    "timeline": lazy_gettext("child's record"),
    "risk": lazy_gettext("risk chart"),
    "agenda": lazy_gettext("meeting agenda"),
    "blue_cards": lazy_gettext("Blue Cards"),
    "child_victim_ids": lazy_gettext("Blue Cards"),
    "erasure": lazy_gettext("erasure of personal data"),
    "group_action": lazy_gettext("working group tasks"),
    "group_actions": lazy_gettext("working group tasks"),
    "group_meeting": lazy_gettext("working group meetings"),
    "group_meetings": lazy_gettext("working group meetings"),
    "working_group": lazy_gettext("working group"),
    "help_plan": lazy_gettext("help plan"),
    "import_match": lazy_gettext("import from a school file"),
    "notification": lazy_gettext("police notice"),
    "programme_cases": lazy_gettext("cases in a programme"),
}
#: Codes whose value is printed through a table of labels.
_CODED: dict[str, dict] = {
    "severity": i18n.SEVERITIES,
    "recipient_kind": i18n.AGENCY_KINDS,
    "role": PERSON_ROLES,
    "ground": ERASURE_GROUNDS,
}
_DAYS = frozenset({"date_of_birth", "incident_date", "filled_on", "day", "held_on", "next_evaluation", "due_on"})
_MOMENTS = frozenset({"observed_at", "scheduled_for", "due_at", "overdue_since"})


def entries(export: dict, record_types: dict) -> list[dict]:
    """Each held entry as the page prints it: when, agency, record, what happened, its fields."""
    subject = "person" if export.get("subject", {}).get("type") == "person" else "child"
    return [_entry(e, record_types, subject) for e in export.get("held", [])]


#: Why the reader could read the record, said of them (the timeline's GROUNDS speak to the reader).
READ_GROUNDS = {
    "group_membership": lazy_gettext("member of the child's working group"),
    "coordinator": lazy_gettext("coordinator of the interdisciplinary team"),
    "audit": lazy_gettext("auditor (reading only)"),
    "own_agency": lazy_gettext("only their own agency's entries"),
}


def read_line(line: dict) -> dict:
    """A read-log line in words: who (name or role), what they read, and on what grounds."""
    view = line.get("view")
    who = line.get("reader_name") or (i18n.label(i18n.ROLES, line["role"]) if line.get("role") else "—")
    return {
        "at": line.get("at"),
        "who": who,
        "agency": line.get("agency_name"),
        "what": i18n.label(VIEWS, view) if view in VIEWS else _("the record"),
        "grounds": i18n.label(READ_GROUNDS, line["grounds"]) if line.get("grounds") else "—",
    }


def ground_name(code: object) -> str:
    """An erasure's ground in words."""
    return i18n.label(ERASURE_GROUNDS, code)


def _entry(entry: dict, record_types: dict, subject: str) -> dict:
    data = entry.get("data") or {}
    event = entry.get("event", "")
    found = record_types.get(entry.get("record_type"))
    return {
        "at": entry.get("at"),
        "agency": entry.get("agency_name"),
        "record": str(found) if found is not None else _("Entry"),
        "title": _title(event, data),
        "fields": _fields(event, data, subject),
        "withheld": _withheld(data.get("withheld")),
    }


def _title(event: str, data: dict) -> str:
    title = i18n.label(TITLES, event) if event in TITLES else _("Entry")
    if event in ("Child.SignalRecorded", "Child.SignalCorrected") and data.get("kind"):
        row = CATALOGUE.get(str(data["kind"]))
        kind = row.label(i18n.language()) if row is not None else str(data["kind"]).replace("_", " ")
        if len(kind) > 1 and kind[1].islower():  # "Sygnał: interwencja domowa", an acronym stays as it is
            kind = kind[0].lower() + kind[1:]
        return f"{title}: {kind}"
    return title


def _withheld(fields: Any) -> str | None:
    if not fields:
        return None
    names = ", ".join(str(LABELS.get(f, _("text"))) for f in fields)
    return _("The texts of this step concern another person and are withheld (%(fields)s).", fields=names)


def _fields(event: str, data: dict, subject: str) -> list[Field]:
    """The entry's content as labelled fields, in LABELS order; technical and empty values left out."""
    if event.startswith("HelpPlan.") and event != "HelpPlan.Evaluated":
        return _plan_fields(data, subject)
    out: list[Field] = []
    for key in LABELS:
        if key not in data:  # LABELS names no ids and no codes said in the title (a signal's kind)
            continue
        value = _value(key, data[key], subject, event)
        if value:
            label = _("duration") if key == "minutes" and isinstance(data[key], int) else str(LABELS[key])
            out.append((label, value))
    return out


def _value(key: str, value: Any, subject: str, event: str = "") -> str | list[str]:
    """One field's value in words ('' when there is nothing to print)."""
    if value is None or value == "" or value == [] or value == {}:
        return ""
    if key in ("child_victim_ids", "child_ids", "person_ids", "adult_victim_ids", "perpetrator_ids"):
        return _people(value, subject)
    if key == "minutes" and isinstance(value, int):
        return _("%(n)s min", n=value)
    if key == "reason" and event == "BlueCard.Closed":
        return i18n.label(CLOSURE_REASONS, value)
    if key in _CODED:
        return i18n.label(_CODED[key], value)
    if key in _DAYS:
        return i18n.day(value)
    if key in _MOMENTS:
        return i18n.moment(value)
    if key == "intervention" and isinstance(value, dict):
        return _labelled(value, INTERVENTION)
    if key == "results" and isinstance(value, dict):
        return ", ".join(i18n.label(RESULTS, r) for r in value.values())
    if key in ("members", "attendees") and isinstance(value, list):
        return ", ".join(t for t in (_someone(v) for v in value) if t)
    return _text(value)


def _people(ids: Any, subject: str) -> str:
    """A shared record's list of children or persons: the subject, and others only as 'another'."""
    me = _("the child this information is about") if subject == "child" else _("the person this information is about")
    words = []
    for v in ids if isinstance(ids, list) else [ids]:
        if v == OTHER_CHILD:
            words.append(_("another child"))
        elif v == OTHER_PERSON:
            words.append(_("another person"))
        elif isinstance(v, str) and _ID.match(v):
            words.append(me)
    return ", ".join(words)


def _someone(value: Any) -> str:
    """A member or attendee: their name and agency, never their ids."""
    if not isinstance(value, dict):
        return _text(value) if not isinstance(value, list) else ""
    name = value.get("name") or ""
    agency = value.get("agency_name") or value.get("agency") or ""
    function = value.get("function") or ""
    text = ", ".join(str(p) for p in (name, function) if p and not _ID.match(str(p)))
    agency = "" if _ID.match(str(agency)) else str(agency)
    return f"{text} ({agency})" if text and agency else text or agency


def _labelled(value: dict, labels: dict) -> list[str]:
    lines = []
    for key, label in labels.items():
        text = _text(value.get(key))
        if text:
            lines.append(f"{label}: {text}")
    return lines


def _text(value: Any) -> str:
    """A plain value in words: booleans as yes/no, lists comma-separated, ids and dicts left out."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list | tuple):
        return ", ".join(t for t in (_text(v) for v in value) if t)
    if isinstance(value, dict):
        return ""  # a nested structure has its own formatter above, or nothing to tell the person
    text = str(value)
    return "" if _ID.match(text) else text


def _plan_fields(data: dict, subject: str) -> list[Field]:
    """A help plan's version: household, SWOT and goals, its actions with who and by when."""
    out: list[Field] = []
    people = _people(data.get("child_ids") or [], subject)
    if people:
        out.append((str(LABELS["child_ids"]), people))
    for key in ("household", "reason"):
        if data.get(key):
            out.append((str(LABELS[key]), _text(data[key])))
    texts = data.get("texts") or {}
    plan = data.get("plan") or {}
    swot = texts.get("swot") or {}
    parts = []
    for key, label in PLAN_PARTS.items():
        text = _text(swot.get(key) if key in swot else texts.get(key))
        if text:
            parts.append(f"{label}: {text}")
    if parts:
        out.append((str(i18n.label(LABELS, "help_plan")), parts))
    described = texts.get("actions") or {}
    actions = []
    for action in plan.get("actions") or []:
        what = _text(described.get(str(action.get("id")))) or _("action")
        who = i18n.label(i18n.PARTIES, action["party"]) if action.get("party") else ""
        due = _("due %(day)s", day=i18n.day(action["due"])) if action.get("due") else ""
        actions.append(" — ".join(p for p in (what, ", ".join(x for x in (who, due) if x)) if p))
    if actions:
        out.append((str(LABELS["actions"]), actions))
    if plan.get("next_evaluation"):
        out.append((str(LABELS["next_evaluation"]), i18n.day(plan["next_evaluation"])))
    return out


def printable(export: dict, record_types: dict) -> dict:
    """What the template needs beside the export: the entries in words and what each read line read."""
    return {
        "entries": entries(export, record_types),
        "reads": [read_line(line) for line in export.get("read_log", [])],
    }
