"""When a person's data is due for erasure because the retention of every record about them ended.

A pure rule over a few facts about the records, so the erasure use case, the daily
retention job (services/usecases/retention.py), the CLI and a replay all answer the same.
The numbers live in ``domain/retention_policy.toml`` (or an operator's file of the same
shape, ``SAFEHUB_RETENTION_POLICY``): one rule per kind of record, each with its period,
what the period is counted from, whether it waits for the child's adulthood, and the
legal basis it rests on. The seeds state no legal period for Blue Card documentation, so
the shipped rules are conservative and say so in the file.

A person is due only when every record about them is: the child's own record, each Blue
Card naming them (closed), each working group on their case, each help plan and each
time-card entry about their family. The due day is the latest of the rules' days, and
the rule that gave it is named in the answer. A record still open (a Blue Card, a time
card not yet accepted) keeps everything, and no day can be given until it is closed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import InvalidInput
from domain.policy_files import read_policy

#: Kinds of record the schedule knows, in the order they are listed.
CHILD_RECORD = "child_record"
BLUE_CARD = "blue_card"
WORKING_GROUP = "working_group"
HELP_PLAN = "help_plan"
TIME_CARD = "time_card"
KINDS = (CHILD_RECORD, BLUE_CARD, WORKING_GROUP, HELP_PLAN, TIME_CARD)
#: Counted from the record's last entry, or from its closure (open: not due, no day yet).
LAST_ENTRY = "last_entry"
CLOSURE = "closure"
#: Which anchors each kind may use: only records that are ever closed may wait for closure.
ANCHORS = {
    CHILD_RECORD: (LAST_ENTRY,),
    BLUE_CARD: (CLOSURE, LAST_ENTRY),
    WORKING_GROUP: (LAST_ENTRY,),
    HELP_PLAN: (LAST_ENTRY,),
    TIME_CARD: (CLOSURE, LAST_ENTRY),
}
MAX_TEXT = 1000
_NAMESPACE = UUID("5b0c7e61-2f0d-4f5e-8a53-6c1d2e9b7a10")


@dataclass(frozen=True)
class RetentionRule:
    """One kind of record: ``years`` after its last entry (or its closure), maybe not before adulthood."""

    kind: str
    years: int
    counted_from: str
    not_before_adulthood: bool
    legal_basis: str
    note: str = ""


@dataclass(frozen=True)
class RetentionPolicy:
    """The schedule: the fallback numbers (the first, one-rule shape of the file) and a rule per kind."""

    version: str
    years_after_last_entry: int
    adult_at: int
    rules: tuple[RetentionRule, ...] = ()

    def rule(self, kind: str) -> RetentionRule:
        """The rule for ``kind``; a policy of the old one-rule shape applies its numbers to every kind."""
        for rule in self.rules:
            if rule.kind == kind:
                return rule
        return RetentionRule(
            kind=kind,
            years=self.years_after_last_entry,
            counted_from=CLOSURE if kind == BLUE_CARD else LAST_ENTRY,
            not_before_adulthood=True,
            legal_basis="the policy's general rule (years_after_last_entry, adult_at)",
        )


@dataclass(frozen=True)
class RecordFacts:
    """One record about the person: its kind, id, last entry and whether it is closed."""

    kind: str
    record_id: str
    last_entry: date
    closed: bool = True


@dataclass(frozen=True)
class RetentionFacts:
    """What the rule needs to know about one person (their record and every record merged into it).

    ``last_entry`` is the child's own record's last entry; ``open_cards`` counts Blue Cards
    naming the child that are still open; ``records`` are the other records about the child.
    """

    date_of_birth: date | None
    last_entry: date
    open_cards: int
    records: tuple[RecordFacts, ...] = field(default=())


@dataclass(frozen=True)
class RetentionVerdict:
    """Whether retention has ended on ``today``; ``due_on`` is None while it cannot be dated.

    ``kind`` and ``record_id`` name the record whose rule gave the day (or keeps it open).
    """

    due: bool
    due_on: date | None
    reason: str
    kind: str = CHILD_RECORD
    record_id: str | None = None
    legal_basis: str = ""


def retention_due(facts: RetentionFacts, policy: RetentionPolicy, today: date) -> RetentionVerdict:
    """Say whether every record about the person is past its retention on ``today``, and when it will be.

    An open Blue Card keeps the record whatever the dates (the procedure still needs it),
    and so does any record whose rule counts from its closure while it is open: no day can
    be given until it is closed. Otherwise the latest of the rules' days; an unknown birth
    date counts as no adulthood bound.
    """
    if facts.open_cards:
        rule = policy.rule(BLUE_CARD)
        return RetentionVerdict(
            False, None, "a Blue Card naming the child is still open", BLUE_CARD, None, rule.legal_basis
        )
    for record in facts.records:
        rule = policy.rule(record.kind)
        if not record.closed and rule.counted_from == CLOSURE:
            what = "a Blue Card naming the child" if record.kind == BLUE_CARD else f"a {_label(record.kind)}"
            return RetentionVerdict(
                False, None, f"{what} is still open", record.kind, record.record_id, rule.legal_basis
            )
    candidates = [(CHILD_RECORD, None, facts.last_entry)]
    candidates += [(r.kind, r.record_id, r.last_entry) for r in facts.records]
    best: RetentionVerdict | None = None
    for kind, record_id, last in candidates:
        rule = policy.rule(kind)
        due_on = _plus_years(last, rule.years)
        counted = "closure" if rule.counted_from == CLOSURE else "last entry"
        reason = f"{rule.years} years after the {_label(kind)}'s {counted} ({last.isoformat()})"
        if kind == CHILD_RECORD:  # the wording the first, one-rule schedule gave
            reason = f"{rule.years} years after the last entry ({last.isoformat()})"
        if rule.not_before_adulthood and facts.date_of_birth is not None:
            adult = _plus_years(facts.date_of_birth, policy.adult_at)
            if adult > due_on:
                due_on, reason = adult, f"the child's {policy.adult_at}th birthday"
        if best is None or best.due_on is None or due_on > best.due_on:
            best = RetentionVerdict(False, due_on, reason, kind, record_id, rule.legal_basis)
    if best is None or best.due_on is None:  # the child's own record is always a candidate
        raise ValueError("a retention verdict needs the child's own record among the facts")
    return RetentionVerdict(today >= best.due_on, best.due_on, best.reason, best.kind, best.record_id, best.legal_basis)


def _label(kind: str) -> str:
    return {
        CHILD_RECORD: "child's record",
        BLUE_CARD: "Blue Card",
        WORKING_GROUP: "working group",
        HELP_PLAN: "help plan",
        TIME_CARD: "time card",
    }.get(kind, kind)


def _plus_years(day: date, years: int) -> date:
    """The same day ``years`` later; 29 February becomes 1 March (the later day, never early)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return date(day.year + years, 3, 1)


def _whole(raw: dict, name: str, low: int, high: int, where: str = "") -> int:
    value = raw.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidInput.one(where + name, f"must be a whole number from {low} to {high}")
    return value


def _text(raw: dict, name: str, where: str, *, required: bool) -> str:
    value = raw.get(name, "")
    if not isinstance(value, str) or len(value) > MAX_TEXT or (required and not value.strip()):
        need = "must name the legal basis of the period" if name == "legal_basis" else "must be text"
        raise InvalidInput.one(where + name, f"{need} (at most {MAX_TEXT} characters)")
    return value.strip()


def _parse_rule(kind: str, raw: object) -> RetentionRule:
    where = f"rules.{kind}."
    if not isinstance(raw, dict):
        raise InvalidInput.one(f"rules.{kind}", "must be a table of the rule's fields")
    unknown = sorted(set(raw) - {"years", "counted_from", "not_before_adulthood", "legal_basis", "note"})
    if unknown:
        raise InvalidInput.one(where + unknown[0], "is not a field of a retention rule")
    counted_from = raw.get("counted_from")
    if counted_from not in ANCHORS[kind]:
        raise InvalidInput.one(where + "counted_from", f"must be one of: {', '.join(ANCHORS[kind])}")
    adulthood = raw.get("not_before_adulthood")
    if not isinstance(adulthood, bool):
        raise InvalidInput.one(where + "not_before_adulthood", "must be true or false")
    return RetentionRule(
        kind=kind,
        years=_whole(raw, "years", 0, 100, where),
        counted_from=counted_from,
        not_before_adulthood=adulthood,
        legal_basis=_text(raw, "legal_basis", where, required=True),
        note=_text(raw, "note", where, required=False),
    )


def parse_retention_policy(raw: dict) -> RetentionPolicy:
    """Check the policy file's values, naming the field that is wrong (``rules.blue_card.years``)."""
    values = {}
    for name, low, high in (("years_after_last_entry", 1, 100), ("adult_at", 0, 30)):
        values[name] = _whole(raw, name, low, high)
    version = raw.get("version")
    if not isinstance(version, str) or not version.strip() or len(version) > 100:
        raise InvalidInput.one("version", "must name the rule's version")
    rules_raw = raw.get("rules", {})
    if not isinstance(rules_raw, dict):
        raise InvalidInput.one("rules", "must be a table with one rule per kind of record")
    unknown = sorted(set(rules_raw) - set(KINDS))
    if unknown:
        raise InvalidInput.one(f"rules.{unknown[0]}", f"is not a kind of record; the kinds are: {', '.join(KINDS)}")
    if rules_raw:
        missing = [k for k in KINDS if k not in rules_raw]
        if missing:
            raise InvalidInput.one(f"rules.{missing[0]}", "is missing: a schedule names a rule for every kind")
    rules = tuple(_parse_rule(kind, rules_raw[kind]) for kind in KINDS if kind in rules_raw)
    return RetentionPolicy(version=version, rules=rules, **values)


@lru_cache(maxsize=8)
def load_retention_policy(path: str | Path | None = None) -> RetentionPolicy:
    """The shipped policy (``domain/retention_policy.toml``) or an operator's own file."""
    return parse_retention_policy(read_policy(path, "retention_policy.toml"))


class RetentionNotice(Aggregate):
    """The daily job found a child due for erasure: listed for the coordinator until erased or withdrawn.

    Ids only (the child, the record whose rule gave the day) and the rule: no name, no text.
    Its id derives from the child, the due day and the policy version, so the job raises
    one notice however often it runs; a later entry that moves the day withdraws it.
    """

    class Raised(Aggregate.Created):
        municipality_id: UUID
        child_id: UUID
        due_on: date
        kind: str
        record_id: str | None
        rule: str

    class Withdrawn(Aggregate.Event):
        reason: str

    @staticmethod
    def create_id(child_id: UUID, due_on: date, rule: str) -> UUID:
        """One notice per child, due day and policy version."""
        return uuid5(_NAMESPACE, f"retention:{child_id}:{due_on.isoformat()}:{rule}")

    @event(Raised)
    def __init__(
        self, municipality_id: UUID, child_id: UUID, due_on: date, kind: str, record_id: str | None, rule: str
    ):
        self.municipality_id = municipality_id
        self.child_id = child_id
        self.due_on = due_on
        self.kind = kind
        self.record_id = record_id
        self.rule = rule
        self.withdrawn = False

    def withdraw(self, reason: str) -> None:
        """No longer due (a later entry moved the day, the policy changed): off the list."""
        if not self.withdrawn:
            self._withdrawn(reason=reason[:200])

    @event(Withdrawn)
    def _withdrawn(self, reason: str) -> None:
        self.withdrawn = True
