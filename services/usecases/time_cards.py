"""Use cases for family assistants' monthly time cards and the monthly service reports.

A card's entries name the families met (children, a help plan's household): every answer
that shows entries (a card, the month's cards, the totals per family, the service report,
and each write's answer) logs a read of the children it names. The assistant reads its
own cards; the coordinator and the auditor every card of the municipality.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, time
from uuid import UUID

from domain.access import Action, Actor, require, require_same_municipality
from domain.agencies import Role, User
from domain.children import Child
from domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from domain.help_plans import HelpPlan
from domain.time_cards import TimeCard, check_month
from services.adapters.event_store import retry_on_conflict
from services.usecases.base import UseCase
from services.usecases.list_reads import log_children
from services.usecases.loading import bucket, find, listed


def hours(minutes: int) -> float:
    """Minutes as hours, to the hundredth."""
    return round(minutes / 60, 2)


class TimeCards(UseCase):
    """Karta czasu pracy asystenta rodziny: entries, totals, the coordinator's acceptance."""

    # --- the assistant ---------------------------------------------------------------

    def open(self, actor: Actor, month: str) -> dict:
        """Open the caller's card for a month; a second card for the same month is refused."""
        require(actor, Action.KEEP_TIME_CARD)
        card_id = TimeCard.create_id(actor.user_id, check_month(month))
        if self._find(card_id) is not None:
            raise Conflict(f"you already have a card for {month}", existing_id=str(card_id))

        def attempt() -> TimeCard:
            card = TimeCard.open(
                municipality_id=actor.municipality_id,
                assistant_id=actor.user_id,
                agency_id=actor.agency_id,
                month=month,
                today=self.today(),
            )
            listing = bucket(self.store, f"time_cards:{actor.municipality_id}:{month}")
            listing.add(card.id)
            self.store.save(card, listing)
            return card

        return self._view(retry_on_conflict(attempt, on_conflict=lambda: self._refuse_existing(card_id, month)))

    def add_entry(
        self,
        actor: Actor,
        card_id: UUID,
        *,
        date: date,
        start: time,
        end: time,
        place: str,
        topic: str,
        participants: str = "",
        help_plan_id: UUID | None = None,
        child_ids: list[UUID] | None = None,
    ) -> dict:
        """Add a meeting with a family to the caller's own card."""
        require(actor, Action.KEEP_TIME_CARD)
        child_ids = self._family(actor, help_plan_id, list(child_ids or []))

        def attempt() -> TimeCard:
            card = self._own(actor, card_id)
            card.add_entry(
                day=date,
                start=start,
                end=end,
                place=place,
                topic=topic,
                today=self.today(),
                help_plan_id=help_plan_id,
                child_ids=child_ids,
                participants=participants,
            )
            self.store.save(card)
            return card

        return self._answer(actor, retry_on_conflict(attempt))

    def remove_entry(self, actor: Actor, card_id: UUID, entry_id: UUID, reason: str) -> dict:
        """Take back an entry made in error, saying why."""
        require(actor, Action.KEEP_TIME_CARD)
        return self._change(actor, card_id, lambda card: card.remove_entry(entry_id, reason), own=True)

    def submit(self, actor: Actor, card_id: UUID) -> dict:
        """Hand the card to the coordinator."""
        require(actor, Action.KEEP_TIME_CARD)
        return self._change(actor, card_id, lambda card: card.submit(actor.user_id), own=True)

    # --- the coordinator -----------------------------------------------------------------

    def accept(self, actor: Actor, card_id: UUID, note: str = "") -> dict:
        """Accept a submitted card (akceptacja koordynatora)."""
        require(actor, Action.ACCEPT_TIME_CARD)
        return self._change(actor, card_id, lambda card: card.accept(actor.user_id, note))

    def return_card(self, actor: Actor, card_id: UUID, reason: str) -> dict:
        """Return a submitted card to the assistant with a reason."""
        require(actor, Action.ACCEPT_TIME_CARD)
        return self._change(actor, card_id, lambda card: card.return_to_assistant(actor.user_id, reason))

    # --- reading ----------------------------------------------------------------------

    def get(self, actor: Actor, card_id: UUID) -> dict:
        """Return a card with its entries and totals."""
        card = self._readable(actor, card_id)
        log_children(self.gate, actor, _children(card), "time_card")
        return self._view(card)

    def list_cards(self, actor: Actor, month: str) -> list[dict]:
        """The month's cards: an assistant sees its own, the coordinator and auditor every one."""
        require(actor, Action.READ_TIME_CARDS)
        cards = self._month(actor, check_month(month))
        log_children(self.gate, actor, [c for card in cards for c in _children(card)], "time_cards")
        return [self._view(c) for c in cards]

    def totals(self, actor: Actor, month: str) -> dict:
        """Monthly totals per assistant and per family (over the cards the caller may read)."""
        require(actor, Action.READ_TIME_CARDS)
        cards = self._month(actor, check_month(month))
        families: dict[str, dict] = {}
        for card in cards:
            for key, minutes in card.minutes_by_family().items():
                row = families.setdefault(key, {**self._family_label(card, key), "minutes": 0})
                row["minutes"] += minutes
        per_family = [{**row, "hours": hours(row["minutes"])} for row in families.values()]
        log_children(self.gate, actor, [c for row in per_family for c in row["child_ids"]], "time_card_totals")
        per_assistant = [
            {
                "card_id": str(c.id),
                "assistant_id": str(c.assistant_id),
                "assistant": self._user_name(c.assistant_id),
                "status": c.status,
                "minutes": c.total_minutes(),
                "hours": hours(c.total_minutes()),
            }
            for c in cards
        ]
        total = sum(c.total_minutes() for c in cards)
        return {
            "month": month,
            "per_assistant": per_assistant,
            "per_family": sorted(per_family, key=lambda r: r["family"]),
            "total_minutes": total,
            "total_hours": hours(total),
        }

    def report(self, actor: Actor, card_id: UUID) -> dict:
        """The monthly service report per family (karta realizacji usługi asystenta rodziny)."""
        card = self._readable(actor, card_id)
        log_children(self.gate, actor, _children(card), "time_card_report")
        families: dict[str, list[dict]] = {}
        for entry in card.sorted_entries():
            families.setdefault(entry["family"], []).append(entry)
        reports = []
        for key, entries in families.items():
            minutes = sum(e["minutes"] for e in entries)
            reports.append(
                {**self._family_label(card, key), "entries": entries, "minutes": minutes, "hours": hours(minutes)}
            )
        return {
            "card_id": str(card.id),
            "month": card.month,
            "assistant_id": str(card.assistant_id),
            "assistant": self._user_name(card.assistant_id),
            "status": card.status,
            "decision": card.decision,
            "families": reports,
            "total_hours": hours(card.total_minutes()),
        }

    # --- helpers ---------------------------------------------------------------------

    def _change(self, actor: Actor, card_id: UUID, change: Callable[[TimeCard], None], own: bool = False) -> dict:
        def attempt() -> TimeCard:
            card = self._own(actor, card_id) if own else self._card(actor, card_id)
            change(card)
            self.store.save(card)
            return card

        return self._answer(actor, retry_on_conflict(attempt))

    def _find(self, card_id: UUID) -> TimeCard | None:
        return find(self.store, card_id, TimeCard)

    def _refuse_existing(self, card_id: UUID, month: str) -> None:
        if self._find(card_id) is not None:
            raise Conflict(f"you already have a card for {month}", existing_id=str(card_id))

    def _card(self, actor: Actor, card_id: UUID) -> TimeCard:
        card = self._find(card_id)
        if card is None:
            raise NotFound("time card not found")
        require_same_municipality(actor, card.municipality_id)
        return card

    def _own(self, actor: Actor, card_id: UUID) -> TimeCard:
        card = self._card(actor, card_id)
        if card.assistant_id != actor.user_id:
            if actor.role == Role.FAMILY_ASSISTANT.value:
                raise NotFound("time card not found")  # another assistant's card reads as none at all
            raise Forbidden("only the assistant whose card it is may change it")
        return card

    def _readable(self, actor: Actor, card_id: UUID) -> TimeCard:
        require(actor, Action.READ_TIME_CARDS)
        card = self._card(actor, card_id)
        if actor.role == Role.FAMILY_ASSISTANT.value and card.assistant_id != actor.user_id:
            # Alike for another assistant's card and no card: its id (which is derived from the
            # assistant and the month) confirms nothing.
            raise NotFound("time card not found")
        return card

    def _month(self, actor: Actor, month: str) -> list[TimeCard]:
        if actor.role == Role.FAMILY_ASSISTANT.value:
            own = self._find(TimeCard.create_id(actor.user_id, month))
            return [own] if own is not None else []
        refs = listed(self.store, f"time_cards:{actor.municipality_id}:{month}")
        return [self._card(actor, ref) for ref in refs]

    def _family(self, actor: Actor, help_plan_id: UUID | None, child_ids: list[UUID]) -> list[UUID]:
        """Check the family exists in the caller's municipality; a plan supplies its children."""
        if help_plan_id is not None:
            plan = self._get(help_plan_id)
            if not isinstance(plan, HelpPlan) or plan.municipality_id != actor.municipality_id:
                raise InvalidInput.one("help_plan_id", f"no help plan with id {help_plan_id} in this municipality")
            return child_ids or list(plan.child_ids)
        for i, child_id in enumerate(child_ids):
            child = self._get(child_id)
            if not isinstance(child, Child) or child.municipality_id != actor.municipality_id:
                raise InvalidInput.one(f"child_ids.{i}", f"no child with id {child_id} in this municipality")
        return child_ids

    def _get(self, aggregate_id: UUID) -> object | None:
        return find(self.store, aggregate_id)

    def _family_label(self, card: TimeCard, key: str) -> dict:
        """Name a family for people: its plan's household, or its children's names."""
        entry = next(e for e in card.entries.values() if e["family"] == key)
        plan = self._get(UUID(entry["help_plan_id"])) if entry["help_plan_id"] else None
        names = []
        for child_id in entry["child_ids"]:
            child = self._get(UUID(child_id))
            if isinstance(child, Child) and child.display_name():
                names.append(child.display_name())
        label = plan.household if isinstance(plan, HelpPlan) and plan.household else ", ".join(names)
        return {"family": key, "label": label, "help_plan_id": entry["help_plan_id"], "child_ids": entry["child_ids"]}

    def _user_name(self, user_id: UUID) -> str:
        user = self._get(user_id)
        return user.name if isinstance(user, User) else ""

    def _answer(self, actor: Actor, card: TimeCard) -> dict:
        """A write's answer: the whole card, so the read of the families on it is logged."""
        log_children(self.gate, actor, _children(card), "time_card")
        return self._view(card)

    def _view(self, card: TimeCard) -> dict:
        by_family = card.minutes_by_family()
        return {
            "id": str(card.id),
            "municipality_id": str(card.municipality_id),
            "assistant_id": str(card.assistant_id),
            "assistant": self._user_name(card.assistant_id),
            "month": card.month,
            "status": card.status,
            "decision": card.decision,
            "entries": [{**e, "hours": hours(e["minutes"])} for e in card.sorted_entries()],
            "totals": {
                "per_family": [{"family": k, "hours": hours(v), "minutes": v} for k, v in by_family.items()],
                "minutes": card.total_minutes(),
                "hours": hours(card.total_minutes()),
            },
        }


def _children(card: TimeCard) -> list[str]:
    """The children the card's entries name, in the order they first appear."""
    return list(dict.fromkeys(str(c) for e in card.sorted_entries() for c in e.get("child_ids") or []))
