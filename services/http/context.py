"""Access to the per-app services from inside a request."""

from __future__ import annotations

from flask import current_app

from services.bootstrap import Services


def services() -> Services:
    """Return the services wired into the running app."""
    return current_app.extensions["safehub"]
