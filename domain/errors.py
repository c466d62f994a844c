"""Domain errors: the one vocabulary for 'no', mapped to HTTP in one place.

Business rules raise these instead of using ``assert`` (which vanishes under -O).
"""

from __future__ import annotations


class DomainError(Exception):
    """Base class for every refusal the domain can give."""


class InvalidInput(DomainError):
    """One or more fields break a rule; each entry names the field and the problem."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items()))

    @classmethod
    def one(cls, field: str, message: str) -> InvalidInput:
        """Build the error for a single field."""
        return cls({field: [message]})


class NotFound(DomainError):
    """The thing asked for does not exist (or is not visible to the caller)."""


class Forbidden(DomainError):
    """The caller's role or agency may not do this."""


class Conflict(DomainError):
    """The change contradicts what is already recorded."""

    def __init__(self, message: str, **details: object):
        self.details = details
        super().__init__(message)
