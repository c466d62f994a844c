"""Which fields of which events are personal data, sealed with the person's own key.

Everything else (that a signal of some kind from some agency happened on some date) is
the skeleton that stays readable for statistics and keeps the hash chain verifiable
after the key is destroyed. The subject whose key seals the fields is the event's
originator (the child's own record), unless ``SUBJECT_OF`` names the event attribute
that holds the child (a police notice about a child is sealed with that child's key).
"""

from __future__ import annotations

from domain.blue_cards import BlueCard
from domain.children import Child
from domain.groups import WorkingGroup
from domain.help_plans import HelpPlan
from domain.notifications import Notification
from domain.persons import Person
from domain.time_cards import TimeCard

PERSONAL_FIELDS: dict[type, tuple[str, ...]] = {
    Child.Registered: ("given_name", "family_name", "date_of_birth", "pesel"),
    Child.SignalRecorded: ("details",),
    Child.SignalCorrected: ("details", "reason"),
    Child.SignalRetracted: ("reason",),
    Child.MergedInto: ("reason",),
    Child.Absorbed: ("reason",),
    Notification.Issued: ("intervention", "details"),
    Person.Registered: ("name", "relation", "date_of_birth", "address"),
    BlueCard.FormAFilled: ("place", "description"),
    BlueCard.FormBHanded: ("note",),
    BlueCard.ForwardedToChair: ("note",),
    BlueCard.FormCRecorded: ("assessment", "help_plan"),
    BlueCard.FormDRecorded: ("assessment", "actions"),
    BlueCard.MonitoringStarted: ("note",),
    BlueCard.Closed: ("note",),
    BlueCard.MonitoringReviewRecorded: ("outcome",),
    # Family work and the group's work: the texts, sealed under the persons they concern (SUBJECTS_OF).
    HelpPlan.Drawn: ("household", "texts"),
    HelpPlan.Revised: ("texts", "reason"),
    HelpPlan.Evaluated: ("situation",),
    WorkingGroup.Opened: ("name",),
    WorkingGroup.MeetingScheduled: ("place",),
    WorkingGroup.MeetingHeld: ("minutes",),
    WorkingGroup.DecisionRecorded: ("text",),
    WorkingGroup.ActionAssigned: ("description",),
    WorkingGroup.ActionDone: ("note",),
    TimeCard.EntryAdded: ("place", "topic", "participants"),
    TimeCard.EntryRemoved: ("reason",),
    Notification.Acknowledged: ("note",),
}

#: Events whose personal fields belong to a child other than their originator.
SUBJECT_OF: dict[type, str] = {
    Notification.Issued: "child_id",
}

#: Events whose personal fields concern several persons (a Blue Card's account concerns each
#: victim and each suspected perpetrator): the names of the event's attributes that hold a
#: person's id or a list of them. The fields are sealed under EVERY one of those persons'
#: keys, so erasing any one of them closes the box; an event whose attributes name nobody
#: stores those fields unsealed (they are about no person). Filled by the event modules' owners.
SUBJECTS_OF: dict[type, tuple[str, ...]] = {
    # A card's account concerns every child and adult on its form A; each step names them all.
    BlueCard.FormAFilled: ("child_victim_ids", "adult_victim_ids", "perpetrator_ids"),
    BlueCard.FormBHanded: ("subject_ids",),
    BlueCard.ForwardedToChair: ("subject_ids",),
    BlueCard.FormCRecorded: ("subject_ids",),
    BlueCard.FormDRecorded: ("subject_ids",),
    BlueCard.MonitoringStarted: ("subject_ids",),
    BlueCard.Closed: ("subject_ids",),
    BlueCard.MonitoringReviewRecorded: ("subject_ids",),
    # A plan's texts concern its children and the adults it names; a group's, its children and its
    # card's; a time-card entry's, the children of the family met; a notice's note, its child.
    HelpPlan.Drawn: ("child_ids", "person_ids"),
    HelpPlan.Revised: ("subject_ids",),
    HelpPlan.Evaluated: ("subject_ids",),
    WorkingGroup.Opened: ("child_ids", "person_ids"),
    WorkingGroup.MeetingScheduled: ("subject_ids",),
    WorkingGroup.MeetingHeld: ("subject_ids",),
    WorkingGroup.DecisionRecorded: ("subject_ids",),
    WorkingGroup.ActionAssigned: ("subject_ids",),
    WorkingGroup.ActionDone: ("subject_ids",),
    TimeCard.EntryAdded: ("child_ids",),
    TimeCard.EntryRemoved: ("subject_ids",),
    Notification.Acknowledged: ("subject_ids",),
}

#: Aggregates that are natural persons: each gets its own key when first saved (the event
#: that creates it), so nothing about them is ever sealed with a key a crash could lose.
PERSON_AGGREGATES: dict[type, type] = {Child: Child.Registered, Person: Person.Registered}

#: Aggregates whose snapshots carry personal attributes, and which ones.
PERSONAL_SNAPSHOT_FIELDS: dict[type, tuple[str, ...]] = {
    Child: ("given_name", "family_name", "date_of_birth", "pesel"),
}
