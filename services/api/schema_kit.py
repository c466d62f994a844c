"""What every schema module shares: strict input schemas, documented dates and moments,
the note on withheld text, and the language the caller asked for.

Every ``schemas*`` module takes these from here, so none needs another schema module for
its building blocks and the schema modules import one another without a circle.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import request
from marshmallow import RAISE, Schema, fields

WARSAW = ZoneInfo("Europe/Warsaw")
LANGUAGES = ("pl", "en")


def iso(fmt: str = "date-time", **kwargs: object) -> fields.String:
    """A string documented as an ISO date or date-time."""
    return fields.String(metadata={"format": fmt}, **kwargs)


class StrictSchema(Schema):
    """Refuse unknown fields: a typo must not be silently dropped."""

    class Meta:
        unknown = RAISE


def when(description: str = "", **kwargs: object) -> fields.AwareDateTime:
    """A moment; without a zone it is read as Polish local time."""
    note = "ISO 8601; without an offset, Europe/Warsaw local time"
    return fields.AwareDateTime(
        default_timezone=WARSAW,
        metadata={"description": f"{description} ({note})" if description else note},
        **kwargs,
    )


def withheld() -> fields.String:
    """Present on an entry whose text the reader may not see: the category that keeps it."""
    return fields.String(
        metadata={
            "description": "present when the entry's text is withheld from you: its data category "
            "(health, addiction, conviction) is not open to your agency on this child's group"
        }
    )


def request_language() -> str:
    """The language the API caller asks for (``Accept-Language``), Polish unless English is preferred."""
    return request.accept_languages.best_match(LANGUAGES) or "pl"
