"""The family assistant's monthly time card (miesięczna karta czasu pracy asystenta rodziny).

One card per assistant per month: entries of date, from-to time, hours, place and topic
for one family each; the assistant submits it and the coordinator accepts it or returns
it with a reason. Impossible entries (end before start, overlapping times, a day of
another month or of the future, anything after acceptance) are refused naming the field.

An entry's place, topic and participants (and a removal's reason) are about the family met:
they are sealed under the keys of the entry's children (``domain.personal_data``), so an
erasure leaves them None while the dates and hours stay.
"""

from __future__ import annotations

from datetime import date, time
from uuid import UUID, uuid4, uuid5

from eventsourcing.domain import Aggregate, event

from domain.errors import Conflict, InvalidInput, NotFound
from domain.field_checks import check_text

_NAMESPACE = UUID("0b7d3c55-9a61-4c1e-8f4e-2d6a1f3c9b70")
MAX_TEXT = 2_000
MAX_ENTRIES = 500
OPEN, SUBMITTED, ACCEPTED, RETURNED = "open", "submitted", "accepted", "returned"


def check_month(month: str) -> str:
    """A month is written YYYY-MM."""
    try:
        parsed = date.fromisoformat(f"{month}-01")
    except (TypeError, ValueError):
        raise InvalidInput.one("month", "must be a month written YYYY-MM") from None
    if len(month) != 7 or parsed.year < 2000:
        raise InvalidInput.one("month", "must be a month written YYYY-MM")
    return month


def family_key(help_plan_id: UUID | None, child_ids: list[UUID]) -> str:
    """Name the family an entry is for: its help plan, or the set of children."""
    if help_plan_id is not None:
        return f"plan:{help_plan_id}"
    return "children:" + ",".join(sorted(str(c) for c in child_ids))


def hhmm(moment: time) -> str:
    """Write a time of day as HH:MM."""
    return moment.strftime("%H:%M")


def minutes_of(text: str) -> int:
    """Minutes since midnight of an HH:MM time."""
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


class TimeCard(Aggregate):
    """One assistant's month of work with families."""

    class Opened(Aggregate.Created):
        municipality_id: UUID
        assistant_id: UUID
        agency_id: UUID
        month: str

    class EntryAdded(Aggregate.Event):
        entry_id: UUID
        day: date
        start: str
        end: str
        minutes: int
        place: str | None
        topic: str | None
        participants: str | None
        help_plan_id: UUID | None
        child_ids: list[UUID]

    class EntryRemoved(Aggregate.Event):
        """Version 2: names the removed entry's children, whose keys seal the reason (``subject_ids``)."""

        class_version = 2
        entry_id: UUID
        reason: str | None
        subject_ids: list[UUID]

        @staticmethod
        def upcast_v1_v2(state: dict) -> None:
            """Version 1 named no children (it was stored unsealed)."""
            state["subject_ids"] = []

    class Submitted(Aggregate.Event):
        author_id: UUID

    class Accepted(Aggregate.Event):
        coordinator_id: UUID
        note: str

    class Returned(Aggregate.Event):
        coordinator_id: UUID
        reason: str

    @staticmethod
    def create_id(assistant_id: UUID, month: str) -> UUID:
        """One card per assistant per month: the id derives from both."""
        return uuid5(_NAMESPACE, f"time_card:{assistant_id}:{month}")

    @event(Opened)
    def __init__(self, municipality_id: UUID, assistant_id: UUID, agency_id: UUID, month: str):
        self.municipality_id = municipality_id
        self.assistant_id = assistant_id
        self.agency_id = agency_id
        self.month = month
        self.entries: dict[str, dict] = {}
        self.status = OPEN
        self.decision: dict | None = None

    @classmethod
    def open(cls, *, municipality_id: UUID, assistant_id: UUID, agency_id: UUID, month: str, today: date) -> TimeCard:
        """Open the card for a month that has begun."""
        month = check_month(month)
        if month > today.strftime("%Y-%m"):
            raise InvalidInput.one("month", "has not begun yet")
        return cls(municipality_id=municipality_id, assistant_id=assistant_id, agency_id=agency_id, month=month)

    # --- entries -------------------------------------------------------------------

    def add_entry(
        self,
        *,
        day: date,
        start: time,
        end: time,
        place: str,
        topic: str,
        today: date,
        help_plan_id: UUID | None = None,
        child_ids: list[UUID] | None = None,
        participants: str = "",
    ) -> UUID:
        """Record one meeting with a family, refusing impossible times by field."""
        self._refuse_unless_editable("date")
        child_ids = list(child_ids or [])
        errors: dict[str, list[str]] = {}
        if day.strftime("%Y-%m") != self.month:
            errors["date"] = [f"is not in {self.month}, the month of this card"]
        elif day > today:
            errors["date"] = ["must not be in the future"]
        start_text, end_text = hhmm(start), hhmm(end)
        if end <= start:
            errors["end"] = [f"must be after start ({start_text})"]
        elif "date" not in errors:
            clash = self._overlapping(day, minutes_of(start_text), minutes_of(end_text))
            if clash:
                errors["start"] = [f"overlaps the entry {clash['start']}-{clash['end']} on {clash['date']}"]
        if help_plan_id is None and not child_ids:
            errors["family"] = ["give help_plan_id or child_ids: whose family the meeting was with"]
        if len(self.entries) >= MAX_ENTRIES:
            errors["date"] = [f"a card holds at most {MAX_ENTRIES} entries"]
        for field, value in (("place", place), ("topic", topic)):
            try:
                check_text(field, value, MAX_TEXT, required=True)
            except InvalidInput as e:
                errors.update(e.errors)
        if errors:
            raise InvalidInput(errors)
        entry_id = uuid4()
        self._entry_added(
            entry_id=entry_id,
            day=day,
            start=start_text,
            end=end_text,
            minutes=minutes_of(end_text) - minutes_of(start_text),
            place=place.strip(),
            topic=topic.strip(),
            participants=check_text("participants", participants, MAX_TEXT),
            help_plan_id=help_plan_id,
            child_ids=child_ids,
        )
        return entry_id

    @event(EntryAdded)
    def _entry_added(
        self,
        entry_id: UUID,
        day: date,
        start: str,
        end: str,
        minutes: int,
        place: str | None,
        topic: str | None,
        participants: str | None,
        help_plan_id: UUID | None,
        child_ids: list[UUID],
    ) -> None:
        self.entries[str(entry_id)] = {
            "id": str(entry_id),
            "date": day.isoformat(),
            "start": start,
            "end": end,
            "minutes": minutes,
            "place": place,
            "topic": topic,
            "participants": participants,
            "help_plan_id": str(help_plan_id) if help_plan_id else None,
            "child_ids": [str(c) for c in child_ids],
            "family": family_key(help_plan_id, child_ids),
        }

    def remove_entry(self, entry_id: UUID, reason: str) -> None:
        """Take back an entry made in error (only while the card is not with the coordinator)."""
        self._refuse_unless_editable("entry_id")
        if str(entry_id) not in self.entries:
            raise NotFound(f"entry {entry_id} is not on this card")
        self._entry_removed(
            entry_id=entry_id,
            reason=check_text("reason", reason, MAX_TEXT, required=True),
            subject_ids=[UUID(c) for c in self.entries[str(entry_id)]["child_ids"]],
        )

    @event(EntryRemoved)
    def _entry_removed(self, entry_id: UUID, reason: str | None, subject_ids: list[UUID]) -> None:
        del self.entries[str(entry_id)]

    # --- submission and the coordinator's decision --------------------------------------

    def submit(self, author_id: UUID) -> None:
        """Hand the card to the coordinator."""
        if self.status not in (OPEN, RETURNED):
            raise Conflict(f"the card is {self.status}")
        if not self.entries:
            raise InvalidInput.one("entries", "a card with no entries cannot be submitted")
        self._submitted(author_id=author_id)

    @event(Submitted)
    def _submitted(self, author_id: UUID) -> None:
        self.status = SUBMITTED

    def accept(self, coordinator_id: UUID, note: str = "") -> None:
        """The coordinator accepts a submitted card; it is closed from then on."""
        if self.status != SUBMITTED:
            raise Conflict(f"only a submitted card can be accepted; this one is {self.status}")
        self._accepted(coordinator_id=coordinator_id, note=check_text("note", note, MAX_TEXT))

    @event(Accepted)
    def _accepted(self, coordinator_id: UUID, note: str) -> None:
        self.status = ACCEPTED
        self.decision = {"decision": ACCEPTED, "coordinator_id": str(coordinator_id), "note": note}

    def return_to_assistant(self, coordinator_id: UUID, reason: str) -> None:
        """The coordinator returns a submitted card with a reason; the assistant corrects it."""
        if self.status != SUBMITTED:
            raise Conflict(f"only a submitted card can be returned; this one is {self.status}")
        self._returned(coordinator_id=coordinator_id, reason=check_text("reason", reason, MAX_TEXT, required=True))

    @event(Returned)
    def _returned(self, coordinator_id: UUID, reason: str) -> None:
        self.status = RETURNED
        self.decision = {"decision": RETURNED, "coordinator_id": str(coordinator_id), "note": reason}

    # --- reading -----------------------------------------------------------------------

    def sorted_entries(self) -> list[dict]:
        """Entries in the order they happened."""
        return sorted(self.entries.values(), key=lambda e: (e["date"], e["start"]))

    def minutes_by_family(self) -> dict[str, int]:
        """Total minutes per family."""
        totals: dict[str, int] = {}
        for entry in self.entries.values():
            totals[entry["family"]] = totals.get(entry["family"], 0) + entry["minutes"]
        return totals

    def total_minutes(self) -> int:
        """The month's total."""
        return sum(e["minutes"] for e in self.entries.values())

    def _overlapping(self, day: date, start: int, end: int) -> dict | None:
        for entry in self.sorted_entries():
            if (
                entry["date"] == day.isoformat()
                and start < minutes_of(entry["end"])
                and minutes_of(entry["start"]) < end
            ):
                return entry
        return None

    def _refuse_unless_editable(self, field: str) -> None:
        if self.status == ACCEPTED:
            raise InvalidInput.one(
                field, f"the card for {self.month} was accepted by the coordinator; it can no longer change"
            )
        if self.status == SUBMITTED:
            raise InvalidInput.one(
                field, f"the card for {self.month} is with the coordinator; it can change only if returned"
            )
