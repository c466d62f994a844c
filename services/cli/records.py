"""Read the record as a whole: verify and export the hash chain, print the programme report."""

from __future__ import annotations

import json
import sys
from uuid import UUID

import click

from domain.errors import DomainError
from services.cli.common import emit, fail, municipality_of, services_from_env


@click.group()
def audit() -> None:
    """Verify and export the tamper-evident history."""


@audit.command("verify")
@click.option("--expect-head", default=None, help="a head hash kept from an earlier verification")
@click.option("--json", "as_json", is_flag=True)
def audit_verify(expect_head: str | None, as_json: bool) -> None:
    """Recompute the hash chains over every stored event and every municipality's read log; exit 1 if one is broken."""
    from services.adapters.integrity import verify

    svc = services_from_env()  # keep a reference: the store closes its pool when collected
    report = verify(svc.store.recorder, expect_head)
    reads = svc.read_audit.verify_all()
    intact = report["intact"] and all(chain["intact"] for chain in reads)
    if as_json:
        click.echo(json.dumps({**report, "intact": intact, "events_intact": report["intact"], "reads": reads}))
    else:
        if report["intact"]:
            click.echo(f"intact: {report['count']} events, head {report['head']}")
        else:
            broken = report["first_broken"]
            click.echo(
                f"BROKEN at notification {broken['notification_id']}: {broken['problem']} "
                f"({report['count']} events verified before it)"
            )
        for chain in reads:
            click.echo(_read_chain_line(chain))
    if not intact or report.get("expected_head_found") is False:
        sys.exit(1)


def _read_chain_line(chain: dict) -> str:
    """One municipality's read log, as ``audit verify`` prints it."""
    legacy = f", {chain['legacy']} legacy lines from before the chain (not verifiable)" if chain["legacy"] else ""
    where = f"read log of municipality {chain['municipality_id']}"
    if chain["intact"]:
        return f"intact: {where}: {chain['count']} lines{legacy}, head {chain['head']}"
    broken = chain["first_broken"]
    place = f"line {broken['seq']}" if broken["seq"] is not None else f"read {broken['read_id']}"
    if broken["seq"] is not None and broken["read_id"]:
        place += f" (read {broken['read_id']})"
    return f"BROKEN {where} at {place}: {broken['problem']} ({chain['count']} lines verified before it{legacy})"


@audit.command("export")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def audit_export(path: str) -> None:
    """Write every stored event with its link as JSON lines (see services/adapters/integrity.py)."""
    from services.adapters.integrity import export_lines

    count = 0
    svc = services_from_env()
    with open(path, "w") as out:
        for line in export_lines(svc.store.recorder):
            out.write(line + "\n")
            count += 1
    click.echo(f"{count} events written to {path}")


@click.group()
def report() -> None:
    """Reports computed from events (the yearly programme report)."""


@report.command("programme")
@click.option("--from", "start", required=True, type=click.DateTime(["%Y-%m-%d"]), help="first day, YYYY-MM-DD")
@click.option("--to", "end", required=True, type=click.DateTime(["%Y-%m-%d"]), help="last day, YYYY-MM-DD")
@click.option("--municipality", default=None, help="needed when there are several")
@click.option("--csv", "as_csv", is_flag=True, help="CSV for Polish Excel (UTF-8 with BOM, ';') on stdout")
@click.option("--json", "as_json", is_flag=True)
def report_programme(start, end, municipality: str | None, as_csv: bool, as_json: bool) -> None:
    """The programme report for a period, counted from the events recorded by its end."""
    from domain.access import Actor
    from services.usecases.reports import programme_csv

    svc = services_from_env()
    try:
        # The operator reads the aggregate figures with the auditor's read-only role.
        reader = Actor(UUID(int=0), municipality_of(svc, municipality), None, None, "auditor")
        result = svc.reports.programme(reader, start.date(), end.date())
    except DomainError as e:
        fail(str(e))
    finally:
        svc.close()
    if as_csv:
        click.echo(programme_csv(result), nl=False)  # bytes: the BOM and UTF-8 reach the file unchanged
        return
    lines = [f"{i['value']:>7}  {i['label']}" for i in result["indicators"]]
    lines += [
        f"{b['breached']:>7}  przekroczone: {b['label']} (z {b['due']}; mediana "
        f"{_or_dash(b['median_delay_working_days'])}, najwięcej {_or_dash(b['worst_delay_working_days'])}"
        " dni roboczych)"
        for b in result["deadline_breaches"]
    ]
    lines.append(
        f"computed {result['computed_at']}, events recorded before {result['recorded_by']} "
        f"(up to position {result['last_event_position']})" + ("" if result["final"] else ", period not over")
    )
    emit(as_json, result, "\n".join(lines))


def _or_dash(value: object) -> str:
    return "—" if value is None else str(value)


COMMANDS = (audit, report)
