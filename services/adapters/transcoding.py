"""How event bodies are written and read: the JSON transcoder and the value types safehub adds.

Every event read from the log is decoded once, and a rebuild decodes millions, so the
decoding is the store's hottest path; it lives here, apart from the store that uses it,
with the promise that it reads exactly what the library's own transcoder would (same
bytes written, same objects read back).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from uuid import UUID, SafeUUID

import orjson
from eventsourcing.persistence import JSONTranscoder, Transcoding, UUIDAsHex


class DateAsISO(Transcoding):
    """Store calendar dates (a date of birth) as ISO strings."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        """Encode the date."""
        return obj.isoformat()

    def decode(self, data: str) -> date:
        """Decode the date."""
        return date.fromisoformat(data)


class UUIDAsHexQuick(UUIDAsHex):
    """The library's ``uuid_hex`` transcoding, decoding the hex it wrote without ``UUID()``'s parsing.

    Reading the log decodes several ids per event; ``UUID(hex)`` strips prefixes, braces
    and dashes first, which a 32-character alphanumeric string cannot contain, so for
    such a string building the UUID from ``int(data, 16)`` is exactly what ``UUID(data)``
    does (same value, same error for a non-hex character). Anything else goes to ``UUID()``.
    """

    def decode(self, data: str) -> UUID:
        """Decode the hex (stored by :meth:`encode`)."""
        if type(data) is str and len(data) == 32 and data.isalnum():
            uuid = object.__new__(UUID)
            object.__setattr__(uuid, "int", int(data, 16))
            object.__setattr__(uuid, "is_safe", SafeUUID.unknown)
            return uuid
        return UUID(data)


#: orjson reads an integer beyond 64 bits as a float: a float this large may have been one.
_INT64 = 2.0**63


class _LibraryReads(Exception):
    """The document holds something orjson may read differently: the library's decoder reads it."""


class QuickJSONTranscoder(JSONTranscoder):
    """The library's JSON transcoder (same bytes, same objects), decoding with orjson.

    Every event read from the log is decoded once; the library's decoder calls a Python
    hook for every JSON object, which a rebuild pays millions of times over. Here orjson
    parses the text and one walk revives the transcoded values (``{"_type_", "_data_"}``),
    innermost first, exactly as the hook would. What orjson refuses but the library reads
    (NaN, text around the document) or may read differently (an integer beyond 64 bits,
    which it reads as a float) goes the library's way.
    """

    def __init__(self) -> None:
        super().__init__()
        names = self.names

        def hook(d: dict[str, Any]) -> Any:
            if len(d) != 2 or "_type_" not in d or "_data_" not in d:
                return d
            try:
                transcoding = names[d["_type_"]]
            except KeyError:
                return self._decode_obj(d)  # raises the library's error
            return transcoding.decode(d["_data_"])

        def revive(value: Any) -> Any:
            """Revive the transcoded values inside a parsed dict or list (in place), innermost first."""
            if type(value) is dict:
                for key, item in value.items():
                    kind = type(item)
                    if kind is dict:
                        data = item.get("_data_") if len(item) == 2 else None
                        # The usual leaf (a uuid, a datetime: its data is text) without a call.
                        value[key] = hook(item) if type(data) is str and "_type_" in item else revive(item)
                    elif kind is list:
                        revive(item)
                    elif kind is float and not -_INT64 < item < _INT64:
                        raise _LibraryReads  # perhaps an integer too long for orjson, which reads it as a float
                return hook(value) if len(value) == 2 else value
            for index, item in enumerate(value):
                kind = type(item)
                if kind is dict or kind is list:
                    value[index] = revive(item)
                elif kind is float and not -_INT64 < item < _INT64:
                    raise _LibraryReads
            return value

        self._revive = revive
        self.decoder = json.JSONDecoder(object_hook=hook)

    def decode(self, data: bytes) -> Any:
        """Decode bytes written by :meth:`encode`; anything orjson refuses as the library does."""
        try:
            value = orjson.loads(data)
            kind = type(value)
            if kind is dict or kind is list:
                return self._revive(value)
            if kind is float and not -_INT64 < value < _INT64:
                raise _LibraryReads
            return value
        except (orjson.JSONDecodeError, _LibraryReads):
            return self.decoder.decode(data.decode("utf8"))
