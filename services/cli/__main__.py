"""``python -m services.cli``: the same command as ``safehub``."""

from services.cli import main

main()
