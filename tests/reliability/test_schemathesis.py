"""Property-based fuzzing of every operation in the served OpenAPI document (schemathesis).

Schemathesis reads ``/api/v1/openapi.json`` from the app itself and generates requests
from it - valid ones and deliberately invalid ones - for every operation, sent with the
token of a user whose role the operation is for (and, half the time, the ids of real
records of the test world in the path, so the requests get past "not found"). Every
answer must be no 5xx, and must match the document: a documented status code, the
documented content type, a body that conforms to the documented schema, and the
documented headers. A few examples per operation keep the run under a couple of minutes.
"""

from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode, checks

from tests.worlds import World

#: Examples per operation (and per kind of data): enough to find the obvious, bounded in time.
EXAMPLES = 8
#: Operation path prefix -> the role that uses it (the first match wins; else the coordinator).
WHO = (
    ("POST /api/v1/signals/import", "school"),
    ("POST /api/v1/children", "school"),
    ("POST /api/v1/blue-cards", "police"),
    ("/api/v1/time-cards", "family_assistant"),
    ("/api/v1/help-plans", "family_assistant"),
    ("/api/v1/notifications", "school"),
    ("POST /api/v1/agencies", "admin"),
    ("/api/v1/users", "admin"),
    ("/api/v1/audit", "auditor"),
)
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]


@pytest.fixture
def real_ids(services, world: World) -> dict[str, str]:
    """Ids of real records of the test world, to put in generated paths."""
    school = world.users["school"].actor
    from datetime import date

    child = services.children.register(school, given_name="Ola", family_name="Nowicka", date_of_birth=date(2015, 5, 14))
    return {
        "child_id": child["id"],
        "agency_id": str(world.agencies["school"]),
        "user_id": str(world.users["day_centre"].id),  # not a caller here: it may be deactivated or reset
    }


def role_for(method: str, path: str) -> str:
    label = f"{method.upper()} {path}"
    return next((role for prefix, role in WHO if label.startswith(prefix) or path.startswith(prefix)), "coordinator")


def fuzz(
    operation, mode: GenerationMode, headers: dict[str, str], real_ids: dict[str, str], statuses: Counter[int]
) -> None:
    """Send generated requests to one operation and check every answer against the document."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    def call(case) -> None:
        for name in list(case.path_parameters or {}):
            if name in real_ids and hash(str(case.path_parameters[name])) % 2:
                case.path_parameters[name] = real_ids[name]
        generated = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
        if case.headers:
            case.headers = generated  # the generated token is noise: the user's own is sent
        response = case.call_and_validate(headers={**generated, **headers}, checks=CHECKS)
        statuses[response.status_code] += 1

    call()


def test_every_operation_answers_as_documented_and_never_5xx(app, world, real_ids):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures: dict[str, str] = {}
    statuses: Counter[int] = Counter()
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        user = world.users[role_for(operation.method, operation.path)]
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                fuzz(operation, mode, user.headers, real_ids, statuses)
            except (Exception, BaseExceptionGroup) as failure:  # all operations are tried, failures reported together
                failures[f"{operation.label} ({mode.value})"] = str(failure)[:1500]
    print(f"{operations} operations, {sum(statuses.values())} requests, answers: {sorted(statuses.items())}")
    assert operations > 50, "the whole document was read"
    assert sum(n for status, n in statuses.items() if status < 300) > operations, "requests got past validation"
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
