"""Police notifications to schools and OPS (as in the UK's Operation Encompass).

When the police record a domestic intervention for a child, the child's school and the
municipality's OPS are told before the start of the next school day. Each notice is an
aggregate whose delivery, acknowledgement and escalation (an unacknowledged notice past
its due time goes to the team coordinator) are events.

The school-day rule is pure and configured by data (``school_days.toml``): school days
of the week, the time the day starts, Polish public holidays (``domain.calendar``, from
``holidays.Poland``) and extra days off.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from importlib import resources
from pathlib import Path
from uuid import UUID, uuid5
from zoneinfo import ZoneInfo

from eventsourcing.domain import Aggregate, event

from domain.calendar import is_holiday
from domain.errors import Conflict, InvalidInput
from domain.field_checks import check_text

DEFAULT_POLICY_FILE = "school_days.toml"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
INTERVENTION_KIND = "domestic_intervention"
_NAMESPACE = UUID("5f1e9a7c-3b2d-4c8e-a6f0-9d4b7e2c1a58")
_SHORT, _LONG = 200, 10_000


# --- the school-day policy ------------------------------------------------------------


@dataclass(frozen=True)
class SchoolDayPolicy:
    """Which days are school days and when they start."""

    version: str
    timezone: str
    school_days: frozenset[int]
    day_starts: time
    public_holidays_off: bool = True
    days_off: frozenset[date] = frozenset()

    @classmethod
    def from_dict(cls, data: dict) -> SchoolDayPolicy:
        """Validate the policy's fields, naming any that is wrong."""
        try:
            days = frozenset(WEEKDAYS.index(d) for d in data.get("school_days", WEEKDAYS[:5]))
        except ValueError:
            raise InvalidInput.one("school_days", f"days are written {', '.join(WEEKDAYS)}") from None
        if not days:
            raise InvalidInput.one("school_days", "name at least one day")
        try:
            starts = time.fromisoformat(str(data.get("day_starts", "08:00")))
            off = frozenset(date.fromisoformat(str(d)) for d in data.get("days_off", []))
            ZoneInfo(str(data.get("timezone", "Europe/Warsaw")))
        except ValueError as exc:
            raise InvalidInput.one("school_days_policy", str(exc)) from None
        return cls(
            version=str(data.get("version", "unversioned")),
            timezone=str(data.get("timezone", "Europe/Warsaw")),
            school_days=days,
            day_starts=starts,
            public_holidays_off=bool(data.get("public_holidays_off", True)),
            days_off=off,
        )


def load_school_days(path: str | Path | None = None) -> SchoolDayPolicy:
    """Read a TOML school-day policy; ``None`` reads the shipped default."""
    if path is None:
        text = resources.files("domain").joinpath(DEFAULT_POLICY_FILE).read_text(encoding="utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    try:
        return SchoolDayPolicy.from_dict(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput.one("school_days_policy", f"not valid TOML: {exc}") from None


def is_school_day(day: date, policy: SchoolDayPolicy) -> bool:
    """True on a school day: a school weekday that is neither a public holiday nor a day off."""
    if day.weekday() not in policy.school_days or day in policy.days_off:
        return False
    return not (policy.public_holidays_off and is_holiday(day))


def next_school_day_start(after: datetime, policy: SchoolDayPolicy) -> datetime:
    """The start of the first school day that begins after ``after`` (an aware moment).

    An intervention at 02:00 on a Tuesday is due at 08:00 that Tuesday; one at 23:00 on a
    Friday is due on Monday at 08:00, or on Tuesday when Monday is a holiday.
    """
    if after.tzinfo is None:
        raise InvalidInput.one("observed_at", "must include a time zone")
    zone = ZoneInfo(policy.timezone)
    day = after.astimezone(zone).date()
    for _ in range(800):
        if is_school_day(day, policy):
            start = datetime.combine(day, policy.day_starts, tzinfo=zone)
            if start > after:
                return start
        day += timedelta(days=1)
    raise InvalidInput.one("school_days", "the policy has no school day within two years")


# --- what the police say about the intervention -------------------------------------------


def check_intervention(kind: str, intervention: dict | None) -> dict:
    """The police details of a domestic intervention; only that kind of signal carries them."""
    if intervention is None:
        return {}
    if kind != INTERVENTION_KIND:
        raise InvalidInput.one("intervention", f"is only for signals of kind '{INTERVENTION_KIND}'")
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, object] = {}
    for field, limit, required in (
        ("police_reference", _SHORT, True),
        ("place", _SHORT * 2, True),
        ("child_said", _LONG, False),
        ("circumstances", _LONG, False),
    ):
        try:
            cleaned[field] = check_text(
                f"intervention.{field}", str(intervention.get(field) or ""), limit, required=required
            )
        except InvalidInput as e:
            errors.update(e.errors)
    present = intervention.get("child_present")
    if not isinstance(present, bool):
        errors["intervention.child_present"] = ["is required (true or false)"]
    cleaned["child_present"] = present
    if errors:
        raise InvalidInput(errors)
    return cleaned


# --- the notice -------------------------------------------------------------------------


class Notification(Aggregate):
    """One notice of a police intervention to one agency (the school, or OPS)."""

    class Issued(Aggregate.Created):
        municipality_id: UUID
        child_id: UUID
        signal_id: UUID
        recipient_agency_id: UUID
        recipient_kind: str
        sender_agency_id: UUID
        author_id: UUID
        observed_at: datetime
        due_at: datetime
        due_by_observation: datetime
        intervention: dict
        details: str
        policy_version: str

    class Delivered(Aggregate.Event):
        user_id: UUID
        channel: str

    class Acknowledged(Aggregate.Event):
        """Version 2: names the child, whose key seals the note (``subject_ids``)."""

        class_version = 2
        user_id: UUID
        note: str | None
        subject_ids: list[UUID]

        @staticmethod
        def upcast_v1_v2(state: dict) -> None:
            """Version 1 named no child (it was stored unsealed)."""
            state["subject_ids"] = []

    class Escalated(Aggregate.Event):
        team_agency_ids: list[UUID]
        overdue_since: datetime

    @staticmethod
    def create_id(signal_id: UUID, recipient_agency_id: UUID) -> UUID:
        """One notice per signal per recipient: the id derives from both."""
        return uuid5(_NAMESPACE, f"notification:{signal_id}:{recipient_agency_id}")

    @event(Issued)
    def __init__(
        self,
        municipality_id: UUID,
        child_id: UUID,
        signal_id: UUID,
        recipient_agency_id: UUID,
        recipient_kind: str,
        sender_agency_id: UUID,
        author_id: UUID,
        observed_at: datetime,
        due_at: datetime,
        due_by_observation: datetime,
        intervention: dict,
        details: str,
        policy_version: str,
    ):
        self.municipality_id = municipality_id
        self.child_id = child_id
        self.signal_id = signal_id
        self.recipient_agency_id = recipient_agency_id
        self.recipient_kind = recipient_kind
        self.sender_agency_id = sender_agency_id
        self.due_at = due_at
        self.delivered = False
        self.acknowledged = False
        self.escalated = False

    @classmethod
    def issue(
        cls,
        *,
        municipality_id: UUID,
        child_id: UUID,
        signal_id: UUID,
        recipient_agency_id: UUID,
        recipient_kind: str,
        sender_agency_id: UUID,
        author_id: UUID,
        observed_at: datetime,
        recorded_at: datetime,
        intervention: dict,
        details: str,
        policy: SchoolDayPolicy,
    ) -> Notification:
        """Issue the notice, due before the next school day starts after it was recorded.

        It cannot be due before safehub knew of it, so the due time counts from the
        recording; the due time counted from the intervention itself is kept beside it, and
        the two differ when the police recorded it after that school day had begun.
        """
        return cls(
            municipality_id=municipality_id,
            child_id=child_id,
            signal_id=signal_id,
            recipient_agency_id=recipient_agency_id,
            recipient_kind=recipient_kind,
            sender_agency_id=sender_agency_id,
            author_id=author_id,
            observed_at=observed_at,
            due_at=next_school_day_start(max(recorded_at, observed_at), policy),
            due_by_observation=next_school_day_start(observed_at, policy),
            intervention=intervention,
            details=details,
            policy_version=policy.version,
        )

    def deliver(self, user_id: UUID, channel: str = "api") -> bool:
        """Record that the recipient's system received the notice (once); say whether it was new."""
        if self.delivered:
            return False
        self._delivered(user_id=user_id, channel=channel)
        return True

    @event(Delivered)
    def _delivered(self, user_id: UUID, channel: str) -> None:
        self.delivered = True

    def acknowledge(self, user_id: UUID, note: str = "") -> None:
        """A person at the recipient agency confirms they have read it (delivery implied)."""
        if self.acknowledged:
            raise Conflict("the notice was already acknowledged")
        self.deliver(user_id)
        self._acknowledged(user_id=user_id, note=check_text("note", note, _LONG), subject_ids=[self.child_id])

    @event(Acknowledged)
    def _acknowledged(self, user_id: UUID, note: str | None, subject_ids: list[UUID]) -> None:
        self.acknowledged = True

    def escalate(self, now: datetime, team_agency_ids: list[UUID], withdrawn: bool = False) -> bool:
        """Escalate once to the team coordinator when unacknowledged past the due time.

        A notice whose signal the police ``withdrawn`` (retracted) is not escalated.
        """
        if self.acknowledged or self.escalated or withdrawn or now <= self.due_at:
            return False
        self._escalated(team_agency_ids=list(team_agency_ids), overdue_since=self.due_at)
        return True

    @event(Escalated)
    def _escalated(self, team_agency_ids: list[UUID], overdue_since: datetime) -> None:
        self.escalated = True

    @property
    def status(self) -> str:
        """acknowledged, escalated (still unacknowledged), delivered or pending."""
        if self.acknowledged:
            return "acknowledged"
        if self.escalated:
            return "escalated"
        return "delivered" if self.delivered else "pending"
