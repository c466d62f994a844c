"""Run the processes: the embedded server, the demo, and the Celery worker and beat of production."""

from __future__ import annotations

import os
import sys

import click

from services.bootstrap import utc_now
from services.cli.common import services_from_env
from services.config import Settings


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def serve(host: str, port: int) -> None:
    """Serve the API (and later the pages) on the embedded store or the configured one."""
    from services.app import create_app
    from services.http.server import serve as run

    svc = services_from_env()
    if not svc.directory.list_municipalities():
        svc.directory.create_municipality("Gmina")
    svc.close()  # the server process builds its own after the fork
    click.echo(f"safehub on http://{host}:{port}/  (API docs: http://{host}:{port}/api/v1/docs)")
    run(create_app, host, port)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="load the data and print the tokens, then exit")
def demo(host: str, port: int, no_serve: bool) -> None:
    """Load a demo gmina (once), print its users' fresh tokens, then serve."""
    from services.demo.world import load_demo

    svc = services_from_env()
    result = load_demo(svc, utc_now())
    click.echo(
        "Demo data loaded."
        if result.created
        else "Demo data already present; issued fresh tokens (earlier ones no longer work)."
    )
    click.echo(f"municipality: {result.municipality_id}\n")
    for user in result.users:
        click.echo(f"{user['role']:<17} {user['name']:<45} {user['token']}")
    if result.children:
        click.echo(f"\n{len(result.children)} children registered, e.g. {result.children[0]['id']}")
    click.echo(f"\nTry:  curl -H 'Authorization: Bearer <token>' http://{host}:{port}/api/v1/me\n")
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


def _celery(*args: str) -> None:
    """Hand over to Celery for the workers package (this process becomes the worker)."""
    os.execvp(sys.executable, [sys.executable, "-m", "celery", "-A", "workers.app", *args])  # noqa: S606


@click.command()
@click.option("--concurrency", default=2, show_default=True, type=int)
def worker(concurrency: int) -> None:
    """Run a Celery worker that follows the log into the projections (production mode)."""
    _celery("worker", "--loglevel=INFO", f"--concurrency={concurrency}")


@click.command()
def beat() -> None:
    """Run Celery beat: the periodic catch-up that covers any lost nudge."""
    schedule = Settings.from_env().data_dir / "celerybeat-schedule"
    schedule.parent.mkdir(parents=True, exist_ok=True)
    _celery("beat", "--loglevel=INFO", f"--schedule={schedule}")


COMMANDS = (serve, demo, worker, beat)
