"""What every ``safehub`` command shares: the services from the environment, answers and refusals."""

from __future__ import annotations

import json
import sys
from typing import NoReturn
from uuid import UUID

import click

from services.bootstrap import Services, build
from services.config import Settings


def services_from_env() -> Services:
    """Build the services from the environment (each command runs in its own process)."""
    return build(Settings.from_env())


def emit(as_json: bool, data: dict, human: str) -> None:
    """Print the answer: one JSON object for scripts, or a line for people."""
    click.echo(json.dumps(data, ensure_ascii=False) if as_json else human)


def fail(message: str) -> NoReturn:
    """Refuse on stderr with exit status 2 (a usage error, nothing was changed)."""
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def municipality_of(svc: Services, given: str | None) -> UUID:
    """Use the given municipality, or the only one there is."""
    if given:
        return UUID(given)
    found = svc.directory.list_municipalities()
    if len(found) == 1:
        return UUID(found[0]["id"])
    if not found:
        fail("no municipality yet: run 'safehub init' first")
    fail("several municipalities exist: pass --municipality ID " + ", ".join(f"{m['id']} ({m['name']})" for m in found))
