"""The ``safehub`` command for operators: set up, load demo data, manage users, serve.

Each group of commands lives in its own module; this one only assembles them.
"""

from __future__ import annotations

import click

from services.cli import directory, records, running, upkeep
from services.config import Settings


@click.group()
def main() -> None:
    """safehub: multi-agency child-protection data sharing."""
    from services.runtime.logs import configure_logging

    configure_logging("cli", Settings.from_env().log_level)  # JSON lines on stderr; stdout stays the answer


for _module in (directory, running, records, upkeep):
    for _command in _module.COMMANDS:
        main.add_command(_command)
