"""Prometheus metrics: request counters and latencies, and gauges read from the store on scrape.

Counters and histograms of HTTP requests live in each web process; with several gunicorn
workers they are kept in ``PROMETHEUS_MULTIPROC_DIR`` (prometheus-client's multiprocess
mode) and summed on scrape, so any worker's ``/metrics`` answers for all of them. What the
store, the projections and the broker know is *computed on scrape* from the shared state
(the log, the views' tracked positions, the Redis queue), so it is the same whichever
process answers and counts events written by the CLI and other machines too.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

log = logging.getLogger("safehub.metrics")

REQUESTS = Counter(
    "safehub_http_requests",
    "HTTP requests answered, by endpoint (URL rule), method and status",
    ["endpoint", "method", "status"],
)
LATENCY = Histogram(
    "safehub_http_request_duration_seconds",
    "Time to answer an HTTP request, by endpoint and method",
    ["endpoint", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
#: Celery's default queue (the pull task goes there) and the Redis keys of its priority steps.
CELERY_QUEUE = "celery"
_PRIORITY_KEYS = (CELERY_QUEUE, *(f"{CELERY_QUEUE}\x06\x16{p}" for p in (3, 6, 9)))

#: Gauges other features add: each returns ``(name, help, [(labels, value), ...])`` computed
#: from the services (for example notifications overdue, deadline breaches open).
GaugeSource = Callable[[Any], Iterable[tuple[str, str, list[tuple[dict[str, str], float]]]]]
GAUGE_SOURCES: list[GaugeSource] = []


def notifications_overdue(services: Any) -> list[tuple[str, str, list[tuple[dict[str, str], float]]]]:
    """Police notices past their due time and not acknowledged (escalated or not yet).

    Counted in the notices read model as far as it has applied the log (a scrape never
    waits for the projections; their lag is a metric of its own)."""
    notifications = getattr(services, "notifications", None)
    if notifications is None or "notices" not in services.followers.by_name:
        return []
    overdue, escalated = notifications.view.overdue_counts(notifications.clock())
    return [
        ("safehub_notifications_overdue", "Police notices past due and not acknowledged", [({}, overdue)]),
        (
            "safehub_notifications_overdue_escalated",
            "Of those, already escalated to the team coordinator",
            [({}, escalated)],
        ),
    ]


def deadline_breaches_open(services: Any) -> list[tuple[str, str, list[tuple[dict[str, str], float]]]]:
    """Blue Card deadlines past their due day and still open, by kind (from the deadlines read model)."""
    follower = services.followers.by_name.get("deadlines")
    if follower is None or "deadline_items" not in getattr(follower.view, "tables", ()):
        return []
    from datetime import datetime
    from zoneinfo import ZoneInfo

    deadlines = getattr(services, "deadlines", None)
    today = (
        deadlines.today() if hasattr(deadlines, "today") else datetime.now(ZoneInfo(services.settings.timezone)).date()
    ).isoformat()
    rows = follower.view.breaches_open(today)
    samples = [({"kind": r["kind"]}, float(r["n"])) for r in rows] or [({"kind": "any"}, 0.0)]
    return [("safehub_deadline_breaches_open", "Blue Card deadlines past due and still open, by kind", samples)]


GAUGE_SOURCES.extend([notifications_overdue, deadline_breaches_open])


def observe_request(endpoint: str, method: str, status: int, seconds: float) -> None:
    """Count one answered request and its latency."""
    REQUESTS.labels(endpoint, method, str(status)).inc()
    LATENCY.labels(endpoint, method).observe(seconds)


class EventCounts:
    """Events in the log by kind, counted incrementally (only what was appended since the last scrape)."""

    def __init__(self, store: Any):
        self.store = store
        self.position = 0
        self.counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def read(self) -> dict[str, int]:
        """Return ``{kind: count}`` for everything up to the head of the log."""
        with self._lock:
            recorder = self.store.recorder
            head = recorder.max_notification_id() or 0
            if head > self.position:
                for topic, n in self.store.topic_counts(self.position, head):
                    kind = topic.rsplit(":", 1)[-1]
                    self.counts[kind] = self.counts.get(kind, 0) + n
                self.position = head
            return dict(self.counts)


class SafehubCollector:
    """Metrics computed on scrape from the shared state of the deployment."""

    def __init__(self, services: Any):
        self.services = services
        self.events = EventCounts(services.store)
        self._redis: Any = None

    def collect(self) -> Iterator[Metric]:
        """Yield every metric; one failing source never hides the others."""
        for source in (self._events, self._projections, self._queue, self._features):
            try:
                yield from source()
            except Exception as exc:  # a scrape must answer with what it can
                log.warning("metrics source %s failed: %s", source.__name__, type(exc).__name__)

    def _events(self) -> Iterator[Metric]:
        counts = self.events.read()
        events = CounterMetricFamily("safehub_events_appended", "Events in the event store, by kind", labels=["kind"])
        for kind, n in sorted(counts.items()):
            events.add_metric([kind], n)
        yield events
        yield GaugeMetricFamily(
            "safehub_log_head", "Notification id of the last event in the log", value=self.events.position
        )

    def _projections(self) -> Iterator[Metric]:
        status = self.services.followers.status()
        position = GaugeMetricFamily(
            "safehub_projection_position", "Log position a projection has applied", labels=["projection"]
        )
        lag = GaugeMetricFamily(
            "safehub_projection_lag", "Events in the log a projection has not applied yet", labels=["projection"]
        )
        for row in status:
            position.add_metric([row["name"]], row["position"])
            lag.add_metric([row["name"]], row["lag"])
        yield position
        yield lag

    def _queue(self) -> Iterator[Metric]:
        settings = self.services.settings
        if settings.projection_mode != "celery":
            return
        from redis import Redis

        if self._redis is None:
            self._redis = Redis.from_url(settings.broker_url, socket_timeout=0.5, socket_connect_timeout=0.5)
        up = GaugeMetricFamily("safehub_broker_up", "1 when the Celery broker (Redis) answered this scrape")
        try:
            depth = sum(int(self._redis.llen(key)) for key in _PRIORITY_KEYS)
        except Exception:  # the broker is down: say so instead of failing the scrape
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        queue = GaugeMetricFamily(
            "safehub_celery_queue_depth", "Messages waiting in the Celery queue", labels=["queue"]
        )
        queue.add_metric([CELERY_QUEUE], depth)
        yield queue

    def _features(self) -> Iterator[Metric]:
        for source in GAUGE_SOURCES:
            try:
                computed = list(source(self.services))
            except Exception as exc:  # one feature's failure never hides the other metrics
                log.warning("metrics source %s failed: %s", getattr(source, "__name__", source), type(exc).__name__)
                continue
            for name, doc, samples in computed:
                labels = sorted({k for sample_labels, _ in samples for k in sample_labels})
                gauge = GaugeMetricFamily(name, doc, labels=labels)
                for sample_labels, value in samples:
                    gauge.add_metric([sample_labels.get(k, "") for k in labels], value)
                yield gauge


class _Default:
    """The process-wide registry (request metrics, process and platform) for single-process mode."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def render(collector: SafehubCollector, multiprocess_dir: str | None) -> tuple[bytes, str]:
    """The text exposition of every metric: the web processes' counters and the computed gauges."""
    registry = CollectorRegistry(auto_describe=False)
    if multiprocess_dir:
        MultiProcessCollector(registry, path=multiprocess_dir)
    else:
        registry.register(_Default())  # type: ignore[arg-type]
    registry.register(collector)  # type: ignore[arg-type]
    return generate_latest(registry), CONTENT_TYPE_LATEST
