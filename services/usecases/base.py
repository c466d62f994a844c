"""What every use-case class shares: the store, the clock and the municipality's time zone."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from typing import Protocol
from uuid import UUID
from zoneinfo import ZoneInfo

from domain.access import Actor, ChildAccess
from services.adapters.event_store import SafehubStore


class Gate(Protocol):
    """What a use case asks of the child gate (``services.usecases.gate.ChildGate``).

    Declared here so the base needs no import of the gate, whose read audit is itself a
    use case on this base.
    """

    def open(self, actor: Actor, child_ids: Iterable[UUID | str], *, caught_up: bool = False) -> ChildAccess:
        """The grounds on which ``actor`` reads these records of one child."""
        ...

    def logged(
        self,
        access: ChildAccess,
        child_ids: Iterable[UUID | str],
        view: str,
        *,
        withheld: Iterable[str] = (),
        detail: str = "",
    ) -> None:
        """Write the read to the audit; raising refuses the read."""
        ...

    def read(self, actor: Actor, child_ids: Iterable[UUID | str], view: str, *, detail: str = "") -> ChildAccess:
        """Open and log in one step."""
        ...


def _utc_now() -> datetime:
    return datetime.now(UTC)


class UseCase:
    """Base of the use-case classes; ``today`` is the date where the people are, not UTC's."""

    def __init__(
        self,
        store: SafehubStore,
        clock: Callable[[], datetime] | None = None,
        timezone: str = "Europe/Warsaw",
        *,
        gate: Gate | None = None,
    ):
        self.store = store
        self.clock = clock or _utc_now
        self.zone = ZoneInfo(timezone)
        #: The read audit and grounds for child data this use case hands out (given by bootstrap).
        self.gate = gate

    def audited(self, actor: Actor, child_ids: Iterable[UUID | str], view: str) -> None:
        """Log a read of these children's data before it is answered (no gate, no answer)."""
        if self.gate is None:
            raise RuntimeError(f"{type(self).__name__}.gate is wired by services.bootstrap")
        self.gate.read(actor, child_ids, view)

    def today(self) -> date:
        """Today in the municipality's time zone."""
        return self.clock().astimezone(self.zone).date()
