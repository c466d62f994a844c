"""Operations: ``/metrics`` for Prometheus, the request id, one JSON log line per request,
and the security headers on every response (services.security_headers).

The log line names the URL rule (``/api/v1/children/<uuid:child_id>/timeline``), the
method, the status and the time taken — never the query string or the body, where a
PESEL, a name or a signal's text travels.
"""

from __future__ import annotations

import logging
import time

from flask import Blueprint, Flask, Response, current_app, g, request

from services.http import security_headers
from services.http.context import services
from services.http.metrics import SafehubCollector, observe_request, render
from services.runtime.logs import new_request_id, request_id_var

blp = Blueprint("ops", __name__)
log = logging.getLogger("safehub.http")
REQUEST_ID_HEADER = "X-Request-ID"


@blp.get("/metrics")
def metrics():
    """Prometheus text format: requests, events by kind, projection lag, queue depth."""
    collector = current_app.extensions.get("safehub_metrics")
    if collector is None:
        collector = current_app.extensions["safehub_metrics"] = SafehubCollector(services())
    body, content_type = render(collector, services().settings.metrics_dir)
    return Response(body, content_type=content_type)


def init_app(app: Flask) -> None:
    """Give every request an id (the caller's X-Request-ID or a new one), count it, log it, and
    add the security headers to its answer."""
    app.register_blueprint(blp)
    security_headers.init_app(app)
    app.before_request(_start)
    app.after_request(_finish)
    app.teardown_request(_forget)


def _start() -> None:
    g.request_id = new_request_id(request.headers.get(REQUEST_ID_HEADER))
    g.request_token = request_id_var.set(g.request_id)
    g.request_started = time.perf_counter()


def _endpoint() -> str:
    rule = request.url_rule
    return rule.rule if rule is not None else "<unmatched>"


def _finish(response: Response) -> Response:
    started = g.get("request_started")
    if started is None:  # a request that failed before our first hook ran
        return response
    elapsed = time.perf_counter() - started
    endpoint = _endpoint()
    response.headers[REQUEST_ID_HEADER] = g.request_id
    if endpoint != "/metrics":
        observe_request(endpoint, request.method, response.status_code, elapsed)
        log.info(
            "request",
            extra={
                "request_id": g.request_id,
                "method": request.method,
                "endpoint": endpoint,
                "status": response.status_code,
                "duration_ms": round(elapsed * 1000, 1),
            },
        )
    return response


def _forget(exc: BaseException | None) -> None:
    token = g.pop("request_token", None)
    if token is not None:
        request_id_var.reset(token)
