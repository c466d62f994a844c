"""Which fields of which events are personal data, sealed with the person's own key.

Everything else (that a signal of some kind from some agency happened on some date) is
the skeleton that stays readable for statistics and keeps the hash chain verifiable
after the key is destroyed. The subject of every sealed field here is the child whose
record the event belongs to (the event's originator).
"""

from __future__ import annotations

from domain.children import Child

PERSONAL_FIELDS: dict[type, tuple[str, ...]] = {
    Child.Registered: ("given_name", "family_name", "date_of_birth", "pesel"),
    Child.SignalRecorded: ("details",),
    Child.SignalCorrected: ("details", "reason"),
    Child.SignalRetracted: ("reason",),
    Child.MergedInto: ("reason",),
    Child.Absorbed: ("reason",),
}

#: Aggregates whose snapshots carry personal attributes, and which ones.
PERSONAL_SNAPSHOT_FIELDS: dict[type, tuple[str, ...]] = {
    Child: ("given_name", "family_name", "date_of_birth", "pesel"),
}
