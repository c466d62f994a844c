"""The mapper that seals personal fields with the subject's own key before storing an event.

Sealed fields leave the event's state and travel as one encrypted box; the whole stored
state is then encrypted again with the application key. When the subject's key has been
destroyed the box cannot be opened: the event comes back with those fields set to None,
so replays, projections and exports carry only the non-personal skeleton.

A text about several persons (``SUBJECTS_OF``: a Blue Card's account concerns each victim
and each suspected perpetrator) is sealed in a version-2 box under every one of their keys
at once, by n-of-n secret sharing: the fields are encrypted with a fresh random data key,
the data key is the XOR of one random share per person, and each share is sealed under
that person's own key. Destroying any one key loses its share, and with it the data key,
so erasing any one person closes the box; the box grows by one small share per person
(never by nesting ciphertexts). A version-1 box (one ``subject``, no ``v``) still opens.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Sequence
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.domain import Snapshot
from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import get_topic

from domain.personal_data import PERSONAL_FIELDS, PERSONAL_SNAPSHOT_FIELDS, SUBJECT_OF, SUBJECTS_OF
from services.adapters.keys import KeyErased, SubjectKeys

SEALED = "_sealed"
#: The box format of a text sealed under several persons' keys (secret-shared data key).
MULTI = 2
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
        elif type(domain_event) in SUBJECTS_OF:
            subjects = subjects_named(state, SUBJECTS_OF[type(domain_event)])
            if not subjects:  # about no person: stored as it is
                return super().to_stored_event(domain_event)
            state[SEALED] = self._seal_many(subjects, state, PERSONAL_FIELDS.get(type(domain_event), ()))
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
            self._open_box(event.originator_id, state, sealed)
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
                    boxes.append((event.originator_id, state, sealed))
            elif isinstance(event, Snapshot) and isinstance(state.get("state"), dict) and SEALED in state["state"]:
                inner = dict(state["state"])
                sealed = inner.pop(SEALED)
                state["state"] = inner
                if personal:
                    boxes.append((event.originator_id, inner, sealed))
        if boxes:  # every subject of a shared box is needed to open it: fetch them all
            self.keys.prefetch(
                {str(s) for originator, _, sealed in boxes for s in _subjects_of_box(originator, sealed)}
            )
            for originator, state, sealed in boxes:
                self._open_box(originator, state, sealed)
        return events

    def _seal(self, subject: Any, state: dict, fields: tuple[str, ...]) -> dict:
        personal = {f: state.pop(f) for f in fields if f in state}
        return {
            "fields": list(personal),
            "subject": str(subject),
            "box": self.keys.seal(subject, self.transcoder.encode(personal)),
        }

    def _seal_many(self, subjects: list[str], state: dict, fields: tuple[str, ...]) -> dict:
        """Seal under every subject's key: any one key destroyed and the box stays shut.

        A subject already erased cannot take a share (its key is gone), and the text is
        sealed under the others' keys: a group's work for a sibling goes on after one child
        of the family was erased. With nobody left the text is not kept at all (its fields
        come back None, as they would read after the erasure).
        """
        personal = {f: state.pop(f) for f in fields if f in state}
        living, sealed_shares, shares = [], [], []
        for subject in subjects:
            share = os.urandom(32)
            try:
                sealed_shares.append(self.keys.seal(UUID(subject), share))
            except KeyErased:
                continue
            living.append(subject)
            shares.append(share)
        box = {"v": MULTI, "fields": list(personal), "subjects": living}
        if not living:
            return {**box, "shares": None, "box": None}
        nonce = os.urandom(12)
        ciphertext = AESGCM(_xor(shares)).encrypt(nonce, self.transcoder.encode(personal), None)
        return {**box, "shares": sealed_shares, "box": base64.b64encode(nonce + ciphertext).decode()}

    def _open_box(self, originator: Any, state: dict, sealed: dict) -> None:
        if sealed.get("v") == MULTI:
            self._open_many(state, sealed)
        else:
            self._open(sealed.get("subject", originator), state, sealed)

    def _open_many(self, state: dict, sealed: dict) -> None:
        shares = []
        for subject, share in zip(sealed["subjects"], sealed.get("shares") or [], strict=False):
            opened = self.keys.open(UUID(subject), share)
            if opened is None:
                break
            shares.append(opened)
        if not sealed.get("box") or len(shares) != len(sealed["subjects"]):
            state.update(dict.fromkeys(sealed["fields"]))
            return
        raw = base64.b64decode(sealed["box"])
        state.update(self.transcoder.decode(AESGCM(_xor(shares)).decrypt(raw[:12], raw[12:], None)))

    def _open(self, subject: Any, state: dict, sealed: dict) -> None:
        plaintext = self.keys.open(UUID(str(subject)), sealed["box"])
        if plaintext is None:
            state.update(dict.fromkeys(sealed["fields"]))
        else:
            state.update(self.transcoder.decode(plaintext))


def subjects_named(state: dict, attributes: tuple[str, ...]) -> list[str]:
    """The distinct persons an event's attributes name (a UUID or a list of them), in order."""
    found: list[str] = []
    for attribute in attributes:
        value = state.get(attribute)
        for item in value if isinstance(value, list | tuple) else [value]:
            if item is not None and str(item) not in found:
                found.append(str(item))
    return found


def _subjects_of_box(originator: Any, sealed: dict) -> list[Any]:
    if sealed.get("v") == MULTI:
        return list(sealed["subjects"])
    return [sealed.get("subject", originator)]


def _xor(shares: list[bytes]) -> bytes:
    out = 0
    for share in shares:
        out ^= int.from_bytes(share, "big")
    return out.to_bytes(32, "big")
