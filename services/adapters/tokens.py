"""Secrets and digests: API tokens are shown once and only their hashes are kept.

Tokens carry 256 bits of randomness, so a plain SHA-256 is enough to store them (a slow
password hash buys nothing there). Personal lookup keys (a PESEL, a birth date) are
HMAC-ed with the deployment's secret so the stored digest cannot be brute-forced.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_PREFIX = "sh_"  # noqa: S105 - a visible prefix, not a secret


def new_token() -> str:
    """Make a fresh API token (the caller shows it once)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """Hash a token for storage and look-up."""
    return hashlib.sha256(token.encode()).hexdigest()


def keyed_digest(secret: bytes, *parts: str) -> str:
    """Digest personal look-up keys so the store never holds them in a guessable form."""
    return hmac.new(secret, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()
