"""Finding a child's record: the keyed PESEL pointer, the birth-date listings and similar names.

Split from ``services.usecases.children`` so the ChildRecords use case reads as the
permission-checked operations on a record, and this module as the look-up machinery they
share: the keys under which the store indexes children without holding a PESEL or a birth
date in clear, and the likely-duplicate search (a day off, day and month swapped, a name
spelt a little differently). ChildRecords builds one ``ChildSearch`` from its own store and
secret; nothing here checks permissions or writes the read audit, the caller does.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

from domain.children import Child
from domain.errors import Conflict
from domain.identity import LIKELY_DUPLICATE, is_same_name, name_similarity
from domain.indexes import Bucket, Pointer
from services.adapters.event_store import SafehubStore
from services.adapters.tokens import keyed_digest
from services.usecases.loading import bucket, find
from services.usecases.presenters import child_view


class ChildSearch:
    """Looks children up by PESEL, or by name and date of birth, in one store."""

    def __init__(self, store: SafehubStore, secret: bytes):
        self.store = store
        self.secret = secret

    def pesel_key(self, municipality_id: UUID, pesel: str) -> str:
        """The pointer key of a PESEL: a keyed digest, so the store never holds the number in clear."""
        return "pesel:" + keyed_digest(self.secret, str(municipality_id), pesel)

    def dob_key(self, municipality_id: UUID, dob: date) -> str:
        """The listing key of children born on a day (for likely-duplicate checks), keyed like the PESEL."""
        return "dob:" + keyed_digest(self.secret, str(municipality_id), dob.isoformat())

    def by_pesel(self, municipality_id: UUID, pesel: str) -> Child | None:
        """The child registered with this PESEL in the municipality, if any (an erased record is none)."""
        pointer = find(self.store, Pointer.create_id(self.pesel_key(municipality_id, pesel)), Pointer)
        child = None if pointer is None or pointer.ref is None else find(self.store, pointer.ref, Child)
        return None if child is None or child.erased else child

    def claim_pesel(self, municipality_id: UUID, pesel: str, child_id: UUID) -> Pointer:
        """The PESEL pointer, with the claim for ``child_id`` pending: new, or a released one taken again.

        A pointer still naming an erased record (erased before erasure released pointers)
        is released first. Racing claimants both write the same next version; one wins.
        """
        key = self.pesel_key(municipality_id, pesel)
        pointer = find(self.store, Pointer.create_id(key), Pointer)
        if pointer is None:
            return Pointer(key=key, ref=child_id)
        if pointer.ref is not None:
            held = find(self.store, pointer.ref, Child)
            if held is not None and not held.erased:
                raise Conflict("a child with this PESEL is already registered", existing_id=str(held.id))
            pointer.release()
        pointer.reclaim(child_id)
        return pointer

    def release(self, child: Child) -> list[Any]:
        """The look-ups of a record about to be erased, changed so they no longer find it (save them with it).

        Read before ``Child.erase`` clears the PESEL and birth date: the PESEL pointer is
        released (when it names this record) and the record leaves its birth-date listing.
        """
        changed: list[Any] = []
        if child.pesel:
            pointer = find(self.store, Pointer.create_id(self.pesel_key(child.municipality_id, child.pesel)), Pointer)
            if pointer is not None and pointer.ref == child.id:
                pointer.release()
                changed.append(pointer)
        if child.date_of_birth is not None:
            listing = find(
                self.store, Bucket.create_id(self.dob_key(child.municipality_id, child.date_of_birth)), Bucket
            )
            if listing is not None and child.id in listing.refs:
                listing.remove(child.id)
                changed.append(listing)
        return changed

    def refuse_known_pesel(self, municipality_id: UUID, pesel: str) -> None:
        """Refuse a second registration of a PESEL, naming the record that has it."""
        existing = self.by_pesel(municipality_id, pesel)
        if existing is not None:
            raise Conflict("a child with this PESEL is already registered", existing_id=str(existing.id))

    def matching(self, municipality_id: UUID, given_name: str, family_name: str, date_of_birth: date) -> list[dict]:
        """Children matching a look-up by name and date of birth, exact matches first."""
        return self.similar(_Probe(municipality_id, given_name, family_name, date_of_birth))

    def similar(self, probe: Child | _Probe) -> list[dict]:
        """Children with the same or a near birth date and a similar name, best first."""
        found: dict[UUID, dict] = {}
        for dob in _near_dates(probe.date_of_birth):
            listing = bucket(self.store, self.dob_key(probe.municipality_id, dob))
            for ref in listing.refs:
                other = self.store.repository.get(ref)
                if other.merged_into is not None or other.erased:
                    continue
                score = name_similarity(probe.given_name, probe.family_name, other.given_name, other.family_name)
                exact = dob == probe.date_of_birth and is_same_name(
                    probe.given_name, probe.family_name, other.given_name, other.family_name
                )
                if exact or score >= LIKELY_DUPLICATE:
                    reason = "same date of birth" if dob == probe.date_of_birth else "near date of birth"
                    found[ref] = {
                        **child_view(other),
                        "similarity": round(score, 3),
                        "match": "exact" if exact else "likely",
                        "reason": reason,
                    }
        return sorted(found.values(), key=lambda c: (c["match"] != "exact", -c["similarity"]))


#: What a likely duplicate shows of another record: enough to recognise the child (the name
#: and date of birth the searcher typed nearly the same) and its id to use it instead.
RECOGNISABLE = ("id", "given_name", "family_name", "date_of_birth", "erased", "similarity", "match", "reason")


def recognisable(candidate: dict) -> dict:
    """A likely duplicate as a searcher or registrant sees it: no PESEL, school, history or merges.

    Whoever registers a child or searches by name has typed a name and a birth date; a
    record that nearly matches is shown so they can tell whether it is the same child, and
    the read is logged. Its PESEL, school and merges would tell them more about another
    child than telling the two apart needs (finding 2 of issue 20).
    """
    return {k: candidate[k] for k in RECOGNISABLE if k in candidate}


class _Probe:
    """The fields of a look-up, shaped like a child for the similarity search."""

    def __init__(self, municipality_id: UUID, given_name: str, family_name: str, date_of_birth: date):
        self.municipality_id = municipality_id
        self.given_name = given_name
        self.family_name = family_name
        self.date_of_birth = date_of_birth


def _near_dates(dob: date) -> list[date]:
    """The birth date and the typing slips seen in registers: a day off, day and month swapped."""
    dates = [dob]
    for days in (-1, 1):
        try:
            dates.append(dob + timedelta(days=days))
        except OverflowError:  # 0001-01-01 or 9999-12-31: there is no day beyond
            pass
    if dob.day <= 12 and dob.day != dob.month:
        dates.append(dob.replace(month=dob.day, day=dob.month))
    return dates
