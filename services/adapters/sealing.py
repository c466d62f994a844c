"""The mapper that seals personal fields with the subject's own key before storing an event.

Sealed fields leave the event's state and travel as one encrypted box; the whole stored
state is then encrypted again with the application key. When the subject's key has been
destroyed the box cannot be opened: the event comes back with those fields set to None,
so replays, projections and exports carry only the non-personal skeleton.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from eventsourcing.domain import Snapshot
from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import get_topic

from domain.personal_data import PERSONAL_FIELDS, PERSONAL_SNAPSHOT_FIELDS, SUBJECT_OF
from services.adapters.keys import SubjectKeys

SEALED = "_sealed"
_SNAPSHOT_FIELDS = {get_topic(cls): fields for cls, fields in PERSONAL_SNAPSHOT_FIELDS.items()}


class UnstorableText(ValueError):
    """An event reached the store with text that cannot be encoded: a bug in an input check."""


class SealingMapper(Mapper):
    """A Mapper that seals the fields ``domain.personal_data`` names, per subject."""

    def __init__(self, *args: Any, keys: SubjectKeys, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.keys = keys

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        """Seal personal fields, then store as usual.

        Text no encoder can write (an unpaired surrogate) is refused by the input schemas and
        the domain's text checks long before this; should any slip past them, the failure
        names the event type (never the text) so the missing check is found at once.
        """
        try:
            return self._to_stored_event(domain_event)
        except UnicodeEncodeError as e:
            raise UnstorableText(
                f"{type(domain_event).__name__} holds text no store can encode (an unpaired surrogate); "
                "an input check should have refused it"
            ) from e

    def _to_stored_event(self, domain_event: Any) -> StoredEvent:
        state = dict(vars(domain_event))
        subject = state["originator_id"]
        if isinstance(domain_event, Snapshot) and domain_event.topic in _SNAPSHOT_FIELDS:
            inner = dict(state["state"])
            inner[SEALED] = self._seal(subject, inner, _SNAPSHOT_FIELDS[domain_event.topic])
            state["state"] = inner
        elif type(domain_event) in PERSONAL_FIELDS:
            subject = state.get(SUBJECT_OF.get(type(domain_event), "originator_id"), subject)
            state[SEALED] = self._seal(subject, state, PERSONAL_FIELDS[type(domain_event)])
        else:
            return super().to_stored_event(domain_event)
        proxy = object.__new__(type(domain_event))
        object.__setattr__(proxy, "__dict__", state)
        return super().to_stored_event(proxy)

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        """Load as usual, then open the box (or leave the personal fields empty)."""
        event = super().to_domain_event(stored_event)
        state = vars(event)
        if SEALED in state:
            sealed = state.pop(SEALED)
            self._open(sealed.get("subject", event.originator_id), state, sealed)
        elif isinstance(event, Snapshot) and isinstance(state.get("state"), dict) and SEALED in state["state"]:
            inner = dict(state["state"])
            self._open(event.originator_id, inner, inner.pop(SEALED))
            state["state"] = inner
        return event

    def to_domain_events(self, stored_events: Sequence[StoredEvent], *, personal: bool = True) -> list[Any]:
        """Load many events at once: the keys their boxes need are fetched together first.

        With ``personal=False`` (a reader that never uses personal data, such as the risk
        and programme projections) the boxes are not opened at all: the personal fields
        are simply absent from the events, so a reader that did use one would fail loudly
        rather than read a wrong value, and no key is looked up.
        """
        events = [Mapper.to_domain_event(self, s) for s in stored_events]
        boxes: list[tuple[Any, dict, dict]] = []
        for event in events:
            state = vars(event)
            if SEALED in state:
                sealed = state.pop(SEALED)
                if personal:
                    boxes.append((sealed.get("subject", event.originator_id), state, sealed))
            elif isinstance(event, Snapshot) and isinstance(state.get("state"), dict) and SEALED in state["state"]:
                inner = dict(state["state"])
                sealed = inner.pop(SEALED)
                state["state"] = inner
                if personal:
                    boxes.append((event.originator_id, inner, sealed))
        if boxes:
            self.keys.prefetch({str(subject) for subject, _, _ in boxes})
            for subject, state, sealed in boxes:
                self._open(subject, state, sealed)
        return events

    def _seal(self, subject: Any, state: dict, fields: tuple[str, ...]) -> dict:
        personal = {f: state.pop(f) for f in fields if f in state}
        return {
            "fields": list(personal),
            "subject": str(subject),
            "box": self.keys.seal(subject, self.transcoder.encode(personal)),
        }

    def _open(self, subject: Any, state: dict, sealed: dict) -> None:
        plaintext = self.keys.open(UUID(str(subject)), sealed["box"])
        if plaintext is None:
            state.update(dict.fromkeys(sealed["fields"]))
        else:
            state.update(self.transcoder.decode(plaintext))
