"""What every use-case class shares: the store, the clock and the municipality's time zone."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING
from uuid import UUID
from zoneinfo import ZoneInfo

from domain.access import Actor
from services.adapters.event_store import SafehubStore

if TYPE_CHECKING:
    from services.usecases.gate import ChildGate


class UseCase:
    """Base of the use-case classes; ``today`` is the date where the people are, not UTC's."""

    def __init__(self, store: SafehubStore, clock: Callable[[], datetime], timezone: str = "Europe/Warsaw"):
        self.store = store
        self.clock = clock
        self.zone = ZoneInfo(timezone)

    #: The read audit and grounds for child data this use case hands out (wired by bootstrap).
    gate: ChildGate | None = None

    def audited(self, actor: Actor, child_ids: Iterable[UUID | str], view: str) -> None:
        """Log a read of these children's data before it is answered (no gate, no answer)."""
        if self.gate is None:
            raise RuntimeError(f"{type(self).__name__}.gate is wired by services.bootstrap")
        self.gate.read(actor, child_ids, view)

    def today(self) -> date:
        """Today in the municipality's time zone."""
        return self.clock().astimezone(self.zone).date()
