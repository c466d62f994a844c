"""The composition root: build the store, the projections and the use cases from settings.

No Flask and no Celery worker here, so the CLI, the web app, the workers and the tests
all get the same wiring.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from domain.access import load_category_policy
from domain.procedure import load_procedure_policy
from domain.risk import load_policy
from projections.deadlines import DeadlinesView
from projections.registry import VIEWS
from projections.risk import RiskView
from projections.runner import Follower, Followers
from projections.schema_lock import schema_lock_if
from projections.timeline import TimelineView
from projections.views import open_view
from services.adapters.event_store import SafehubStore, open_store
from services.config import Settings
from services.runtime.periodic import Periodic
from services.runtime.projecting import CeleryNudger, InProcessProjector
from services.usecases.blue_cards import BlueCards
from services.usecases.children import ChildRecords
from services.usecases.deadlines import Agendas, Deadlines
from services.usecases.directory import Directory
from services.usecases.gate import ChildGate
from services.usecases.groups import WorkingGroups
from services.usecases.help_plans import HelpPlans
from services.usecases.notifications import Notifications
from services.usecases.read_audit import ReadAudit, ReadLogTable
from services.usecases.reports import ProgrammeReports
from services.usecases.time_cards import TimeCards
from services.usecases.timelines import ChildViews, rendered_timelines


def utc_now() -> datetime:
    """Return the current time; injected so tests can control the clock."""
    return datetime.now(UTC)


@dataclass
class Services:
    """Everything a front end needs, built once per process."""

    settings: Settings
    store: SafehubStore
    directory: Directory
    children: ChildRecords
    followers: Followers
    projector: InProcessProjector | CeleryNudger
    views: ChildViews
    help_plans: HelpPlans
    time_cards: TimeCards
    notifications: Notifications
    escalator: Periodic | None
    read_audit: ReadAudit
    gate: ChildGate
    # The Blue Card procedure (set by add_procedure).
    blue_cards: BlueCards | None = None
    groups: WorkingGroups | None = None
    deadlines: Deadlines | None = None
    agendas: Agendas | None = None
    reminders: Periodic | None = None
    reports: ProgrammeReports | None = None

    def close(self) -> None:
        """Stop background work and release database connections."""
        if self.reminders is not None:
            self.reminders.stop()
        if self.escalator is not None:
            self.escalator.stop()
        self.projector.stop()
        for name in self.followers.names():
            self.followers[name].view.datastore.close()
        self.read_audit.table.datastore.close()
        self.store.close()


def build_followers(settings: Settings, store: SafehubStore) -> Followers:
    """Open every projection's view on the configured backend."""
    policy = load_policy(settings.risk_policy_path)
    followers = []
    for name, view_class in VIEWS.items():
        view = open_view(view_class, settings.view_env(name))
        if isinstance(view, RiskView):
            view.policy = policy
        if isinstance(view, RiskView | TimelineView):
            view.limit_read_cache(settings.read_cache_rows)
        if isinstance(view, DeadlinesView):
            view.policy = load_procedure_policy(settings.procedure_policy_path)
        followers.append(Follower(view, store.recorder, store.mapper))
    return Followers(followers)


def add_procedure(svc: Services, clock: Callable[[], datetime]) -> Services:
    """Wire the Blue Card procedure, working groups, deadlines and agendas onto the services."""
    policy = load_procedure_policy(svc.settings.procedure_policy_path)
    svc.blue_cards = BlueCards(svc.store, clock, svc.settings.timezone)
    svc.groups = WorkingGroups(svc.store, clock, svc.settings.timezone)
    svc.blue_cards.gate = svc.groups.gate = svc.gate
    svc.deadlines = Deadlines(svc.store, svc.followers, svc.projector, clock, policy, svc.help_plans)
    svc.agendas = Agendas(svc.store, svc.deadlines, svc.groups, load_policy(svc.settings.risk_policy_path),
                          svc.help_plans)
    svc.agendas.limit_read_cache(svc.settings.read_cache_rows)
    svc.reports = ProgrammeReports(svc.followers, svc.deadlines)
    if svc.settings.projection_mode == "inprocess":  # production: Celery beat raises the reminders
        svc.reminders = Periodic("safehub-reminders", svc.settings.remind_seconds, svc.deadlines.remind)
    return svc


def build(settings: Settings, clock: Callable[[], datetime] = utc_now) -> Services:
    """Open the store and the projections and wire the use cases to them."""
    return add_procedure(_build_core(settings, clock), clock)


def _build_core(settings: Settings, clock: Callable[[], datetime]) -> Services:
    with schema_lock_if(settings.database_url):  # once for all the tables, not once per table
        return _wire_core(settings, clock)


def _wire_core(settings: Settings, clock: Callable[[], datetime]) -> Services:
    store = open_store(settings)
    directory = Directory(store)
    children = ChildRecords(store, directory, settings.resolved_secret(), clock, settings.timezone)
    followers = build_followers(settings, store)
    if settings.projection_mode == "celery":
        projector: InProcessProjector | CeleryNudger = CeleryNudger(
            followers, settings.broker_url, settings.read_wait_seconds)
    else:
        projector = InProcessProjector(followers, settings.catch_up_seconds)
    store.after_save.append(projector.nudge)
    def catch_up() -> None:
        projector.before_read(store.recorder.max_notification_id() or 0)

    read_audit = ReadAudit(open_view(ReadLogTable, settings.view_env(ReadLogTable.name)), store, clock,
                           case_agencies=lambda child_id: _card_agencies(followers, catch_up, child_id))
    gate = ChildGate(lambda: followers["memberships"].view,  # type: ignore[arg-type,return-value]
                     catch_up, load_category_policy(), read_audit)
    children.gate = gate
    views = ChildViews(store, followers, projector, clock, load_policy(settings.risk_policy_path), gate)
    views.rendered = rendered_timelines(settings.read_cache_rows)
    help_plans = HelpPlans(store, clock, settings.timezone)
    time_cards = TimeCards(store, clock, settings.timezone)
    notifications = Notifications(store, followers, projector, clock, settings.school_days_path)
    help_plans.gate = time_cards.gate = notifications.gate = gate  # their reads of child data are audited too
    children.signal_hooks.append(notifications.on_signal)  # notices are saved with the signal
    embedded = settings.projection_mode == "inprocess"  # production: Celery beat escalates
    escalator = (Periodic("safehub-escalations", settings.escalate_seconds, notifications.escalate_overdue)
                 if embedded else None)
    return Services(settings, store, directory, children, followers, projector, views, help_plans, time_cards,
                    notifications, escalator, read_audit, gate)


def _card_agencies(followers: Followers, catch_up: Callable[[], None], child_id: str) -> set[str]:
    """The agencies that opened a Blue Card for the child: they own its case too."""
    catch_up()
    rows = followers["deadlines"].view.query(
        "SELECT c.agency_id FROM deadline_cards c JOIN deadline_card_children k ON k.card_id = c.card_id"
        " WHERE k.child_id = ? AND c.agency_id IS NOT NULL", (child_id,))
    return {r["agency_id"] for r in rows}
