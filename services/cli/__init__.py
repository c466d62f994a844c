"""The ``safehub`` command for operators: set up, load demo data, manage users, serve.

Each group of commands lives in its own module; this one only assembles them.
"""

from __future__ import annotations

import click

from domain.field_checks import has_unpaired_surrogate
from services.cli import directory, records, retention, running, upkeep
from services.config import Settings, private_files


class _Commands(click.Group):
    """The command group, refusing arguments that are not text before any command runs.

    Argument bytes that are not UTF-8 reach Python as lone surrogates (surrogateescape): no
    store can encode them, so they are a usage error here, not a traceback from the store.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if any(has_unpaired_surrogate(arg) for arg in args):
            raise click.UsageError("an argument is not valid UTF-8 text; check the terminal's encoding", ctx)
        return super().parse_args(ctx, args)


@click.group(cls=_Commands)
def main() -> None:
    """safehub: multi-agency child-protection data sharing."""
    from services.runtime.logs import configure_logging

    private_files()  # backups, exports and every data file the command writes: owner-only
    configure_logging("cli", Settings.from_env().log_level)  # JSON lines on stderr; stdout stays the answer


for _module in (directory, running, records, upkeep, retention):
    for _command in _module.COMMANDS:
        main.add_command(_command)
