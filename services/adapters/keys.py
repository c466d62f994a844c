"""Per-subject data keys: destroying a person's key makes their personal data unreadable everywhere.

Each key is random (AES-256), stored apart from the event store (the log is immutable, the
key store is not), wrapped (encrypted) with the key-wrapping key. That key is held outside
the database and the data directory (``Settings.resolved_wrapping_key``: a file in the keys
folder or ``SAFEHUB_KEY_WRAPPING_KEY``) and never enters a backup, and it is not the payload
key every process reading the log needs: a ``pg_dump`` or a backup, even with the payload
key, opens no person's data. Wrapped values carry the prefix ``kwk:``; keys wrapped by the
payload key before it existed are re-wrapped when the store opens.

Erasure first records the subject in the erasure ledger (services/adapters/ledger.py: a
restore replays it), then deletes the wrapped key (SQLite with ``secure_delete``, so the
bytes are overwritten) and keeps a tombstone saying when. A key is never re-created for a
subject that was erased.
"""

from __future__ import annotations

import base64
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.cryptography import AESCipher
from eventsourcing.utils import Environment

from projections.schema_lock import schema_lock_if
from services.adapters.ledger import ErasureLedger
from services.adapters.side_table import SideTable

#: How long an unwrapped key is kept in memory; a key destroyed by another process stops
#: working here within this time (reads of an erased record are refused before that).
CACHE_SECONDS = 30.0
#: How many unwrapped keys are kept in memory at most (least recently used go first), so a
#: rebuild that opens every child's key once holds a bounded number, not one per child.
#: Each is kept as its 32 bytes (about 0.2 KiB with its entry), not as a ready cipher: an
#: AES-GCM object holds 1.6 KiB of OpenSSL memory that Python's own accounting never sees
#: (10,000 of them: 16 MiB), and building one costs about a microsecond per use.
CACHE_KEYS = 10_000
#: Subjects asked for in one query by :meth:`SubjectKeys.prefetch`.
PREFETCH_CHUNK = 500
#: Marks a key wrapped by the key-wrapping key (unmarked: by the payload key, as before it existed).
WRAPPED = "kwk:"


class WrongWrappingKey(RuntimeError):
    """The configured key-wrapping key does not open the stored keys: refuse to start, never re-key."""


class KeyErased(Exception):
    """The subject's key was destroyed: its personal data can no longer be read or written."""


class ReusedAESCipher(AESCipher):
    """The library's AES-GCM cipher (same format), keeping its AESGCM object instead of making one per call.

    Reading the log decrypts every event (and every sealed box) once: building the
    AESGCM object each time cost about as much as the decryption itself. The object
    holds only the key, and each call uses its own context, so sharing it is safe.
    """

    _aead: AESGCM

    def __init__(self, environment: Environment):
        super().__init__(environment)
        self._aead = AESGCM(self.key)

    @classmethod
    def of(cls, cipher: AESCipher) -> ReusedAESCipher:
        """The same cipher (same key), reusing its AESGCM object."""
        return cls.with_key(cipher.key)

    @classmethod
    def with_key(cls, key: bytes) -> ReusedAESCipher:
        """The cipher of a raw AES key (16, 24 or 32 bytes)."""
        reused = object.__new__(cls)
        reused.key = key
        reused._aead = AESGCM(key)
        return reused

    def decrypt(self, ciphertext: bytes) -> bytes:
        """Return the plaintext, refusing damaged or forged text exactly as the library does."""
        nonce, tag, encrypted = ciphertext[:12], ciphertext[12:28], ciphertext[28:]
        if len(nonce) != 12:
            raise ValueError("Damaged cipher text: invalid nonce length")
        if len(tag) != 16:
            raise ValueError("Damaged cipher text: invalid tag length")
        try:
            return self._aead.decrypt(nonce, encrypted + tag, None)
        except InvalidTag as e:
            raise ValueError("Invalid cipher tag") from e


def _cipher(key_b64: str) -> AESCipher:
    return ReusedAESCipher(Environment(env={"CIPHER_KEY": key_b64}))


class SubjectKeys(SideTable):
    """Create, use and destroy per-subject keys in SQLite (embedded) or PostgreSQL."""

    def __init__(
        self,
        master_key: str,
        *,
        wrapping_key: str | None = None,
        ledger: ErasureLedger | None = None,
        sqlite_path: Path | None = None,
        postgres_url: str | None = None,
    ):
        self.master = _cipher(master_key)
        #: None: keys are wrapped by the payload key (unit tests, and stores from before the wrapping key).
        self.wrapper = _cipher(wrapping_key) if wrapping_key else None
        self.ledger = ledger
        super().__init__(sqlite_path=sqlite_path, postgres_url=postgres_url)
        self._cache: OrderedDict[str, tuple[float, bytes]] = OrderedDict()
        self._cache_lock = threading.Lock()
        with schema_lock_if(postgres_url):
            self._execute(
                "CREATE TABLE IF NOT EXISTS safehub_subject_keys (subject TEXT PRIMARY KEY, "
                "wrapped TEXT, created_at TEXT NOT NULL, destroyed_at TEXT)"
            )
        if self.wrapper is not None:
            self._check_wrapping()
            self._rewrap_legacy()

    # --- use --------------------------------------------------------------------------

    def seal(self, subject: UUID, plaintext: bytes) -> str:
        """Encrypt with the subject's key (created on first use); refuse an erased subject."""
        cipher = self._key(subject, create=True)
        if cipher is None:
            raise KeyErased(f"the personal data of {subject} was erased")
        return base64.b64encode(cipher.encrypt(plaintext)).decode()

    def ensure(self, subjects: list[UUID]) -> None:
        """Create the keys of many new subjects in one transaction (one fsync, not one each).

        Called before the events that need them are stored, so no event is ever sealed
        with a key that a crash could lose.
        """
        now = time.monotonic()
        with self._cache_lock:
            names = [
                str(s) for s in subjects if str(s) not in self._cache or now - self._cache[str(s)][0] >= CACHE_SECONDS
            ]
        if not names:
            return
        keys = {n: AESCipher.create_key(32) for n in names}
        fresh = [(n, self._wrap(k), datetime.now(UTC).isoformat()) for n, k in keys.items()]
        inserted = self._execute_many(
            "INSERT INTO safehub_subject_keys VALUES (?, ?, ?, NULL) ON CONFLICT (subject) DO NOTHING", fresh
        )
        if inserted == len(fresh):  # every key is ours: seal with them without reading them back
            for name, key in keys.items():  # within the cache's bound: beyond it they are read back
                self._remember(name, now, base64.b64decode(key))

    def open(self, subject: UUID, box: str) -> bytes | None:
        """Decrypt, or None when the subject's key was destroyed."""
        cipher = self._key(subject, create=False)
        return None if cipher is None else cipher.decrypt(base64.b64decode(box))

    def destroy(self, subject: UUID | str, *, at: str | None = None, record: bool = True) -> bool:
        """Destroy the subject's key for good; True if there was one.

        The erasure goes into the ledger first (``record``; a replay of the ledger does not
        write it again), so a key is never gone without a line a restore will replay.
        """
        now = at or datetime.now(UTC).isoformat()
        if record and self.ledger is not None:
            self.ledger.record(str(subject), now)
        existed = self._execute(
            "UPDATE safehub_subject_keys SET wrapped = NULL, destroyed_at = ? "
            "WHERE subject = ? AND wrapped IS NOT NULL RETURNING subject",
            (now, str(subject)),
        )
        if not existed:
            self._execute(
                "INSERT INTO safehub_subject_keys VALUES (?, NULL, ?, ?) ON CONFLICT (subject) DO NOTHING",
                (str(subject), now, now),
            )
        with self._cache_lock:
            self._cache.pop(str(subject), None)
        if self.sqlite_path is not None:
            self._execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            # The UPDATE leaves the old row version, wrapped key included, in the table's
            # files until its space is reused: VACUUM FULL rewrites the table without it.
            # (The server's WAL segments, and any WAL archive, keep it until they expire.)
            self._execute("VACUUM (FULL) safehub_subject_keys")
        return bool(existed)

    def is_destroyed(self, subject: UUID) -> bool:
        """True when the subject's key was destroyed."""
        rows = self._execute("SELECT destroyed_at FROM safehub_subject_keys WHERE subject = ?", (str(subject),))
        return bool(rows and rows[0][0])

    # --- storage ----------------------------------------------------------------------

    def prefetch(self, subjects: Iterable[UUID | str]) -> None:
        """Load into the cache, in one query per few hundred, the keys of subjects about to be opened.

        A projection batch opens the sealed fields of many children: this replaces one
        query per child (a round trip each on PostgreSQL) with one per chunk. Keys already
        cached and fresh are not asked for; an erased or unknown subject is simply not
        cached, so :meth:`open` still answers None for it exactly as before.
        """
        now = time.monotonic()
        with self._cache_lock:
            names = sorted(
                n
                for n in {str(s) for s in subjects}
                if n not in self._cache or now - self._cache[n][0] >= CACHE_SECONDS
            )
        for start in range(0, len(names), PREFETCH_CHUNK):
            chunk = names[start : start + PREFETCH_CHUNK]
            marks = ", ".join("?" for _ in chunk)
            rows = self._execute(
                f"SELECT subject, wrapped FROM safehub_subject_keys "  # noqa: S608 - placeholders
                f"WHERE subject IN ({marks}) AND wrapped IS NOT NULL",
                tuple(chunk),
            )
            for subject, wrapped in rows:
                self._remember(subject, now, self._unwrap(wrapped))

    def _wrap(self, key_b64: str) -> str:
        """The stored form of a new key (base64 text): wrapped by the key-wrapping key when there is one."""
        if self.wrapper is None:
            return base64.b64encode(self.master.encrypt(key_b64.encode())).decode()
        return WRAPPED + base64.b64encode(self.wrapper.encrypt(key_b64.encode())).decode()

    def _unwrap(self, wrapped: str) -> bytes:
        """The subject's key (32 bytes) from its stored, wrapped form."""
        if wrapped.startswith(WRAPPED):
            if self.wrapper is None:
                raise WrongWrappingKey("the per-person keys are wrapped by a key-wrapping key that is not configured")
            return base64.b64decode(self.wrapper.decrypt(base64.b64decode(wrapped[len(WRAPPED) :])))
        return base64.b64decode(self.master.decrypt(base64.b64decode(wrapped)))

    def _check_wrapping(self) -> None:
        """Refuse a key-wrapping key that does not open the keys already stored (a wrong or new file)."""
        rows = self._execute("SELECT wrapped FROM safehub_subject_keys WHERE wrapped LIKE ? LIMIT 1", (WRAPPED + "%",))
        if not rows:
            return
        try:
            self._unwrap(rows[0][0])
        except ValueError as e:
            raise WrongWrappingKey(
                "the key-wrapping key does not open the stored per-person keys: set SAFEHUB_KEY_WRAPPING_KEY_FILE "
                "(or SAFEHUB_KEYS_DIR) to this deployment's wrapping.key"
            ) from e

    def _rewrap_legacy(self) -> None:
        """Re-wrap keys wrapped by the payload key (stores from before the key-wrapping key), in one transaction."""
        rows = self._execute(
            "SELECT subject, wrapped FROM safehub_subject_keys WHERE wrapped IS NOT NULL AND wrapped NOT LIKE ?",
            (WRAPPED + "%",),
        )
        if not rows:
            return
        updates = [
            (self._wrap(base64.b64encode(self._unwrap(wrapped)).decode()), subject, wrapped)
            for subject, wrapped in rows
        ]
        self._execute_many("UPDATE safehub_subject_keys SET wrapped = ? WHERE subject = ? AND wrapped = ?", updates)
        if self.sqlite_path is not None:
            self._execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def _remember(self, name: str, at: float, key: bytes) -> None:
        with self._cache_lock:
            self._cache[name] = (at, key)
            self._cache.move_to_end(name)
            while len(self._cache) > CACHE_KEYS:
                self._cache.popitem(last=False)

    def _key(self, subject: UUID, create: bool) -> AESCipher | None:
        name = str(subject)
        with self._cache_lock:
            cached = self._cache.get(name)
            if cached and time.monotonic() - cached[0] < CACHE_SECONDS:
                self._cache.move_to_end(name)
                return ReusedAESCipher.with_key(cached[1])
        rows = self._execute("SELECT wrapped, destroyed_at FROM safehub_subject_keys WHERE subject = ?", (name,))
        if not rows and create:
            fresh = self._wrap(AESCipher.create_key(32))
            self._execute(
                "INSERT INTO safehub_subject_keys VALUES (?, ?, ?, NULL) ON CONFLICT (subject) DO NOTHING",
                (name, fresh, datetime.now(UTC).isoformat()),
            )
            rows = self._execute("SELECT wrapped, destroyed_at FROM safehub_subject_keys WHERE subject = ?", (name,))
        if not rows or rows[0][0] is None:
            return None
        key = self._unwrap(rows[0][0])
        self._remember(name, time.monotonic(), key)
        return ReusedAESCipher.with_key(key)
