"""The subject-access export (RODO art. 15) of one child's record, for the coordinator and the auditor."""

from __future__ import annotations

from uuid import UUID

from flask.views import MethodView

from services.api.blue_cards import answer
from services.api.schema_kit import Blueprint
from services.api.schemas_retention import SubjectAccessSchema
from services.http.auth import current_actor
from services.http.context import services

blp = Blueprint("subject_access", __name__, url_prefix="/api/v1/children", description="Subject access (RODO art. 15)")


@blp.route("/<uuid:child_id>/subject-access")
class ChildSubjectAccess(MethodView):
    @blp.response(200, SubjectAccessSchema)
    def get(self, child_id: UUID):
        """Everything held about the child (which agency recorded what, when), the read log of the
        record and its erasures. The export is audited (view ``subject_access``)."""
        return answer(services().subject_access.export(current_actor(), child_id))


#: Adults named in a case (domain/persons.py) have the same right.
person_blp = Blueprint(
    "person_subject_access", __name__, url_prefix="/api/v1/persons", description="Subject access (RODO art. 15)"
)


@person_blp.route("/<uuid:person_id>/subject-access")
class PersonSubjectAccess(MethodView):
    @person_blp.response(200, SubjectAccessSchema)
    def get(self, person_id: UUID):
        """Everything held about an adult named in a case (their record and every record naming them), the
        read log of their record and its erasures. Audited (view ``subject_access``) for the person and for
        the children of the records shown."""
        return answer(services().subject_access.export_person(current_actor(), person_id))
