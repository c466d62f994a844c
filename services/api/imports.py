"""Bulk CSV import of signals (a school e-register export) and an example file to start from."""

from __future__ import annotations

from flask import Response, request
from flask.views import MethodView
from werkzeug.exceptions import UnsupportedMediaType

from domain.errors import InvalidInput
from services.api.schema_kit import Blueprint
from services.api.schemas import IdempotencyHeaderSchema, ImportQuerySchema, ImportReportSchema
from services.http.auth import current_actor
from services.http.context import services

blp = Blueprint("imports", __name__, url_prefix="/api/v1/signals", description="Bulk import")

EXAMPLE = (
    "pesel;imie;nazwisko;data_urodzenia;rodzaj;data;liczba_dni;opis\r\n"
    "14231212349;Kacper;Wiśniewski;2014-03-12;missed_remote_learning;2026-02-20;3;Brak logowania od poniedziałku\r\n"
    ';Zuzanna;Wiśniewska;02.09.2016;unexplained_absence;20.02.2026;1;"Nieobecna; rodzic nie odbiera"\r\n'
    ";Julia;Kaczmarek;2013-11-23;Brak warunków do nauki;2026-02-19 08:00;;Brak komputera w domu\r\n"
)

_CSV_BODY = {
    "required": True,
    "content": {
        "text/csv": {"schema": {"type": "string"}},
        "multipart/form-data": {
            "schema": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}
        },
    },
    "description": "A CSV file with a header row: pesel, or imie/given_name, nazwisko/family_name and "
    "data_urodzenia/date_of_birth; rodzaj/kind; data/observed_at; optional liczba_dni/days, "
    "waga/severity, opis/details. UTF-8 (with or without BOM) or Windows-1250; ';' or ','.",
}


def _uploaded_bytes() -> bytes:
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise InvalidInput.one("file", "attach the CSV file as the form field 'file'")
        return upload.read()
    if request.mimetype in ("text/csv", "text/plain", "application/octet-stream", "application/vnd.ms-excel"):
        return request.get_data()
    raise UnsupportedMediaType("send the file as text/csv or as multipart/form-data field 'file'")


@blp.route("/import")
class Import(MethodView):
    @blp.arguments(IdempotencyHeaderSchema(), location="headers")  # instances: a class is built per request
    @blp.arguments(ImportQuerySchema(), location="query")
    @blp.doc(requestBody=_CSV_BODY)
    @blp.response(201, ImportReportSchema)
    @blp.alt_response(413, description="the file is larger than SAFEHUB_IMPORT_MAX_BYTES (4 MiB by default)")
    @blp.alt_response(429, description="past SAFEHUB_IMPORTS_PER_MINUTE imports by you this minute; see Retry-After")
    def post(self, headers: dict, query: dict):
        """Import signals from a CSV export; every row is accepted, a duplicate, or rejected with reasons.

        The accepted rows are saved together or not at all. A retry with the same
        ``Idempotency-Key`` returns the first report and imports nothing twice.
        Unknown pupils are registered (their school is the importing school).
        """
        return services().imports.import_csv(
            current_actor(),
            _uploaded_bytes(),
            idempotency_key=headers["idempotency_key"],
            dry_run=query.get("dry_run", False),
        )


@blp.route("/import/example")
class ImportExample(MethodView):
    @blp.response(200, {"type": "string"}, content_type="text/csv")
    def get(self):
        """Download an example file (semicolons, Polish column names, UTF-8 with BOM)."""
        current_actor()
        return Response(
            "\ufeff" + EXAMPLE,
            mimetype="text/csv",
            headers={"Content-Disposition": "attachment; filename=safehub-import-przyklad.csv"},
        )
