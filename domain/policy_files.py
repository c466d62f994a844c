"""Reading a policy file: the shipped default beside the code, or an operator's own TOML."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from domain.errors import InvalidInput


def read_policy(path: str | Path | None, default_file: str) -> dict:
    """Parse the TOML at ``path`` (``None``: the shipped ``domain/<default_file>``), naming it on error."""
    if path is None:
        text = resources.files("domain").joinpath(default_file).read_text(encoding="utf-8")
        source = f"domain/{default_file}"
    else:
        text = Path(path).read_text(encoding="utf-8")
        source = str(path)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput.one("policy", f"{source} is not valid TOML: {exc}") from None
