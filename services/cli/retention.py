"""``safehub retention due``: the retention schedule applied now, and who is due for erasure (ids only)."""

from __future__ import annotations

import json

import click

from services.cli.common import services_from_env


@click.group()
def retention() -> None:
    """The retention schedule (domain/retention_policy.toml or SAFEHUB_RETENTION_POLICY)."""


@retention.command("due")
@click.option("--json", "as_json", is_flag=True, help="one JSON object for scripts")
@click.option("--no-refresh", is_flag=True, help="list what the last daily run found, without applying the schedule")
def retention_due(as_json: bool, no_refresh: bool) -> None:
    """Apply the schedule (as the daily job does) and list the children due for erasure.

    Ids, the kind of record whose rule gave the day, the day (due since) and the rule: no
    names. The coordinator confirms each by asking for the erasure with the ground
    'retention_expired', which the schedule checks again.
    """
    svc = services_from_env()  # keep a reference: the store closes its pool when collected
    try:
        counts = None if no_refresh else svc.retention.run()
        items = svc.retention.everywhere()
        if as_json:
            click.echo(json.dumps({"policy_version": svc.retention.policy.version, "run": counts, "items": items}))
            return
        click.echo(f"retention policy {svc.retention.policy.version}: {len(items)} due")
        for i in items:
            record = f" {i['record_id']}" if i["record_id"] else ""
            click.echo(f"{i['child_id']}  {i['kind']}{record}  due since {i['due_on']}  rule {i['rule']}")
    finally:
        svc.close()


COMMANDS = (retention,)
