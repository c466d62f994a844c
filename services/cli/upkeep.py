"""Keep a deployment running: the read models, periodic jobs by hand, backups, restores, migration."""

from __future__ import annotations

import json
import time
from pathlib import Path

import click

from services.bootstrap import build
from services.cli.common import emit, fail, services_from_env
from services.config import Settings
from services.usecases.erasure_replay import ErasureReplay


@click.group()
def projections() -> None:
    """Inspect and rebuild the read models."""


@projections.command("status")
@click.option("--json", "as_json", is_flag=True)
def projections_status(as_json: bool) -> None:
    """Show each projection's position in the log and how far behind it is."""
    svc = services_from_env()  # keep a reference: the store closes its pool when collected
    status = svc.followers.status()
    if as_json:
        click.echo(json.dumps(status))
        return
    for row in status:
        click.echo(f"{row['name']:<10} position {row['position']:>9}  head {row['head']:>9}  lag {row['lag']}")


@projections.command("rebuild")
@click.argument("name", required=False)
def projections_rebuild(name: str | None) -> None:
    """Rebuild one projection (or all) from the first event; the result equals the live one."""
    svc = services_from_env()  # keep a reference: the store closes its pool when collected
    followers = svc.followers
    names = [name] if name else followers.names()
    for n in names:
        if n not in followers.names():
            fail(f"unknown projection {n!r}; known: {', '.join(followers.names())}")
        started = time.monotonic()
        applied = followers[n].rebuild()
        elapsed = time.monotonic() - started
        rate = applied / elapsed if elapsed else 0.0
        click.echo(f"{n}: {applied} events in {elapsed:.2f}s ({rate:,.0f} events/s)")


@projections.command("catch-up")
def projections_catch_up() -> None:
    """Apply whatever the log holds beyond each projection's position, then exit."""
    svc = services_from_env()  # keep a reference: the store closes its pool when collected
    for n, applied in svc.followers.catch_up().items():
        click.echo(f"{n}: {applied} events applied")


@click.group()
def notifications() -> None:
    """Police notices to schools and OPS."""


@notifications.command("escalate")
@click.option("--json", "as_json", is_flag=True)
def notifications_escalate(as_json: bool) -> None:
    """Escalate every unacknowledged notice past its due time to the coordinator (each once)."""
    svc = services_from_env()
    try:
        escalated = svc.notifications.escalate_overdue()
    finally:
        svc.close()
    emit(as_json, {"escalated": escalated}, f"{len(escalated)} notices escalated")


@click.group()
def deadlines() -> None:
    """Blue Card procedure deadlines."""


@deadlines.command("remind")
@click.option("--json", "as_json", is_flag=True)
def deadlines_remind(as_json: bool) -> None:
    """Raise reminders for deadline items newly due soon or overdue (safe to run any time, and again)."""
    svc = services_from_env()
    try:
        raised = svc.deadlines.remind()
    finally:
        svc.close()
    emit(as_json, raised, f"reminders raised: {raised['due_soon']} due soon, {raised['overdue']} overdue")


@click.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True)
def backup(path: Path, as_json: bool) -> None:
    """Write the embedded store, encrypted with the backup key, into PATH; safe while serving."""
    from services.adapters.backup import BackupError
    from services.adapters.backup import backup as run

    try:
        result = run(Settings.from_env(), path)
    except BackupError as e:
        fail(str(e))
    emit(
        as_json,
        result.as_dict(),
        f"backed up {len(result.files)} files up to log position {result.head} into {result.path}, "
        "encrypted with the backup key (keep the keys folder apart from the backups)",
    )


@click.command()
@click.argument("path", type=click.Path(path_type=Path, exists=True))
@click.option(
    "--ledger",
    "ledgers",
    multiple=True,
    type=click.Path(path_type=Path, exists=True),
    help="another erasure ledger, or a newer backup whose ledger, to replay too; the live one always is",
)
@click.option("--json", "as_json", is_flag=True)
def restore(path: Path, ledgers: tuple[Path, ...], as_json: bool) -> None:
    """Restore a backup into the (empty) data directory, re-apply later erasures, then catch the read models up."""
    from services.adapters.backup import BackupError
    from services.adapters.backup import restore as run

    settings = Settings.from_env()
    try:
        result = run(settings, path, ledgers)
    except BackupError as e:
        fail(str(e))
    svc = build(settings)
    try:
        replayed = ErasureReplay(svc.store, svc.children).replay(result.fresh)
        applied = svc.followers.catch_up()
    finally:
        svc.close()
    emit(
        as_json,
        {**result.as_dict(), "erasures": replayed, "projections_applied": applied},
        f"restored log up to position {result.head} into {result.path}; erasures made after the backup "
        f"re-applied: {result.erasures_replayed}; projections "
        f"{'rebuilt' if result.read_models_rebuilt else 'caught up'}: {applied}",
    )


@click.group()
def erasures() -> None:
    """The erasure ledger: every erasure, by subject id and time, kept outside the data."""


@erasures.command("replay")
@click.option("--json", "as_json", is_flag=True)
def erasures_replay(as_json: bool) -> None:
    """Destroy again every key the ledger names, then rebuild the read models (after a pg_restore)."""
    from services.adapters.ledger import ErasureLedger, LedgerDamaged

    settings = Settings.from_env()
    try:
        entries = ErasureLedger(settings.erasure_ledger_path).entries()
    except LedgerDamaged as e:
        fail(str(e))
    svc = build(settings)
    try:
        replayed = ErasureReplay(svc.store, svc.children).replay(entries)
        changed = replayed["recorded"] or replayed["keys_destroyed"]
        rebuilt = {n: svc.followers[n].rebuild() for n in svc.followers.names()} if changed else {}
    finally:
        svc.close()
    emit(
        as_json,
        {"ledger": len(entries), **replayed, "rebuilt": rebuilt},
        f"{len(entries)} erasures in the ledger; {len(replayed['recorded'])} recorded again, "
        f"{len(replayed['keys_destroyed'])} keys destroyed again" + ("; read models rebuilt" if changed else ""),
    )


@click.command("migrate-store")
@click.option(
    "--to",
    "target",
    required=True,
    metavar="postgresql://USER:PASSWORD@HOST:PORT/DB",
    help="an empty PostgreSQL database",
)
@click.option("--json", "as_json", is_flag=True)
def migrate_store(target: str, as_json: bool) -> None:
    """Copy the embedded event store into PostgreSQL (ids, order and bytes kept), then verify it."""
    from services.adapters.migrate import MigrationError, migrate

    settings = Settings.from_env()
    try:
        result = migrate(settings, target, progress=lambda n: None if as_json else click.echo(f"  {n} events copied"))
    except (MigrationError, ValueError) as e:
        fail(str(e))
    secret = (
        "SAFEHUB_SECRET_KEY (already set)"
        if settings.secret_key
        else f"SAFEHUB_SECRET_KEY to the contents of {settings.data_dir / 'secret.key'}"
    )
    emit(
        as_json,
        result.as_dict(),
        f"copied {result.events} events (log positions 1..{result.head}), {result.snapshots} snapshots and "
        f"{result.subject_keys} per-subject keys; "
        f"verified {result.verified} events byte for byte.\nNext: set SAFEHUB_DATABASE_URL to the target, "
        f"{secret}, SAFEHUB_KEYS_DIR to {settings.resolved_keys_dir} (the key wrapping the per-person keys, "
        "and the erasure ledger), and run 'safehub projections catch-up' (or start the workers).",
    )


COMMANDS = (projections, notifications, deadlines, backup, restore, erasures, migrate_store)
