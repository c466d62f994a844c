"""Set up a deployment and its directory: municipalities, agencies, users, passwords and tokens."""

from __future__ import annotations

from uuid import UUID

import click

from domain.agencies import AGENCY_KINDS, ROLES
from domain.errors import DomainError
from services.bootstrap import build
from services.cli.common import emit, fail, municipality_of, services_from_env
from services.config import Settings


@click.command()
@click.option(
    "--municipality",
    "name",
    default="Gmina",
    show_default=True,
    help="name of the first municipality, if none exists yet",
)
@click.option("--json", "as_json", is_flag=True, help="print one JSON object")
def init(name: str, as_json: bool) -> None:
    """Create the data directory, its secret and tables, and a first municipality."""
    settings = Settings.from_env(create_tables=True)  # the schema is made here, whatever the environment says
    svc = build(settings)
    municipalities = svc.directory.list_municipalities()
    first = municipalities[0] if municipalities else svc.directory.create_municipality(name)
    where = (settings.database_url and "PostgreSQL") or str(settings.data_dir.resolve())
    emit(
        as_json,
        {"data": where, "municipality_id": first["id"]},
        f"safehub store ready in {where}\nmunicipality: {first['id']} ({first['name']})",
    )


@click.command("create-municipality")
@click.option("--name", required=True)
@click.option("--json", "as_json", is_flag=True)
def create_municipality(name: str, as_json: bool) -> None:
    """Register another municipality (tenant) in this deployment."""
    created = services_from_env().directory.create_municipality(name)
    emit(as_json, created, f"municipality {created['id']} ({created['name']})")


@click.command("create-agency")
@click.option("--kind", required=True, type=click.Choice(AGENCY_KINDS))
@click.option("--name", required=True)
@click.option("--municipality", default=None, help="municipality id (default: the only one)")
@click.option("--json", "as_json", is_flag=True)
def create_agency(kind: str, name: str, municipality: str | None, as_json: bool) -> None:
    """Register an agency."""
    svc = services_from_env()
    try:
        created = svc.directory.create_agency(None, municipality_of(svc, municipality), kind, name)
    except DomainError as e:
        fail(str(e))
    emit(as_json, created, f"agency {created['id']} ({created['kind']}: {created['name']})")


@click.command("create-user")
@click.option("--agency", default=None, help="agency id (not needed for admin or auditor)")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--name", required=True)
@click.option("--municipality", default=None, help="for users without an agency")
@click.option("--login", default=None, help="sign-in name for the web pages (with --password)")
@click.option(
    "--password",
    default=None,
    prompt=True,
    prompt_required=False,
    hide_input=True,
    confirmation_prompt=True,
    help="web sign-in password; give --password alone to be asked for it",
)
@click.option("--json", "as_json", is_flag=True)
def create_user(
    agency: str | None,
    role: str,
    name: str,
    municipality: str | None,
    login: str | None,
    password: str | None,
    as_json: bool,
) -> None:
    """Create a user and print its API token (shown only this once); optionally a web sign-in.

    The operator at the server's console acts at once, with no second approval: this is
    where the first coordinator and the auditor come from. Readers an administrator adds
    later through the API wait until the coordinator (the auditor, for an auditor) approves.
    """
    svc = services_from_env()
    if (login is None) != (password is None):
        fail("give --login and --password together")
    try:
        if password is not None:
            from services.usecases.accounts import check_password

            check_password(password)  # refuse a weak password before the user exists
        municipality_id = UUID(municipality) if municipality else None
        if agency is None and municipality_id is None:
            municipality_id = municipality_of(svc, None)
        created = svc.directory.create_user(
            None, role=role, name=name, municipality_id=municipality_id, agency_id=UUID(agency) if agency else None
        )
        if password is not None and login is not None:
            created["login"] = svc.accounts.set_password(UUID(created["id"]), password, login)["login"]
    except DomainError as e:
        fail(str(e))
    signin = f"\nlogin: {created['login']}" if created.get("login") else ""
    emit(as_json, created, f"user {created['id']} ({role})\ntoken: {created['token']}{signin}")


@click.command("set-password")
@click.option("--user", "user_id", required=True)
@click.option("--login", default=None, help="sign-in name (needed the first time)")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="the new password (asked for when not given)",
)
def set_password(user_id: str, login: str | None, password: str) -> None:
    """Set a user's web sign-in password (and login); their open sessions end."""
    svc = services_from_env()
    try:
        done = svc.accounts.set_password(UUID(user_id), password, login)
    except DomainError as e:
        fail(str(e))
    click.echo(f"password set; login: {done['login']}")


@click.command("issue-token")
@click.option("--user", "user_id", required=True)
@click.option("--json", "as_json", is_flag=True)
def issue_token(user_id: str, as_json: bool) -> None:
    """Replace a user's API token and print the new one (the operator's; the event names no issuer)."""
    try:
        fresh = services_from_env().directory.issue_token(None, UUID(user_id))
    except DomainError as e:
        fail(str(e))
    emit(as_json, fresh, f"token: {fresh['token']}")


@click.command("deactivate-user")
@click.option("--user", "user_id", required=True)
@click.option("--reason", required=True, help="why (kept in the user's history)")
def deactivate_user(user_id: str, reason: str) -> None:
    """Deactivate a user: their API token and page sessions stop working at once."""
    try:
        done = services_from_env().access_grants.deactivate(None, UUID(user_id), reason)
    except (DomainError, ValueError) as e:
        fail(str(e))
    click.echo(f"user {done['id']} deactivated")


@click.command("approve-access")
@click.option("--user", "user_id", required=True)
def approve_access(user_id: str) -> None:
    """Approve a waiting access as the operator, when no other coordinator (auditor) can.

    Prints the approver's half of the setup code: hand it to the person yourself; with the
    half the administrator was shown they claim their own token (POST /api/v1/activation).
    """
    try:
        done = services_from_env().access_grants.approve(None, UUID(user_id))
    except (DomainError, ValueError) as e:
        fail(str(e))
    click.echo(f"access approved for {done['name']}\napproval code: {done['approval_code']}")


COMMANDS = (
    init,
    create_municipality,
    create_agency,
    create_user,
    set_password,
    issue_token,
    deactivate_user,
    approve_access,
)
