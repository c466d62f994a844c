"""The erasure ledger: which persons were erased and when, kept outside the data it erases.

A restore brings back the store as it was when the backup was taken, keys included, so a
person erased after that would come back with it. Every destroyed key is therefore first
written here (subject id and time: no name, no text, nothing personal, so the ledger may be
kept for ever and in several places), and a restore destroys again every key the ledger
names. The ledger lives in the keys folder, outside the data directory (which a disaster
or a restore empties), and each backup carries a copy of it, so restoring an older backup
with a newer backup's ledger also replays what happened in between.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path


class LedgerDamaged(Exception):
    """A ledger line other than a torn last one cannot be read: nothing is replayed from a guess."""


def parse(text: str) -> dict[str, str]:
    """``subject -> erased_at`` from ledger text (the earliest time when a subject appears twice).

    A last line without its newline is a write cut short by a crash before its key was
    destroyed (the line is written first): it is skipped. Any other unreadable line refuses.
    """
    entries: dict[str, str] = {}
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            subject, at = str(row["subject"]), str(row["erased_at"])
        except (ValueError, KeyError, TypeError) as e:
            if number == len(lines):  # torn last line
                continue
            raise LedgerDamaged(f"erasure ledger line {number} cannot be read") from e
        entries[subject] = min(at, entries.get(subject, at))
    return entries


def render(entries: dict[str, str]) -> bytes:
    """Ledger text for ``entries`` (as carried in a backup)."""
    return "".join(
        json.dumps({"subject": s, "erased_at": at}) + "\n" for s, at in sorted(entries.items(), key=lambda e: e[1])
    ).encode()


class ErasureLedger:
    """An append-only, owner-only file of erasures (one JSON line each), fsynced before a key goes."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def record(self, subject: str, at: str) -> None:
        """Append one erasure; it is on disk when this returns (O_APPEND: whole lines from many processes)."""
        self.record_many([(subject, at)])

    def record_many(self, rows: Iterable[tuple[str, str]]) -> None:
        """Append several erasures with one fsync."""
        text = "".join(json.dumps({"subject": s, "erased_at": at}) + "\n" for s, at in rows)
        if not text:
            return
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, text.encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def entries(self) -> dict[str, str]:
        """``subject -> erased_at`` for every erasure recorded (empty when there is no ledger yet)."""
        if not self.path.exists():
            return {}
        return parse(self.path.read_text())

    def merge(self, entries: dict[str, str]) -> int:
        """Add the erasures this ledger lacks (from a backup or another copy); return how many."""
        known = self.entries()
        missing = [(s, at) for s, at in sorted(entries.items(), key=lambda e: e[1]) if s not in known]
        self.record_many(missing)
        return len(missing)
