"""What every use-case class shares: the store, the clock and the municipality's time zone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

from services.store import SafehubStore


class UseCase:
    """Base of the use-case classes; ``today`` is the date where the people are, not UTC's."""

    def __init__(self, store: SafehubStore, clock: Callable[[], datetime], timezone: str = "Europe/Warsaw"):
        self.store = store
        self.clock = clock
        self.zone = ZoneInfo(timezone)

    def today(self) -> date:
        """Today in the municipality's time zone."""
        return self.clock().astimezone(self.zone).date()
