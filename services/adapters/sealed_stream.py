"""A file encrypted in chunks with AES-256-GCM, written and read as a stream (a backup of any size).

Layout: a 32-byte header (magic, the key's fingerprint, a random 8-byte nonce prefix),
then chunks, each a 4-byte length and its ciphertext (tag included). A chunk's nonce is
the prefix, its 3-byte number and a last-chunk flag; the header is authenticated with every
chunk. So a chunk cannot be changed, moved, dropped or taken from another archive, and
an archive cut short (the last-chunk flag never seen) is refused: the STREAM construction
of Hoang, Reyhanitabar, Rogaway and Vizár. Each chunk is 1 MiB of plaintext, so memory
stays flat whatever the size.
"""

from __future__ import annotations

import hashlib
import os
import struct
from typing import IO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MAGIC = b"SAFEHUB-SEALED-1"  # 16 bytes
CHUNK = 1 << 20
MAX_CHUNKS = 1 << 24  # the 3-byte chunk number: 16 TiB


class StreamDamaged(ValueError):
    """The archive was changed, cut short, or sealed with another key."""


def fingerprint(key: bytes) -> bytes:
    """8 bytes naming the key (not revealing it), so a wrong key is told apart from damage."""
    return hashlib.sha256(b"safehub sealed stream key\0" + key).digest()[:8]


def _nonce(prefix: bytes, number: int, last: bool) -> bytes:
    if number >= MAX_CHUNKS:
        raise StreamDamaged("too many chunks")
    return prefix + number.to_bytes(3, "big") + (b"\1" if last else b"\0")


class SealedWriter:
    """A write-only file object: what is written is sealed chunk by chunk into ``out``."""

    def __init__(self, out: IO[bytes], key: bytes):
        self.out = out
        self.aead = AESGCM(key)
        self.header = MAGIC + fingerprint(key) + os.urandom(8)
        self.prefix = self.header[24:]
        self.buffer = bytearray()
        self.number = 0
        out.write(self.header)

    def write(self, data: bytes) -> int:
        """Buffer ``data``; seal every whole chunk (never the last one: :meth:`finish` does)."""
        self.buffer += data
        while len(self.buffer) > CHUNK:
            self._seal(bytes(self.buffer[:CHUNK]), last=False)
            del self.buffer[:CHUNK]
        return len(data)

    def finish(self) -> None:
        """Seal what is left as the last chunk (possibly empty): the archive is complete."""
        self._seal(bytes(self.buffer), last=True)
        self.buffer.clear()

    def _seal(self, plain: bytes, last: bool) -> None:
        sealed = self.aead.encrypt(_nonce(self.prefix, self.number, last), plain, self.header)
        self.out.write(struct.pack(">I", len(sealed)) + sealed)
        self.number += 1


class SealedReader:
    """A read-only file object giving back the plaintext of a sealed stream, checking every chunk."""

    def __init__(self, source: IO[bytes], key: bytes):
        self.source = source
        self.aead = AESGCM(key)
        self.header = source.read(32)
        if len(self.header) != 32 or self.header[:16] != MAGIC:
            raise StreamDamaged("not a sealed safehub archive")
        if self.header[16:24] != fingerprint(key):
            raise StreamDamaged("the archive was sealed with another key (SAFEHUB_BACKUP_KEY_FILE)")
        self.prefix = self.header[24:]
        self.buffer = bytearray()
        self.number = 0
        self.done = False

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes of plaintext (all of it when negative)."""
        while not self.done and (size < 0 or len(self.buffer) < size):
            self._open_next()
        if size < 0:
            size = len(self.buffer)
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        return data

    def _open_next(self) -> None:
        head = self.source.read(4)
        if len(head) != 4:
            raise StreamDamaged("the archive is cut short")
        (length,) = struct.unpack(">I", head)
        if length > CHUNK + 16:
            raise StreamDamaged("a chunk is larger than any written")
        sealed = self.source.read(length)
        if len(sealed) != length:
            raise StreamDamaged("the archive is cut short")
        for last in (False, True):
            try:
                plain = self.aead.decrypt(_nonce(self.prefix, self.number, last), sealed, self.header)
            except InvalidTag:
                continue
            self.buffer += plain
            self.number += 1
            if last:
                self.done = True
                if self.source.read(1):
                    raise StreamDamaged("data follows the last chunk")
            return
        raise StreamDamaged("a chunk was changed or moved")
