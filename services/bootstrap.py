"""The composition root: the one place that builds the store, the projections and the use cases.

No Flask and no Celery worker here, so the CLI, the web app, the workers and the tests
all get the same wiring. Everything a front end uses is built here, once per process;
no other module constructs a use case, an adapter or a loop, so a reader looking for how
a piece is wired finds it in this file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from domain.access import load_category_policy
from domain.procedure import load_procedure_policy
from domain.retention import load_retention_policy
from domain.risk_policy import load_policy
from projections.deadlines import DeadlinesView
from projections.registry import VIEWS
from projections.risk import RiskView
from projections.runner import Follower, Followers
from projections.schema_lock import schema_lock_if
from projections.timeline import TimelineView
from projections.views import open_view
from services.adapters.breaker import StoreBreaker
from services.adapters.event_store import SafehubStore, open_store
from services.adapters.rate_limits import RateLimits
from services.adapters.read_log import ReadLogTable
from services.adapters.sessions import SessionLog
from services.adapters.sign_in_failures import FailureLog
from services.config import Settings, private_files, tighten
from services.runtime.periodic import Periodic
from services.runtime.projecting import CeleryNudger, InProcessProjector
from services.usecases.access_grants import AccessGrants
from services.usecases.accounts import Accounts
from services.usecases.agendas import Agendas
from services.usecases.blue_cards import BlueCards
from services.usecases.caseload import Caseload
from services.usecases.children import ChildRecords
from services.usecases.deadlines import Deadlines
from services.usecases.directory import Directory
from services.usecases.erasure import Erasure
from services.usecases.gate import ChildGate
from services.usecases.groups import WorkingGroups
from services.usecases.help_plans import HelpPlans
from services.usecases.imports import SignalImports
from services.usecases.known_tokens import KnownTokens
from services.usecases.notifications import Notifications
from services.usecases.persons import PersonErasure
from services.usecases.read_audit import ReadAudit
from services.usecases.reports import ProgrammeReports
from services.usecases.retention import RetentionSchedule
from services.usecases.subject_access import SubjectAccess
from services.usecases.time_cards import TimeCards
from services.usecases.timelines import ChildViews, rendered_timelines

Clock = Callable[[], datetime]
#: The embedded daily retention job first runs this many seconds after start (a restart must not skip a day).
RETENTION_FIRST_RUN = 300.0


def utc_now() -> datetime:
    """Return the current time; injected so tests can control the clock."""
    return datetime.now(UTC)


@dataclass
class Services:
    """Everything a front end needs, built once per process by ``build``."""

    settings: Settings
    store: SafehubStore
    followers: Followers
    projector: InProcessProjector | CeleryNudger
    read_audit: ReadAudit
    gate: ChildGate
    directory: Directory
    known_tokens: KnownTokens
    access_grants: AccessGrants
    accounts: Accounts
    children: ChildRecords
    imports: SignalImports
    erasure: Erasure
    #: Erasing an adult named in a case (a victim, a suspected perpetrator): two people decide.
    person_erasure: PersonErasure
    caseload: Caseload
    views: ChildViews
    help_plans: HelpPlans
    time_cards: TimeCards
    notifications: Notifications
    blue_cards: BlueCards
    groups: WorkingGroups
    deadlines: Deadlines
    agendas: Agendas
    reports: ProgrammeReports
    #: The retention schedule: who is due for erasure (listed daily for the coordinator).
    retention: RetentionSchedule
    #: The subject-access export (RODO art. 15) for the coordinator and the auditor.
    subject_access: SubjectAccess
    #: The PostgreSQL circuit breaker (None on the embedded SQLite store).
    breaker: StoreBreaker | None
    #: In-process loops of the embedded mode (None in production, where Celery beat runs them).
    escalator: Periodic | None
    reminders: Periodic | None
    #: Embedded mode: the daily retention job (None in production, where Celery beat runs it).
    retention_job: Periodic | None = None

    def close(self) -> None:
        """Stop background work and release database connections."""
        for loop in (self.reminders, self.escalator, self.retention_job):
            if loop is not None:
                loop.stop()
        self.projector.stop()
        for name in self.followers.names():
            self.followers[name].view.datastore.close()
        self.read_audit.table.datastore.close()
        if self.accounts.failures is not None:
            self.accounts.failures.close()
        if self.accounts.sessions is not None:
            self.accounts.sessions.close()
        if self.imports.rates is not None:
            self.imports.rates.close()
        self.store.close()


def build(settings: Settings, clock: Clock = utc_now) -> Services:
    """Open the store and the projections and wire every use case to them."""
    private_files()  # every file from here on owner-only; an older, looser data directory tightened
    if not settings.database_url or settings.data_dir.exists():
        tighten(settings.data_dir)
    with schema_lock_if(settings.database_url):  # once for all the tables, not once per table
        store = open_store(settings)
        followers = build_followers(settings, store)
        read_log = open_view(ReadLogTable, settings.view_env(ReadLogTable.name))
    projector = _projector(settings, followers)
    store.after_save.append(projector.nudge)
    return _wire(settings, clock, store, followers, projector, read_log)


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


def _projector(settings: Settings, followers: Followers) -> InProcessProjector | CeleryNudger:
    """Projections in this process (embedded), or nudges to the Celery workers (production)."""
    if settings.projection_mode == "celery":
        return CeleryNudger(followers, settings.broker_url, settings.read_wait_seconds)
    return InProcessProjector(followers, settings.catch_up_seconds)


def _failure_log(settings: Settings) -> FailureLog:
    """Failed sign-ins, shared by every web worker: beside the key store, or in PostgreSQL.

    Keyed by an HMAC of the login with the deployment secret, never the text typed."""
    if settings.database_url:
        return FailureLog(secret=settings.resolved_secret(), postgres_url=settings.database_url)
    return FailureLog(secret=settings.resolved_secret(), sqlite_path=settings.data_dir / "signin.sqlite")


def _rate_limits(settings: Settings) -> RateLimits:
    """Per-user rates (the CSV import's), shared by every web worker like the sign-in failures."""
    if settings.database_url:
        return RateLimits(postgres_url=settings.database_url)
    return RateLimits(sqlite_path=settings.data_dir / "rate_limits.sqlite")


def _session_log(settings: Settings) -> SessionLog:
    """Page sessions kept on the server (revocable), shared by every web worker like the failure log."""
    if settings.database_url:
        return SessionLog(postgres_url=settings.database_url)
    return SessionLog(sqlite_path=settings.data_dir / "sessions.sqlite")


def _wire(
    settings: Settings,
    clock: Clock,
    store: SafehubStore,
    followers: Followers,
    projector: InProcessProjector | CeleryNudger,
    read_log: ReadLogTable,
) -> Services:
    """Build the use cases on the opened store and views; each read of child data passes the gate."""
    zone = settings.timezone
    # The policies as build_followers read them: the views and the use cases judge by the same files.
    risk_policy = followers["risk"].view.policy  # type: ignore[attr-defined]
    procedure_policy = followers["deadlines"].view.policy  # type: ignore[attr-defined]

    def catch_up() -> None:
        projector.before_read(store.recorder.max_notification_id() or 0)

    def group_member(user_id: UUID, child_id: UUID) -> bool:
        catch_up()  # a group opened a moment ago counts
        return followers["memberships"].view.is_member(str(user_id), [str(child_id)])  # type: ignore[attr-defined]

    read_audit = ReadAudit(read_log, store, clock, group_member=group_member)
    gate = ChildGate(
        lambda: followers["memberships"].view,  # type: ignore[arg-type,return-value]
        catch_up,
        load_category_policy(),
        read_audit,
    )
    directory = Directory(store)
    children = ChildRecords(store, directory, settings.resolved_secret(), clock, zone, gate=gate)
    views = ChildViews(
        store, followers, projector, clock, risk_policy, gate, rendered=rendered_timelines(settings.read_cache_rows)
    )
    help_plans = HelpPlans(store, clock, zone, gate=gate)
    time_cards = TimeCards(store, clock, zone, gate=gate)
    notifications = Notifications(store, followers, projector, clock, settings.school_days_path, gate=gate)
    children.signal_hooks.append(notifications.on_signal)  # notices are saved with the signal
    groups = WorkingGroups(store, clock, zone, gate=gate)
    blue_cards = BlueCards(store, clock, zone, gate=gate)
    # A deadline list filtered by a group or a card answers as that group's or card's own endpoint.
    deadlines = Deadlines(
        store,
        followers,
        projector,
        clock,
        procedure_policy,
        help_plans,
        gate=gate,
        groups=groups,
        card_check=blue_cards.readable,  # the card endpoint's own check, not a copy of its rule
    )
    agendas = Agendas(store, deadlines, groups, risk_policy, help_plans)
    agendas.limit_read_cache(settings.read_cache_rows)
    embedded = settings.projection_mode == "inprocess"  # production: Celery beat escalates and reminds
    retention_policy = load_retention_policy(settings.retention_policy_path)
    retention = RetentionSchedule(store, followers, clock, zone, retention_policy, gate=gate, catch_up=catch_up)
    return Services(
        settings=settings,
        store=store,
        followers=followers,
        projector=projector,
        read_audit=read_audit,
        gate=gate,
        directory=directory,
        known_tokens=KnownTokens(directory, store),
        access_grants=AccessGrants(store, clock),
        accounts=Accounts(store, directory, _failure_log(settings), clock, sessions=_session_log(settings)),
        children=children,
        imports=SignalImports(
            store,
            children,
            clock,
            zone,
            rates=_rate_limits(settings),
            per_minute=settings.imports_per_minute,
            max_rows=settings.import_max_rows,
        ),
        erasure=Erasure(store, children, retention_policy, roots=retention.caught_up_roots),
        person_erasure=PersonErasure(store, clock, zone),
        caseload=Caseload(children, lambda: followers["timeline"].view, catch_up),  # type: ignore[arg-type,return-value]
        views=views,
        help_plans=help_plans,
        time_cards=time_cards,
        notifications=notifications,
        blue_cards=blue_cards,
        groups=groups,
        deadlines=deadlines,
        agendas=agendas,
        reports=ProgrammeReports(followers, deadlines, gate=gate),
        breaker=_breaker(settings, store, followers, read_log),
        escalator=(
            Periodic("safehub-escalations", settings.escalate_seconds, notifications.escalate_overdue)
            if embedded
            else None
        ),
        reminders=Periodic("safehub-reminders", settings.remind_seconds, deadlines.remind) if embedded else None,
        retention=retention,
        subject_access=SubjectAccess(store, children, read_audit, retention, clock, zone, gate=gate),
        retention_job=(
            Periodic("safehub-retention", settings.retention_seconds, retention.run, first_delay=RETENTION_FIRST_RUN)
            if embedded
            else None
        ),
    )


def _breaker(
    settings: Settings, store: SafehubStore, followers: Followers, read_log: ReadLogTable
) -> StoreBreaker | None:
    """The process's breaker when the store is PostgreSQL, guarding the event store's
    connections, every read model's and the read audit's (every read writes there too)."""
    if not settings.database_url:
        return None
    breaker = StoreBreaker(settings.database_url)
    datastores = [getattr(store.recorder, "datastore", None), getattr(read_log, "datastore", None)]
    datastores += [getattr(followers[name].view, "datastore", None) for name in followers.names()]
    for datastore in datastores:
        if datastore is not None and hasattr(datastore, "get_connection"):
            breaker.guard(datastore)
    return breaker
