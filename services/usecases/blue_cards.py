"""Use cases of the Blue Card procedure: form A to closure and post-closure reviews.

The coordinator (the team's chair) receives forms, assigns groups and closes cards; the
group's members record forms C and D, monitoring and reviews; an initiating service fills
in form A. Every refusal says why: 403 for who may not, 409 for a step out of order, 422
for a bad field; a card the caller takes no part in reads as one that does not exist (404
"blue card not found"), so a known or guessed id confirms nothing. Every answer carries
the card (its children, places and people): each is logged in the read audit as a
``blue_card`` read of the card's children, the step named in the line's detail.

Each adult on form A is registered as a ``Person`` (own key) in the same save as the card;
the card names them by id and the answers name them from their own records, so an erased
adult reads as None, as do the card's texts sealed under the keys of everyone on it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from uuid import UUID

from domain.access import Action, Actor, require
from domain.agencies import Role
from domain.blue_cards import BlueCard
from domain.children import Child
from domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from domain.groups import WorkingGroup
from services.adapters.event_store import SafehubStore, retry_on_conflict
from services.usecases.base import UseCase
from services.usecases.loading import bucket, listed, load
from services.usecases.persons import person_view, persons_of, register_adults, resolve
from services.usecases.presenters import plain


def is_chair(actor: Actor) -> bool:
    """The team's coordinator chairs the procedure."""
    return actor.role == Role.COORDINATOR.value


class BlueCards(UseCase):
    """The Blue Card procedure."""

    # --- form A ----------------------------------------------------------------------

    def fill_form_a(
        self,
        actor: Actor,
        *,
        incident_date: date,
        place: str,
        description: str,
        child_victim_ids: list[UUID] | None = None,
        adult_victims: list[str | dict] | None = None,
        perpetrators: list[str | dict] | None = None,
        filled_on: date | None = None,
    ) -> dict:
        """Open the procedure on reasonable suspicion; no consent is needed.

        Adults come as names or as objects (name, date of birth, relation, address); each
        becomes a person saved with the card.
        """
        require(actor, Action.FILL_FORM_A)
        child_victim_ids = list(child_victim_ids or [])
        for i, child_id in enumerate(child_victim_ids):
            try:
                load(self.store, Child, child_id, actor, "child")
            except NotFound:
                raise InvalidInput.one(f"child_victim_ids[{i}]", "no such child in this municipality") from None
        today = self.today()

        def build() -> tuple[BlueCard, list]:
            victims = register_adults(actor, adult_victims or [], "adult_victim", "adult_victims", today)
            accused = register_adults(actor, perpetrators or [], "perpetrator", "perpetrators", today)
            card = BlueCard.fill_form_a(
                municipality_id=actor.municipality_id,
                filled_by=actor.user_id,
                agency_id=actor.agency_id,
                agency_kind=actor.agency_kind,
                author_role=actor.role,
                filled_on=filled_on or today,
                incident_date=incident_date,
                place=place,
                description=description,
                child_victim_ids=child_victim_ids,
                adult_victim_ids=[p.id for p in victims],
                perpetrator_ids=[p.id for p in accused],
                today=today,
            )
            return card, [*victims, *accused]

        build()  # validate before touching the store

        def attempt() -> BlueCard:
            card, persons = build()
            listing = bucket(self.store, f"blue_cards:{actor.municipality_id}")
            listing.add(card.id)
            self.store.save(card, *persons, listing)
            return card

        return self._answer(actor, retry_on_conflict(attempt), "form_a")

    # --- reading -----------------------------------------------------------------------

    def get(self, actor: Actor, card_id: UUID) -> dict:
        """One card, to those who take part in it (and the chair and the auditor)."""
        require(actor, Action.READ_PROCEDURE)
        card = self.readable(actor, card_id)
        return self._answer(actor, card, "")

    def list(self, actor: Actor, status: str | None = None) -> list[dict]:
        """The cards the caller may see, oldest first."""
        require(actor, Action.READ_PROCEDURE)
        cards = []
        for card_id in listed(self.store, f"blue_cards:{actor.municipality_id}"):
            card = self.store.repository.get(card_id)
            if self._may_read(actor, card) and (status is None or card.status == status):
                cards.append(self._view(card))
        self.audited(actor, [c for card in cards for c in card["child_victim_ids"]], "blue_cards")
        return cards

    # --- the steps -----------------------------------------------------------------------

    def hand_form_b(self, actor: Actor, card_id: UUID, *, victim: str, note: str = "") -> dict:
        """Record form B handed to a victim (by whoever met the victim: author's agency, group, chair)."""
        require(actor, Action.FILL_FORM_A)
        return self._step(
            actor,
            card_id,
            "form_b",
            self._may_read,
            lambda card: card.hand_form_b(victim=self._person(card, victim), handed_by=actor.user_id, note=note),
        )

    def forward(self, actor: Actor, card_id: UUID, *, note: str = "") -> dict:
        """Form A reaches the chair: the chair records receipt, or the filling agency its sending."""
        require(actor, Action.READ_PROCEDURE)

        def may(a: Actor, card: BlueCard) -> bool:
            return is_chair(a) or (a.agency_id is not None and a.agency_id == card.agency_id)

        return self._step(
            actor, card_id, "forward", may, lambda card: card.forward_to_chair(forwarded_by=actor.user_id, note=note)
        )

    def assign_group(self, actor: Actor, card_id: UUID, group_id: UUID) -> dict:
        """The chair hands the card to an existing group (both record it, atomically)."""
        require(actor, Action.MANAGE_PROCEDURE)

        def attempt() -> BlueCard:
            card = load(self.store, BlueCard, card_id, actor, "blue card")
            try:
                group = load(self.store, WorkingGroup, group_id, actor, "working group")
            except NotFound:
                raise InvalidInput.one("group_id", "no such working group in this municipality") from None
            card.assign_group(group_id=group.id, assigned_by=actor.user_id)
            if group.blue_card_id != card.id:
                group.attach_card(
                    blue_card_id=card.id,
                    attached_by=actor.user_id,
                    subject_ids=[*card.child_victim_ids, *card.adult_victim_ids, *card.perpetrator_ids],
                )
            self.store.save(card, group)
            return card

        return self._answer(actor, retry_on_conflict(attempt), "group")

    def record_form_c(self, actor: Actor, card_id: UUID, *, victim: str, assessment: str, help_plan: str) -> dict:
        """Form C: the group's assessment and help plan, made with the victim."""
        require(actor, Action.RECORD_GROUP_WORK)
        return self._step(
            actor,
            card_id,
            "form_c",
            self._group_worker,
            lambda card: card.record_form_c(
                victim=self._person(card, victim),
                assessment=assessment,
                help_plan=help_plan,
                recorded_by=actor.user_id,
            ),
        )

    def record_form_d(
        self, actor: Actor, card_id: UUID, *, perpetrator: str, assessment: str, actions: str = ""
    ) -> dict:
        """Form D: made with the suspected perpetrator."""
        require(actor, Action.RECORD_GROUP_WORK)
        return self._step(
            actor,
            card_id,
            "form_d",
            self._group_worker,
            lambda card: card.record_form_d(
                perpetrator=self._person(card, perpetrator),
                assessment=assessment,
                actions=actions,
                recorded_by=actor.user_id,
            ),
        )

    def start_monitoring(self, actor: Actor, card_id: UUID, *, note: str = "") -> dict:
        """The group starts monitoring the family while the plan runs."""
        require(actor, Action.RECORD_GROUP_WORK)
        return self._step(
            actor,
            card_id,
            "monitoring",
            self._group_worker,
            lambda card: card.start_monitoring(started_by=actor.user_id, note=note),
        )

    def close(self, actor: Actor, card_id: UUID, *, reason: str, note: str = "") -> dict:
        """The chair closes the card for one of the two legal reasons."""
        require(actor, Action.MANAGE_PROCEDURE)
        return self._step(
            actor,
            card_id,
            "closure",
            lambda a, c: True,
            lambda card: card.close(reason=reason, note=note, closed_by=actor.user_id),
        )

    def record_review(self, actor: Actor, card_id: UUID, *, outcome: str, violence_recurred: bool = False) -> dict:
        """A post-closure monitoring review."""
        require(actor, Action.RECORD_GROUP_WORK)
        return self._step(
            actor,
            card_id,
            "review",
            self._group_worker,
            lambda card: card.record_review(
                outcome=outcome, violence_recurred=violence_recurred, recorded_by=actor.user_id
            ),
        )

    # --- helpers -------------------------------------------------------------------------

    def _step(
        self,
        actor: Actor,
        card_id: UUID,
        name: str,
        may: Callable[[Actor, BlueCard], bool],
        change: Callable[[BlueCard], None],
    ) -> dict:
        """One step: 404 to whoever may not read the card, 403 to a reader the step is not for."""

        def attempt() -> BlueCard:
            card = self.readable(actor, card_id)
            if not may(actor, card):
                raise Forbidden("you take no part in this card's procedure")
            change(card)
            self.store.save(card)
            return card

        return self._answer(actor, retry_on_conflict(attempt), name)

    def _answer(self, actor: Actor, card: BlueCard, step: str) -> dict:
        """The card as the answer carries it, its read logged for each child named on it."""
        if self.gate is None:
            raise RuntimeError("BlueCards.gate is wired by services.bootstrap")
        self.gate.read(actor, card.child_victim_ids, "blue_card", detail=step)
        return self._view(card)

    def _person(self, card: BlueCard, written: str) -> str:
        """An adult named by the name written on form A is recorded by their person id (no name in the step)."""
        ids = [*card.adult_victim_ids, *card.perpetrator_ids]
        return resolve(dict(zip(map(str, ids), persons_of(self.store, ids), strict=True)), written)

    def _group(self, card: BlueCard) -> WorkingGroup | None:
        return self.store.repository.get(card.group_id) if card.group_id else None

    def _group_worker(self, actor: Actor, card: BlueCard) -> bool:
        """The chair or a member of the card's group; before a group exists the step itself says why not."""
        if is_chair(actor):
            return True
        group = self._group(card)
        return group is None or group.is_member(actor.user_id)

    def _may_read(self, actor: Actor, card: BlueCard) -> bool:
        if actor.role in (Role.COORDINATOR.value, Role.AUDITOR.value):
            return True
        if actor.agency_id is not None and actor.agency_id == card.agency_id:
            return True
        group = self._group(card)
        return group is not None and group.is_member(actor.user_id)

    def readable(self, actor: Actor, card_id: UUID) -> BlueCard:
        """The card, if the caller takes part in it; otherwise it reads as one that does not exist."""
        card = load(self.store, BlueCard, card_id, actor, "blue card")
        if not self._may_read(actor, card):
            raise NotFound("blue card not found")
        return card

    def _view(self, card: BlueCard) -> dict:
        return card_view(self.store, card)


def card_view(store: SafehubStore, card: BlueCard) -> dict:
    """Present a card with its steps as recorded; an erased person's name and the sealed texts read None."""
    steps = []
    first: BlueCard.FormAFilled | None = None
    for e in store.events.get(card.id):
        if isinstance(e, BlueCard.FormAFilled):
            first = e
        data = {
            k: plain(v)
            for k, v in vars(e).items()
            if k not in ("originator_id", "originator_version", "timestamp", "originator_topic")
        }
        steps.append(
            {
                "step": type(e).__name__,
                "version": e.originator_version,
                "recorded_at": e.timestamp.isoformat(),
                "data": data,
            }
        )
    if first is None:
        raise Conflict("the card's form A is missing from its history")
    ids = [*card.adult_victim_ids, *card.perpetrator_ids]
    persons = [person_view(i, p) for i, p in zip(ids, persons_of(store, ids), strict=True)]
    named = {p["id"]: p["name"] for p in persons}
    return {
        "id": str(card.id),
        "municipality_id": str(card.municipality_id),
        "status": card.status,
        "filled_on": card.filled_on.isoformat(),
        "filled_by": str(card.filled_by),
        "agency_id": str(card.agency_id) if card.agency_id else None,
        "agency_kind": first.agency_kind,
        "incident_date": first.incident_date.isoformat(),
        "place": first.place,
        "description": first.description,
        "child_victim_ids": [str(c) for c in card.child_victim_ids],
        "adult_victims": card.adult_victims + [named[str(i)] for i in card.adult_victim_ids],
        "perpetrators": card.perpetrators + [named[str(i)] for i in card.perpetrator_ids],
        "adult_victim_ids": [str(i) for i in card.adult_victim_ids],
        "perpetrator_ids": [str(i) for i in card.perpetrator_ids],
        "persons": persons,
        "forwarded": card.forwarded,
        "group_id": str(card.group_id) if card.group_id else None,
        "forms_b": card.forms_b,
        "forms_c": card.forms_c,
        "forms_d": card.forms_d,
        "reviews": card.reviews,
        "steps": steps,
        "version": card.version,
    }
