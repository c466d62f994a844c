"""Which API operations and pages hand out child data: the table the completeness test holds them to.

tests/security/test_audit_completeness.py walks every operation of the served OpenAPI
document and every page; each must be classified here, or the test fails and asks for it.

* ``child_data``: the answer tells something about a child or its case (an identity, an
  entry, a card, a group and what it decided, a plan, a time card's entries, a notice, an
  agenda, a deadline, a lookup that matched). The test calls it as a reader allowed to and
  wants a read-audit line naming a child of its world.
* ``no_child_data``: the answer names no child and no case (the directory, counts, the
  catalogue, the caller's own account).
* ``own_submission``: a write whose answer is only what the caller sent, with its ids and
  status: it tells the caller nothing it did not know.

Everything that is not ``child_data`` carries a one-line reason; keep that list short.
"""

from __future__ import annotations

CHILD_DATA = "child_data"
NO_CHILD_DATA = "no_child_data"
OWN_SUBMISSION = "own_submission"
CLASSES = (CHILD_DATA, NO_CHILD_DATA, OWN_SUBMISSION)

#: API operations (method, OpenAPI path) whose answers carry child or case data.
API_CHILD_DATA = {
    # children and signals: lookups, the record, and the answers of writes on another's record
    ("GET", "/api/v1/children"),
    ("POST", "/api/v1/children/search"),
    ("POST", "/api/v1/children"),  # a known PESEL or a near-identical name answers with the other child
    ("GET", "/api/v1/children/{child_id}"),
    ("POST", "/api/v1/children/{child_id}/merge"),
    ("GET", "/api/v1/children/{child_id}/events"),
    ("GET", "/api/v1/children/{child_id}/signals"),
    ("GET", "/api/v1/children/{child_id}/timeline"),
    ("GET", "/api/v1/children/{child_id}/risk"),
    ("POST", "/api/v1/signals/import"),  # a row's report names the child it matched
    # Blue Card procedure: every answer is the whole card, forms of other agencies included
    ("GET", "/api/v1/blue-cards"),
    ("GET", "/api/v1/blue-cards/{card_id}"),
    ("POST", "/api/v1/blue-cards/{card_id}/form-b"),
    ("POST", "/api/v1/blue-cards/{card_id}/forward"),
    ("POST", "/api/v1/blue-cards/{card_id}/group"),
    ("POST", "/api/v1/blue-cards/{card_id}/form-c"),
    ("POST", "/api/v1/blue-cards/{card_id}/form-d"),
    ("POST", "/api/v1/blue-cards/{card_id}/monitoring"),
    ("POST", "/api/v1/blue-cards/{card_id}/closure"),
    ("POST", "/api/v1/blue-cards/{card_id}/reviews"),
    # working groups, meetings, actions, agendas, deadlines
    ("GET", "/api/v1/working-groups"),
    ("POST", "/api/v1/working-groups"),  # the answer names the children its Blue Card brings in
    ("GET", "/api/v1/working-groups/{group_id}"),
    ("GET", "/api/v1/working-groups/{group_id}/meetings"),
    ("GET", "/api/v1/working-groups/{group_id}/meetings/{meeting_id}"),
    ("POST", "/api/v1/working-groups/{group_id}/meetings/{meeting_id}/minutes"),
    ("GET", "/api/v1/working-groups/{group_id}/actions"),
    ("POST", "/api/v1/working-groups/{group_id}/actions/{action_id}/done"),
    ("GET", "/api/v1/working-groups/{group_id}/agenda"),
    ("GET", "/api/v1/deadlines"),
    ("GET", "/api/v1/team/agenda"),
    # family work
    ("GET", "/api/v1/help-plans"),
    ("GET", "/api/v1/help-plans/overdue-actions"),
    ("GET", "/api/v1/help-plans/{plan_id}"),
    ("POST", "/api/v1/help-plans/{plan_id}/revisions"),
    ("POST", "/api/v1/help-plans/{plan_id}/evaluations"),
    ("GET", "/api/v1/time-cards"),
    ("GET", "/api/v1/time-cards/totals"),
    ("GET", "/api/v1/time-cards/{card_id}"),
    ("GET", "/api/v1/time-cards/{card_id}/report"),
    ("POST", "/api/v1/time-cards/{card_id}/acceptance"),
    ("POST", "/api/v1/time-cards/{card_id}/return"),
    # police notices
    ("GET", "/api/v1/notifications"),
    ("GET", "/api/v1/notifications/{notice_id}"),
    ("POST", "/api/v1/notifications/{notice_id}/delivery"),
    ("POST", "/api/v1/notifications/{notice_id}/acknowledgement"),
    # the cases behind a figure of the programme report
    ("GET", "/api/v1/reports/programme/cases"),
    # retention and subject access: who is due for erasure (ids), and everything held about one child
    ("GET", "/api/v1/retention/due"),
    ("GET", "/api/v1/children/{child_id}/subject-access"),
    ("GET", "/api/v1/persons/{person_id}/subject-access"),  # the cards naming the adult name children too
}

#: The other API operations, each with why its answer needs no read-audit line.
API_EXCEPTIONS: dict[tuple[str, str], tuple[str, str]] = {
    ("GET", "/api/v1/me"): (NO_CHILD_DATA, "the caller's own account"),
    ("GET", "/api/v1/signal-kinds"): (NO_CHILD_DATA, "the catalogue of signal kinds"),
    ("GET", "/api/v1/agencies"): (NO_CHILD_DATA, "the directory of agencies"),
    ("POST", "/api/v1/agencies"): (NO_CHILD_DATA, "the directory of agencies"),
    ("GET", "/api/v1/agencies/{agency_id}"): (NO_CHILD_DATA, "the directory of agencies"),
    ("GET", "/api/v1/users"): (NO_CHILD_DATA, "the directory of users"),
    ("POST", "/api/v1/users"): (NO_CHILD_DATA, "the directory of users"),
    ("GET", "/api/v1/users/{user_id}"): (NO_CHILD_DATA, "the directory of users"),
    ("POST", "/api/v1/users/{user_id}/token"): (NO_CHILD_DATA, "the directory of users"),
    ("POST", "/api/v1/users/{user_id}/approval"): (NO_CHILD_DATA, "the directory: a grant approved"),
    ("POST", "/api/v1/users/{user_id}/reset"): (NO_CHILD_DATA, "the directory: a one-time code for the user"),
    ("POST", "/api/v1/users/{user_id}/deactivation"): (NO_CHILD_DATA, "the directory: a user deactivated"),
    ("GET", "/api/v1/access-requests"): (NO_CHILD_DATA, "the directory: grants waiting for approval"),
    ("POST", "/api/v1/me/token"): (NO_CHILD_DATA, "the caller's own token"),
    ("POST", "/api/v1/activation"): (NO_CHILD_DATA, "a one-time code exchanged for the caller's own token"),
    ("GET", "/api/v1/signals/import/example"): (NO_CHILD_DATA, "a sample file with made-up rows"),
    ("GET", "/api/v1/audit/verify"): (NO_CHILD_DATA, "hashes and counts of the chains"),
    ("GET", "/api/v1/audit/reads"): (
        NO_CHILD_DATA,
        "the read log itself (who looked, nothing of the record); listing it again would log without end",
    ),
    ("GET", "/api/v1/team/meetings"): (NO_CHILD_DATA, "the team's own meetings, which name no child"),
    ("POST", "/api/v1/team/meetings"): (NO_CHILD_DATA, "the team's own meetings, which name no child"),
    ("POST", "/api/v1/team/meetings/{meeting_id}/minutes"): (NO_CHILD_DATA, "the team's own meetings"),
    ("POST", "/api/v1/team/meetings/{meeting_id}/decisions"): (NO_CHILD_DATA, "the team's own meetings"),
    ("GET", "/api/v1/reports/programme"): (NO_CHILD_DATA, "aggregate counts of the programme report"),
    ("GET", "/api/v1/reports/monthly"): (NO_CHILD_DATA, "aggregate counts per month"),
    ("POST", "/api/v1/children/{child_id}/signals"): (OWN_SUBMISSION, "the signal as sent, and whom it notified"),
    ("POST", "/api/v1/children/{child_id}/signals/{signal_id}/corrections"): (
        OWN_SUBMISSION,
        "the caller's agency's own signal",
    ),
    ("POST", "/api/v1/children/{child_id}/signals/{signal_id}/retraction"): (
        OWN_SUBMISSION,
        "the caller's agency's own signal",
    ),
    ("POST", "/api/v1/children/{child_id}/erasure"): (OWN_SUBMISSION, "ids and counts of the erasure asked for"),
    ("POST", "/api/v1/children/{child_id}/erasure/approval"): (
        OWN_SUBMISSION,
        "ids and counts of the erasure approved",
    ),
    ("POST", "/api/v1/persons/{person_id}/erasure"): (OWN_SUBMISSION, "ids and counts of an adult's erasure asked for"),
    ("POST", "/api/v1/persons/{person_id}/erasure/approval"): (
        OWN_SUBMISSION,
        "ids and counts of an adult's erasure approved: reads nothing, names no child",
    ),
    ("POST", "/api/v1/blue-cards"): (OWN_SUBMISSION, "form A as filed"),
    ("POST", "/api/v1/working-groups/{group_id}/meetings"): (OWN_SUBMISSION, "the meeting as scheduled"),
    ("POST", "/api/v1/working-groups/{group_id}/meetings/{meeting_id}/decisions"): (
        OWN_SUBMISSION,
        "the decision as recorded",
    ),
    ("POST", "/api/v1/working-groups/{group_id}/actions"): (OWN_SUBMISSION, "the action as assigned"),
    ("POST", "/api/v1/help-plans"): (OWN_SUBMISSION, "the plan as written"),
    ("POST", "/api/v1/time-cards"): (OWN_SUBMISSION, "the assistant's new, empty card"),
    ("POST", "/api/v1/time-cards/{card_id}/entries"): (OWN_SUBMISSION, "the assistant's own card"),
    ("POST", "/api/v1/time-cards/{card_id}/entries/{entry_id}/removal"): (OWN_SUBMISSION, "the assistant's own card"),
    ("POST", "/api/v1/time-cards/{card_id}/submission"): (OWN_SUBMISSION, "the assistant's own card"),
}

#: Pages (method, URL rule) that show child or case data.
PAGE_CHILD_DATA = {
    ("GET", "/start"),  # the groups with their children, the deadlines, the caseload, the notices
    ("POST", "/children"),  # the search, posted so that no PESEL is in a URL
    ("GET", "/children/<uuid:child_id>"),
    ("GET", "/children/<uuid:child_id>/signals/new"),  # names the child the signal is about
    ("POST", "/import"),  # the report names the child each row matched
    ("GET", "/notifications"),
    ("GET", "/notifications/<uuid:notice_id>"),
    ("GET", "/groups"),
    ("GET", "/groups/<uuid:group_id>"),
    ("GET", "/groups/<uuid:group_id>/meetings/<uuid:meeting_id>"),
    ("GET", "/groups/<uuid:group_id>/agenda"),
    ("GET", "/team/agenda"),
    ("GET", "/deadlines"),
    ("GET", "/blue-cards"),
    ("GET", "/blue-cards/<uuid:card_id>"),
    ("GET", "/help-plans"),
    ("GET", "/help-plans/<uuid:plan_id>"),
    ("GET", "/children/<uuid:child_id>/subject-access"),  # the printable RODO art. 15 export
    ("GET", "/persons/<uuid:person_id>/subject-access"),
    ("GET", "/erasures"),  # the pending erasure requests: children's ids, grounds, references
}

#: The other pages, each with why it needs no read-audit line.
PAGE_EXCEPTIONS: dict[tuple[str, str], tuple[str, str]] = {
    ("GET", "/"): (NO_CHILD_DATA, "a redirect to the start page or the sign-in"),
    ("GET", "/sign-in"): (NO_CHILD_DATA, "the sign-in form"),
    ("POST", "/sign-in"): (NO_CHILD_DATA, "signing in"),
    ("POST", "/sign-out"): (NO_CHILD_DATA, "signing out"),
    ("GET", "/activation"): (NO_CHILD_DATA, "the activation form (two codes, a login, a password)"),
    ("POST", "/activation"): (NO_CHILD_DATA, "activating one's own account with both codes"),
    ("POST", "/language"): (NO_CHILD_DATA, "the language switch"),
    ("GET", "/assets/<path:filename>"): (NO_CHILD_DATA, "style sheets and scripts"),
    ("GET", "/account"): (NO_CHILD_DATA, "the caller's own account"),
    ("POST", "/account/token"): (NO_CHILD_DATA, "the caller's own token"),
    ("GET", "/access-requests"): (NO_CHILD_DATA, "the directory: grants waiting for approval"),
    ("POST", "/access-requests/<uuid:user_id>"): (NO_CHILD_DATA, "the directory: a grant approved"),
    ("GET", "/children"): (NO_CHILD_DATA, "the empty search form (the search is posted)"),
    ("GET", "/import"): (NO_CHILD_DATA, "the empty upload form"),
    ("GET", "/import/example.csv"): (NO_CHILD_DATA, "a sample file with made-up rows"),
    ("POST", "/children/new"): (OWN_SUBMISSION, "a redirect to the record it opened"),
    ("POST", "/children/<uuid:child_id>/signals/new"): (OWN_SUBMISSION, "a redirect after the signal as sent"),
    ("POST", "/notifications/<uuid:notice_id>"): (OWN_SUBMISSION, "a redirect after the acknowledgement"),
    ("POST", "/retention/<uuid:child_id>/erasure"): (OWN_SUBMISSION, "a redirect after the erasure asked for (logged)"),
    ("POST", "/children/<uuid:child_id>/erasure"): (OWN_SUBMISSION, "a redirect after the erasure asked for (logged)"),
    ("POST", "/erasures/<uuid:child_id>/approval"): (OWN_SUBMISSION, "a redirect after the erasure approved (logged)"),
}


def classify(table: set[tuple[str, str]], exceptions: dict, key: tuple[str, str]) -> str | None:
    """The class of an operation or page, or None when nobody classified it yet."""
    if key in table:
        return CHILD_DATA
    found = exceptions.get(key)
    return found[0] if found else None
