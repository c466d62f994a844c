"""The ``safehub`` command for operators: set up, load demo data, manage users, serve."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from uuid import UUID

import click

from domain.agencies import AGENCY_KINDS, ROLES
from domain.errors import DomainError
from services.bootstrap import Services, build, utc_now
from services.config import Settings


def _services() -> Services:
    return build(Settings.from_env())


def _emit(as_json: bool, data: dict, human: str) -> None:
    click.echo(json.dumps(data, ensure_ascii=False) if as_json else human)


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


def _municipality(svc: Services, given: str | None) -> UUID:
    """Use the given municipality, or the only one there is."""
    if given:
        return UUID(given)
    found = svc.directory.list_municipalities()
    if len(found) == 1:
        return UUID(found[0]["id"])
    if not found:
        _fail("no municipality yet: run 'safehub init' first")
    _fail("several municipalities exist: pass --municipality ID " +
          ", ".join(f"{m['id']} ({m['name']})" for m in found))
    raise AssertionError("unreachable")


@click.group()
def main() -> None:
    """safehub: multi-agency child-protection data sharing."""
    from services.runtime.logs import configure_logging

    configure_logging("cli", Settings.from_env().log_level)  # JSON lines on stderr; stdout stays the answer


@main.command()
@click.option("--municipality", "name", default="Gmina", show_default=True,
              help="name of the first municipality, if none exists yet")
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
def init(name: str, as_json: bool) -> None:
    """Create the data directory, its secret and tables, and a first municipality."""
    settings = Settings.from_env(create_tables=True)  # the schema is made here, whatever the environment says
    svc = build(settings)
    municipalities = svc.directory.list_municipalities()
    first = municipalities[0] if municipalities else svc.directory.create_municipality(name)
    where = (settings.database_url and "PostgreSQL") or str(settings.data_dir.resolve())
    _emit(as_json, {"data": where, "municipality_id": first["id"]},
          f"safehub store ready in {where}\nmunicipality: {first['id']} ({first['name']})")


@main.command("create-municipality")
@click.option("--name", required=True)
@click.option("--json", "as_json", is_flag=True)
def create_municipality(name: str, as_json: bool) -> None:
    """Register another municipality (tenant) in this deployment."""
    created = _services().directory.create_municipality(name)
    _emit(as_json, created, f"municipality {created['id']} ({created['name']})")


@main.command("create-agency")
@click.option("--kind", required=True, type=click.Choice(AGENCY_KINDS))
@click.option("--name", required=True)
@click.option("--municipality", default=None, help="municipality id (default: the only one)")
@click.option("--json", "as_json", is_flag=True)
def create_agency(kind: str, name: str, municipality: str | None, as_json: bool) -> None:
    """Register an agency."""
    svc = _services()
    try:
        created = svc.directory.create_agency(None, _municipality(svc, municipality), kind, name)
    except DomainError as e:
        _fail(str(e))
    _emit(as_json, created, f"agency {created['id']} ({created['kind']}: {created['name']})")


@main.command("create-user")
@click.option("--agency", default=None, help="agency id (not needed for admin or auditor)")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--name", required=True)
@click.option("--municipality", default=None, help="for users without an agency")
@click.option("--login", default=None, help="sign-in name for the web pages (with --password)")
@click.option("--password", default=None, prompt=True, prompt_required=False, hide_input=True,
              confirmation_prompt=True, help="web sign-in password; give --password alone to be asked for it")
@click.option("--json", "as_json", is_flag=True)
def create_user(agency: str | None, role: str, name: str, municipality: str | None, login: str | None,
                password: str | None, as_json: bool) -> None:
    """Create a user and print its API token (shown only this once); optionally a web sign-in."""
    svc = _services()
    if (login is None) != (password is None):
        _fail("give --login and --password together")
    try:
        if password is not None:
            from services.usecases.accounts import check_password

            check_password(password)  # refuse a weak password before the user exists
        municipality_id = UUID(municipality) if municipality else None
        if agency is None and municipality_id is None:
            municipality_id = _municipality(svc, None)
        created = svc.directory.create_user(None, role=role, name=name, municipality_id=municipality_id,
                                            agency_id=UUID(agency) if agency else None)
        if password is not None and login is not None:
            from services.usecases.accounts import Accounts

            created["login"] = Accounts(svc.store, svc.directory, None, utc_now).set_password(
                UUID(created["id"]), password, login)["login"]
    except DomainError as e:
        _fail(str(e))
    signin = f"\nlogin: {created['login']}" if created.get("login") else ""
    _emit(as_json, created, f"user {created['id']} ({role})\ntoken: {created['token']}{signin}")


@main.command("set-password")
@click.option("--user", "user_id", required=True)
@click.option("--login", default=None, help="sign-in name (needed the first time)")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="the new password (asked for when not given)")
def set_password(user_id: str, login: str | None, password: str) -> None:
    """Set a user's web sign-in password (and login); their open sessions end."""
    from services.usecases.accounts import Accounts

    svc = _services()
    try:
        done = Accounts(svc.store, svc.directory, None, utc_now).set_password(UUID(user_id), password, login)
    except DomainError as e:
        _fail(str(e))
    click.echo(f"password set; login: {done['login']}")


@main.command("issue-token")
@click.option("--user", "user_id", required=True)
@click.option("--json", "as_json", is_flag=True)
def issue_token(user_id: str, as_json: bool) -> None:
    """Replace a user's API token and print the new one."""
    try:
        fresh = _services().directory.issue_token(None, UUID(user_id))
    except DomainError as e:
        _fail(str(e))
    _emit(as_json, fresh, f"token: {fresh['token']}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Serve the API (and later the pages) on the embedded store or the configured one."""
    from services.app import create_app
    from services.http.server import serve as run

    svc = _services()
    if not svc.directory.list_municipalities():
        svc.directory.create_municipality("Gmina")
    svc.close()  # the server process builds its own after the fork
    click.echo(f"safehub on http://{host}:{port}/  (API docs: http://{host}:{port}/api/v1/docs)")
    run(create_app, host, port)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="load the data and print the tokens, then exit")
def demo(host: str, port: int, no_serve: bool) -> None:
    """Load a demo gmina (once), print its users' fresh tokens, then serve."""
    from services.demo.world import load_demo

    svc = _services()
    result = load_demo(svc, utc_now())
    click.echo("Demo data loaded." if result.created else
               "Demo data already present; issued fresh tokens (earlier ones no longer work).")
    click.echo(f"municipality: {result.municipality_id}\n")
    for user in result.users:
        click.echo(f"{user['role']:<17} {user['name']:<45} {user['token']}")
    if result.children:
        click.echo(f"\n{len(result.children)} children registered, e.g. {result.children[0]['id']}")
    click.echo("\nTry:  curl -H 'Authorization: Bearer <token>' "
               f"http://{host}:{port}/api/v1/me\n")
    click.echo(f"Web pages: http://{host}:{port}/  sign in with a login and password:")
    for user in result.users:
        if user.get("password"):
            click.echo(f"  login {user['login']:<22} password {user['password']}   ({user['role']})")
    click.echo("")
    svc.close()  # the server process builds its own after the fork
    if not no_serve:
        from services.app import create_app
        from services.http.server import serve as run

        run(create_app, host, port)


@main.group()
def audit() -> None:
    """Verify and export the tamper-evident history."""


@audit.command("verify")
@click.option("--expect-head", default=None, help="a head hash kept from an earlier verification")
@click.option("--json", "as_json", is_flag=True)
def audit_verify(expect_head: str | None, as_json: bool) -> None:
    """Recompute the hash chain over every stored event; exit 1 if it is broken."""
    from services.adapters.integrity import verify

    svc = _services()  # keep a reference: the store closes its pool when collected
    report = verify(svc.store.recorder, expect_head)
    if as_json:
        click.echo(json.dumps(report))
    elif report["intact"]:
        click.echo(f"intact: {report['count']} events, head {report['head']}")
    else:
        broken = report["first_broken"]
        click.echo(f"BROKEN at notification {broken['notification_id']}: {broken['problem']} "
                   f"({report['count']} events verified before it)")
    if not report["intact"] or report.get("expected_head_found") is False:
        sys.exit(1)


@audit.command("export")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
def audit_export(path: str) -> None:
    """Write every stored event with its link as JSON lines (see services/adapters/integrity.py)."""
    from services.adapters.integrity import export_lines

    count = 0
    svc = _services()
    with open(path, "w") as out:
        for line in export_lines(svc.store.recorder):
            out.write(line + "\n")
            count += 1
    click.echo(f"{count} events written to {path}")


@main.group()
def projections() -> None:
    """Inspect and rebuild the read models."""


@projections.command("status")
@click.option("--json", "as_json", is_flag=True)
def projections_status(as_json: bool) -> None:
    """Show each projection's position in the log and how far behind it is."""
    svc = _services()  # keep a reference: the store closes its pool when collected
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
    svc = _services()  # keep a reference: the store closes its pool when collected
    followers = svc.followers
    names = [name] if name else followers.names()
    for n in names:
        if n not in followers.names():
            _fail(f"unknown projection {n!r}; known: {', '.join(followers.names())}")
        started = time.monotonic()
        applied = followers[n].rebuild()
        elapsed = time.monotonic() - started
        rate = applied / elapsed if elapsed else 0.0
        click.echo(f"{n}: {applied} events in {elapsed:.2f}s ({rate:,.0f} events/s)")


@projections.command("catch-up")
def projections_catch_up() -> None:
    """Apply whatever the log holds beyond each projection's position, then exit."""
    svc = _services()  # keep a reference: the store closes its pool when collected
    for n, applied in svc.followers.catch_up().items():
        click.echo(f"{n}: {applied} events applied")


@main.group()
def notifications() -> None:
    """Police notices to schools and OPS."""


@notifications.command("escalate")
@click.option("--json", "as_json", is_flag=True)
def notifications_escalate(as_json: bool) -> None:
    """Escalate every unacknowledged notice past its due time to the coordinator (each once)."""
    svc = _services()
    try:
        escalated = svc.notifications.escalate_overdue()
    finally:
        svc.close()
    _emit(as_json, {"escalated": escalated}, f"{len(escalated)} notices escalated")


@main.group()
def deadlines() -> None:
    """Blue Card procedure deadlines."""


@deadlines.command("remind")
@click.option("--json", "as_json", is_flag=True)
def deadlines_remind(as_json: bool) -> None:
    """Raise reminders for deadline items newly due soon or overdue (safe to run any time, and again)."""
    svc = _services()
    try:
        raised = svc.deadlines.remind()
    finally:
        svc.close()
    _emit(as_json, raised, f"reminders raised: {raised['due_soon']} due soon, {raised['overdue']} overdue")


@main.group()
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

    svc = _services()
    try:
        # The operator reads the aggregate figures with the auditor's read-only role.
        reader = Actor(UUID(int=0), _municipality(svc, municipality), None, None, "auditor")
        result = svc.reports.programme(reader, start.date(), end.date())
    except DomainError as e:
        _fail(str(e))
    finally:
        svc.close()
    if as_csv:
        click.echo(programme_csv(result), nl=False)  # bytes: the BOM and UTF-8 reach the file unchanged
        return
    lines = [f"{i['value']:>7}  {i['label']}" for i in result["indicators"]]
    lines += [f"{b['breached']:>7}  przekroczone: {b['label']} (z {b['due']}; mediana "
              f"{_or_dash(b['median_delay_working_days'])}, najwięcej {_or_dash(b['worst_delay_working_days'])}"
              " dni roboczych)" for b in result["deadline_breaches"]]
    lines.append(f"computed {result['computed_at']}, events recorded before {result['recorded_by']} "
                 f"(up to position {result['last_event_position']})" + ("" if result["final"] else ", period not over"))
    _emit(as_json, result, "\n".join(lines))


def _or_dash(value: object) -> str:
    return "—" if value is None else str(value)


@main.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True)
def backup(path: Path, as_json: bool) -> None:
    """Copy the embedded store (events, read models, secret) into PATH; safe while serving."""
    from services.adapters.backup import BackupError
    from services.adapters.backup import backup as run

    try:
        result = run(Settings.from_env(), path)
    except BackupError as e:
        _fail(str(e))
    _emit(as_json, result.as_dict(), f"backed up {len(result.files)} files up to log position {result.head} "
                                     f"into {result.path}")


@main.command()
@click.argument("path", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--json", "as_json", is_flag=True)
def restore(path: Path, as_json: bool) -> None:
    """Restore a backup into the (empty) data directory, then catch the read models up."""
    from services.adapters.backup import BackupError
    from services.adapters.backup import restore as run

    settings = Settings.from_env()
    try:
        result = run(settings, path)
    except BackupError as e:
        _fail(str(e))
    svc = build(settings)
    try:
        applied = svc.followers.catch_up()
    finally:
        svc.close()
    _emit(as_json, {**result.as_dict(), "projections_applied": applied},
          f"restored log up to position {result.head} into {result.path}; projections caught up: {applied}")


@main.command("migrate-store")
@click.option("--to", "target", required=True, metavar="postgresql://USER:PASSWORD@HOST:PORT/DB",
              help="an empty PostgreSQL database")
@click.option("--json", "as_json", is_flag=True)
def migrate_store(target: str, as_json: bool) -> None:
    """Copy the embedded event store into PostgreSQL (ids, order and bytes kept), then verify it."""
    from services.adapters.migrate import MigrationError, migrate

    settings = Settings.from_env()
    try:
        result = migrate(settings, target, progress=lambda n: None if as_json else click.echo(f"  {n} events copied"))
    except (MigrationError, ValueError) as e:
        _fail(str(e))
    secret = "SAFEHUB_SECRET_KEY (already set)" if settings.secret_key else \
        f"SAFEHUB_SECRET_KEY to the contents of {settings.data_dir / 'secret.key'}"
    _emit(as_json, result.as_dict(),
          f"copied {result.events} events (log positions 1..{result.head}), {result.snapshots} snapshots and "
          f"{result.subject_keys} per-subject keys; "
          f"verified {result.verified} events byte for byte.\nNext: set SAFEHUB_DATABASE_URL to the target, "
          f"{secret}, and run 'safehub projections catch-up' (or start the workers).")


def _celery(*args: str) -> None:
    """Hand over to Celery for the workers package (this process becomes the worker)."""
    os.execvp(sys.executable, [sys.executable, "-m", "celery", "-A", "workers.app", *args])  # noqa: S606


@main.command()
@click.option("--concurrency", default=2, show_default=True, type=int)
def worker(concurrency: int) -> None:
    """Run a Celery worker that follows the log into the projections (production mode)."""
    _celery("worker", "--loglevel=INFO", f"--concurrency={concurrency}")


@main.command()
def beat() -> None:
    """Run Celery beat: the periodic catch-up that covers any lost nudge."""
    schedule = Settings.from_env().data_dir / "celerybeat-schedule"
    schedule.parent.mkdir(parents=True, exist_ok=True)
    _celery("beat", "--loglevel=INFO", f"--schedule={schedule}")


if __name__ == "__main__":
    main()
