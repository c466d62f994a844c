"""Which fields of which events are personal data, sealed with the person's own key.

Everything else (that a signal of some kind from some agency happened on some date) is
the skeleton that stays readable for statistics and keeps the hash chain verifiable
after the key is destroyed. The subject whose key seals the fields is the event's
originator (the child's own record), unless ``SUBJECT_OF`` names the event attribute
that holds the child (a police notice about a child is sealed with that child's key).
"""

from __future__ import annotations

from domain.children import Child
from domain.notifications import Notification

PERSONAL_FIELDS: dict[type, tuple[str, ...]] = {
    Child.Registered: ("given_name", "family_name", "date_of_birth", "pesel"),
    Child.SignalRecorded: ("details",),
    Child.SignalCorrected: ("details", "reason"),
    Child.SignalRetracted: ("reason",),
    Child.MergedInto: ("reason",),
    Child.Absorbed: ("reason",),
    Notification.Issued: ("intervention", "details"),
}

#: Events whose personal fields belong to a child other than their originator.
SUBJECT_OF: dict[type, str] = {
    Notification.Issued: "child_id",
}

#: Aggregates whose snapshots carry personal attributes, and which ones.
PERSONAL_SNAPSHOT_FIELDS: dict[type, tuple[str, ...]] = {
    Child: ("given_name", "family_name", "date_of_birth", "pesel"),
}
