"""The agenda's rules: why a child or a case is on the next meeting's agenda, and how much it weighs.

``services.usecases.agendas`` gathers what an agenda reads (the group or the team, its
children through ``services.usecases.agenda_cache``, the deadline rows) and orders the
items; this module holds the rules that turn what was read into reasons: a child's new
signals, the net change of its risk band, its current band and "pieces join" with no open
card, its overdue help-plan actions, and each deadline item's state. Each reason carries a
code, its weight under the procedure policy, a sentence and references to what it rests
on. The rules are pure functions of what they are given, kept apart so they read as the
policy they apply.
"""

from __future__ import annotations

from datetime import date, datetime

from domain.procedure import ProcedurePolicy
from domain.risk import assess, counted
from domain.risk_policy import RiskPolicy
from domain.signals import CATALOGUE
from services.usecases.agenda_cache import KnownFamilies, RiskSignals
from services.usecases.deadlines import item_view

_SERIOUS = frozenset({"high", "critical"})
_BAND_ORDER = ("low", "medium", "high", "review_now")


# --- children ----------------------------------------------------------------------------


def signal_reasons(
    fresh: list[dict], since: str | None, since_label: str, language: str, weights: dict[str, int]
) -> list[dict]:
    """The family's new signals, weighed by how many are high or critical."""
    if not fresh:
        return []
    serious = [e for e in fresh if e["severity"] in _SERIOUS]
    kinds = ", ".join(sorted({_label(kind, language) for kind in {e["kind"] for e in fresh}}))
    agencies = sorted({e["kind_of_agency"] or "" for e in fresh})
    head = f"{len(fresh)} new signal(s) since {since_label}" if since else f"{len(fresh)} signal(s) on record"
    return [
        _reason(
            "new_signals",
            len(serious) * weights["new_signal_high"] + (len(fresh) - len(serious)) * weights["new_signal"],
            f"{head} from {', '.join(agencies)}: {kinds}" + (f" ({len(serious)} high or critical)" if serious else ""),
            [dict(e["ref"]) for e in fresh],
        )
    ]


def band_reasons(
    root: str, history: list[dict], since: str | None, since_label: str, weights: dict[str, int]
) -> list[dict]:
    """The net change of the child's risk band since then (a rise undone is not news)."""
    changes = [c for c in history if since is None or c["at"] > since]
    if not changes:
        return []
    start, end = changes[0]["from_band"], changes[-1]["to_band"]
    if start == end:
        return []
    code = "band_raised" if _BAND_ORDER.index(end) > _BAND_ORDER.index(start) else "band_lowered"
    via = " via " + ", ".join(c["from_band"] for c in changes[1:]) if len(changes) > 1 else ""
    when = f" since {since_label}" if since else ""
    return [
        _reason(
            code,
            weights[code],
            f"risk band moved from {start} to {end}{via}{when} "
            f"(score {changes[-1]['score']}, policy {changes[-1]['policy_version']})",
            [{"type": "risk_band_change", "id": f"{root}:{c['position']}", "position": c["position"]} for c in changes],
        )
    ]


def risk_reasons(
    signals: RiskSignals,
    now: datetime,
    ids: list[str],
    open_card_children: set[str],
    weights: dict[str, int],
    risk_policy: RiskPolicy,
) -> list[dict]:
    """The child's current band when high or above, and pieces that join with no open card."""
    reasons = []
    assessment = assess(signals.signals, now, risk_policy, explain=False)
    if assessment.band in ("high", "review_now"):
        code = "band_review_now" if assessment.band == "review_now" else "band_high"
        reasons.append(
            _reason(
                code,
                weights[code],
                f"current risk band: {assessment.band} (score {assessment.score:.2f})",
                signals.refs_of(counted(signals.signals, now, risk_policy)),
            )
        )
    if assessment.pieces_join is not None and not (set(ids) & open_card_children):
        pj = assessment.pieces_join
        reasons.append(
            _reason(
                "pieces_join_no_card",
                weights["pieces_join_no_card"],
                f"signals from {len(pj.agency_ids)} agencies ({', '.join(pj.agency_kinds)}) within "
                f"{pj.window_days} days and no open Blue Card",
                signals.refs_of(pj.signal_ids),
            )
        )
    return reasons


def help_plan_reasons(by_record: dict[str, list[dict]] | None, ids: list[str], weights: dict[str, int]) -> list[dict]:
    """Overdue actions of the child's help plans (``by_record`` is None for a reader who may not see them)."""
    if by_record is None:
        return []
    overdue = {a["id"]: a for i in ids for a in by_record.get(i, [])}
    if not overdue:
        return []
    actions = sorted(overdue.values(), key=lambda a: a["due"])
    parties = ", ".join(sorted({a["party"] for a in actions}))
    return [
        _reason(
            "help_plan_action_overdue",
            weights["help_plan_action_overdue"],
            f"{len(actions)} help-plan action(s) overdue ({parties}), the oldest due {actions[0]['due']}",
            [{"type": "help_plan_action", "id": a["id"], "help_plan_id": a["help_plan_id"]} for a in actions],
        )
    ]


# --- cases -------------------------------------------------------------------------------


def deadline_reason(row: dict, today: date, since_day: date | None, policy: ProcedurePolicy) -> dict | None:
    """Why a deadline item is on the agenda (overdue, due soon, done late since then), or None."""
    weights = policy.weights
    item = item_view(row, today, policy)
    ref = [{"type": "deadline", "id": item["id"], "position": row["opened_position"]}]
    what = (item["description"] if item["kind"] == "action" else None) or item["label"]  # an erased text: its kind
    late_by = f"{item['delay_working_days']} working day(s)"
    if item["state"] == "overdue" and item["kind"] == "action":
        return _reason(
            "action_overdue",
            weights["action_overdue"],
            f"action overdue by {late_by}: {what} (due {item['due_on']})",
            ref,
        )
    if item["state"] == "overdue":
        return _reason(
            "deadline_breached",
            weights["deadline_breached"],
            f"deadline breached by {late_by}: {what} (due {item['due_on']})",
            ref,
        )
    if item["state"] == "due_soon" and item["kind"] == "monitoring_review":
        return _reason("review_due", weights["review_due"], f"post-closure monitoring review due {item['due_on']}", ref)
    if item["state"] == "due_soon":
        return _reason("deadline_due", weights["deadline_due"], f"due {item['due_on']}: {what}", ref)
    if item["state"] == "late" and (since_day is None or item["met_on"] >= since_day.isoformat()):
        return _reason(
            "deadline_met_late",
            weights["deadline_met_late"],
            f"done {late_by} late: {what} (due {item['due_on']}, done {item['met_on']})",
            [{**ref[0], "met_position": row["met_position"]}],
        )
    return None


def case_label(group: dict, card: str | None, children: list[str], known: KnownFamilies) -> str:
    """The group's name; a card no group works on yet is named after its children."""
    if group.get("name"):
        return group["name"]
    names = ", ".join(n for n in (known.family(c)["name"] for c in children) if n)
    if names or card is None:  # a group with its name erased and no card: nothing left to name it by
        return f"Blue Card: {names}" if names else ""
    return f"Blue Card {card}"


def _reason(code: str, weight: int, text: str, refs: list[dict]) -> dict:
    """One reason an item is on the agenda: its code, weight, sentence and references."""
    return {"code": code, "weight": weight, "text": text, "refs": refs}


def _label(kind: str | None, language: str) -> str:
    row = CATALOGUE.get(kind or "")
    return row.label(language) if row else (kind or "")
