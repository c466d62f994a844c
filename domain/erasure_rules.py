"""What a record that can be erased by two people does: the rules shared by a child's and an adult's record.

The events stay each aggregate's own (``Child.ErasureRequested``, ``Person.Erased``: their
topics are stored), so each aggregate keeps its two ``@event`` methods and calls
``_note_request`` / ``_note_decision`` from them; the checks before an event is
triggered, and the state it leaves, are written once here.
"""

from __future__ import annotations

from uuid import UUID

from domain.errors import Conflict, InvalidInput
from domain.field_checks import check_text

ERASURE_GROUNDS = ("retention_expired", "authorised_request")
MAX_REFERENCE = 200


class ErasableByTwo:
    """Mixin for an aggregate with ``erased`` and the events ``_erasure_requested`` and ``_erased``."""

    erased: bool
    #: The pending erasure request (requested_by, ground, reference); once erased, who asked and who approved.
    erasure_request: dict | None = None  # class defaults: records erased or asked before the field existed
    erasure_decision: dict | None = None

    def refuse_if_not_erasable(self) -> None:
        """Refuse a new erasure request: the record is erased already, or one awaits approval."""
        if self.erased:
            raise Conflict("the record was already erased")
        if self.erasure_request is not None:
            raise Conflict("an erasure of this record is already awaiting approval by a second person")

    def request_erasure(self, *, ground: str, reference: str, requested_by: UUID) -> None:
        """Record a request to erase; nothing is destroyed until a second person approves it."""
        self.refuse_if_not_erasable()
        self._erasure_requested(requested_by=requested_by, **_checked(ground, reference))  # type: ignore[attr-defined]

    def erase(self, *, ground: str, reference: str, author_id: UUID, author_role: str) -> None:
        """Record that the personal data is to be destroyed, and on what ground."""
        if self.erased:
            raise Conflict("the record was already erased")
        self._erased(author_id=author_id, author_role=author_role, **_checked(ground, reference))  # type: ignore[attr-defined]

    def _note_request(self, requested_by: UUID, ground: str, reference: str) -> None:
        self.erasure_request = {"requested_by": requested_by, "ground": ground, "reference": reference}

    def _note_decision(self, ground: str, reference: str, author_id: UUID) -> None:
        self.erased = True
        asked = self.erasure_request or {"requested_by": author_id}
        self.erasure_decision = {**asked, "ground": ground, "reference": reference, "approved_by": author_id}
        self.erasure_request = None


def _checked(ground: str, reference: str) -> dict:
    if ground not in ERASURE_GROUNDS:
        raise InvalidInput.one("ground", f"must be one of: {', '.join(ERASURE_GROUNDS)}")
    return {"ground": ground, "reference": check_text("reference", reference, MAX_REFERENCE, required=True)}
