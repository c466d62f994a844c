"""Finding 9 (crashes and cheap overload): every input has hard limits, and breaking one is a 422
naming the field, never a 500 and never work done first.

- A lone surrogate ("\\ud800", sent as a JSON escape) in any free text was a 500: the sealing
  mapper was the first to notice it could not encode the text. Every string an input schema
  loads (the API's bodies and queries, and the pages' forms, which load through the same
  schemas) now refuses it, naming the field; so does the domain's text check behind them.
- A 5,000-digit integer in ``days`` was a 500 (Python's int string limit, hit inside the JSON
  decoder): an absurdly long number is now a 422 naming the field, and every number an input
  schema loads has explicit bounds.
- A form A with 100,000 child ids was processed before it was refused: every list an input
  schema loads has a maximum length, checked before its items are read and before any use
  case (and so any aggregate) is reached.
"""

from __future__ import annotations

import json
import time
from datetime import date
from uuid import UUID, uuid4

import pytest
from marshmallow import Schema, ValidationError, fields, validate

from domain.agencies import Municipality
from domain.errors import InvalidInput
from services.adapters.sealing import UnstorableText
from services.api.schema_kit import StrictSchema
from tests.functional.api.test_blue_cards import fill_form_a, members
from tests.functional.api.test_help_plans import plan_body
from tests.functional.api.test_timeline import post_child

API = "/api/v1"
LONE = "\ud800"
FIVE_THOUSAND_DIGITS = "9" * 5000


def post_raw(client, who, path: str, body: str):
    """Send ``body`` as it is written (a JSON escape such as \\ud800 stays an escape on the wire)."""
    return client.post(path, headers={**who.headers, "Content-Type": "application/json"}, data=body.encode())


def refused(answer, field: str) -> list[str]:
    assert answer.status_code == 422, (answer.status_code, answer.get_data(as_text=True)[:300])
    errors = answer.json["errors"]
    assert field in errors, errors
    return errors[field]


# --- unpaired surrogates ---------------------------------------------------------------------


def test_a_lone_surrogate_in_a_signals_details_is_a_422_naming_the_field(client, world):
    school = world.users["school"]
    child = post_child(client, school)
    answer = post_raw(
        client,
        school,
        f"{API}/children/{child}/signals",
        '{"kind": "unexplained_absence", "observed_at": "2026-03-01T08:00:00", "details": "cisza \\ud800"}',
    )
    assert refused(answer, "details") == ["must not contain an unpaired surrogate (not valid text)"]


def test_a_lone_surrogate_in_form_a_and_in_a_nested_plan_action_is_named(client, world):
    police = world.users["police"]
    child = post_child(client, world.users["school"])
    body = (
        '{"incident_date": "2026-03-01", "place": "ul. Lipowa \\udfff", "description": "opis",'
        f' "child_victim_ids": ["{child}"], "perpetrators": ["Jan \\ud83d"]}}'
    )
    answer = post_raw(client, police, f"{API}/blue-cards", body)
    assert answer.status_code == 422, answer.json
    assert set(answer.json["errors"]) == {"place", "perpetrators.0"}

    plan = plan_body(world)
    plan["actions"][0]["description"] = "WAS"
    text = json.dumps({"child_ids": [child], "plan": plan}).replace('"WAS"', '"\\udc00 dzia\\u0142anie"')
    answer = post_raw(client, world.users["family_assistant"], f"{API}/help-plans", text)
    refused(answer, "plan.actions.0.description")


def test_a_paired_surrogate_is_an_ordinary_character(client, world):
    school = world.users["school"]
    child = post_child(client, school)
    answer = post_raw(
        client,
        school,
        f"{API}/children/{child}/signals",
        '{"kind": "unexplained_absence", "observed_at": "2026-03-01T08:00:00", "details": "\\ud83d\\ude00"}',
    )
    assert answer.status_code == 201, answer.json
    assert answer.json["details"] == "\U0001f600"


def test_a_lone_surrogate_in_a_field_name_is_refused_without_echoing_it(client, world):
    school = world.users["school"]
    child = post_child(client, school)
    answer = post_raw(
        client,
        school,
        f"{API}/children/{child}/signals",
        '{"kind": "unexplained_absence", "observed_at": "2026-03-01T08:00:00", "x\\ud800": 1}',
    )
    assert answer.status_code == 422
    assert answer.json["errors"] == {"_schema": ["a field name contains an unpaired surrogate (not valid text)"]}


def input_schemas(app) -> dict[str, tuple[Schema, str]]:
    """Every schema the API loads a request with: name -> (instance, location)."""
    found: dict[str, tuple[Schema, str]] = {}
    for function in app.view_functions.values():
        view = getattr(function, "view_class", None)
        for method in getattr(view, "methods", None) or ():
            handler = getattr(view, method.lower())
            for parameter in getattr(handler, "_apidoc", {}).get("arguments", {}).get("parameters", []):
                schema = parameter["schema"]
                schema = schema() if isinstance(schema, type) else schema
                found.setdefault(type(schema).__name__, (schema, parameter["in"]))
    assert len(found) > 30, found
    return found


def loaded_fields(schema: Schema, prefix: str = ""):
    """(dotted path, field) of every field a schema loads, nested schemas included."""
    for name, field in schema.load_fields.items():
        path = prefix + (field.data_key or name)
        yield path, field
        inner = field.inner if isinstance(field, fields.List) else field
        if isinstance(inner, fields.Nested):
            yield from loaded_fields(inner.schema, path + ".0." if inner is not field else path + ".")


def raw_at(path: str, value: object) -> dict:
    """A raw body holding ``value`` at a dotted path ("plan.actions.0.description")."""
    parts = path.split(".")
    node: object = value
    for part in reversed(parts[1:]):
        node = [node] if part == "0" else {part: node}
    return {parts[0]: node}


def test_every_text_field_of_every_input_schema_refuses_a_lone_surrogate(app):
    for name, (schema, location) in input_schemas(app).items():
        if location == "headers":
            continue  # headers arrive as Latin-1 text: they cannot hold a surrogate
        assert isinstance(schema, StrictSchema), f"{name} loads {location} without StrictSchema's checks"
        for path, field in loaded_fields(schema):
            if not isinstance(field, fields.String | fields.List | fields.Dict):
                continue
            if isinstance(field, fields.List):
                if not isinstance(field.inner, fields.String):
                    continue
                value: object = [f"a{LONE}"]
                named = f"{path}.0"
            elif isinstance(field, fields.Dict):
                value, named = {"k": f"a{LONE}"}, f"{path}.k"
            else:
                value, named = f"a{LONE}", path
            with pytest.raises(ValidationError) as refusal:
                schema.load(raw_at(path, value))
            assert _flat(refusal.value.messages).get(named) == [
                "must not contain an unpaired surrogate (not valid text)"
            ], (name, path, refusal.value.messages)


def _flat(messages: object, prefix: str = "") -> dict:
    if isinstance(messages, list):
        return {prefix: messages}
    flat: dict = {}
    for key, value in messages.items():  # type: ignore[union-attr]
        flat.update(_flat(value, f"{prefix}.{key}" if prefix else str(key)))
    return flat


# --- numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("digits", "problem"),
    [
        (FIVE_THOUSAND_DIGITS, "Must be greater than or equal to 1 and less than or equal to 366."),
        ("-" + FIVE_THOUSAND_DIGITS, "Must be greater than or equal to 1 and less than or equal to 366."),
    ],
    ids=["positive", "negative"],
)
def test_a_five_thousand_digit_number_is_a_422_naming_the_field(client, world, digits, problem):
    school = world.users["school"]
    child = post_child(client, school)
    answer = post_raw(
        client,
        school,
        f"{API}/children/{child}/signals",
        '{"kind": "missed_remote_learning", "observed_at": "2026-03-01T08:00:00", "days": ' + digits + "}",
    )
    assert refused(answer, "days") == [problem]


def test_a_five_thousand_digit_number_in_a_query_is_a_422_naming_it(client, world):
    answer = client.get(
        f"{API}/help-plans/{uuid4()}", headers=world.users["case_worker"].headers, query_string={"version": "9" * 5000}
    )
    assert refused(answer, "version")


def _bounded(field: fields.Field, kind: type) -> bool:
    for check in field.validators:
        if kind is validate.Range and isinstance(check, validate.Range):
            return check.min is not None and check.max is not None
        if kind is validate.Length and isinstance(check, validate.Length):
            return check.max is not None or check.equal is not None
        if kind is validate.Length and isinstance(check, validate.OneOf | validate.Regexp):
            return True
    return False


#: Text fields bounded by a check function the walk cannot read (the reason beside each).
_CHECKED_BY_FUNCTION = {
    ("ChildCreateSchema", "pesel"): "pesel_problem refuses anything but 11 digits",
    ("ChildQuerySchema", "pesel"): "pesel_problem refuses anything but 11 digits",
}


def test_every_number_list_and_text_an_input_schema_loads_has_explicit_bounds(app):
    unbounded = []
    for name, (schema, _location) in input_schemas(app).items():
        for path, field in loaded_fields(schema):
            if isinstance(field, fields.Number):
                ok = _bounded(field, validate.Range)
            elif isinstance(field, fields.List | fields.Dict):
                ok = _bounded(field, validate.Length)
                keys = getattr(field, "key_field", None)
                if isinstance(keys, fields.String):
                    ok = ok and _bounded(keys, validate.Length)
                inner = getattr(field, "inner", None) or getattr(field, "value_field", None)
                if isinstance(inner, fields.Number):
                    ok = ok and _bounded(inner, validate.Range)
                if type(inner) is fields.String:
                    ok = ok and _bounded(inner, validate.Length)
            elif type(field) is fields.String:
                ok = _bounded(field, validate.Length) or (name, path.split(".")[-1]) in _CHECKED_BY_FUNCTION
            else:
                continue
            if not ok:
                unbounded.append(f"{name}.{path}")
    assert unbounded == []


# --- id lists ----------------------------------------------------------------------------


class Untouched:
    """Stands in for a use case: the test fails if a request reaches it."""

    def __init__(self):
        self.calls = 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        raise AssertionError("the use case was reached")


def test_a_form_a_with_100000_child_ids_is_refused_before_any_load(client, world, services, monkeypatch):
    spy = Untouched()
    monkeypatch.setattr(services.blue_cards, "fill_form_a", spy)
    started = time.perf_counter()
    answer = fill_form_a(client, world.users["police"], [str(uuid4()) for _ in range(100_000)])
    elapsed = time.perf_counter() - started
    assert refused(answer, "child_victim_ids") == ["Longer than maximum length 20."]
    assert spy.calls == 0
    assert elapsed < 3, elapsed


def test_a_working_group_with_100000_child_ids_is_refused_before_any_load(client, world, services, monkeypatch):
    spy = Untouched()
    monkeypatch.setattr(services.groups, "open", spy)
    body = {"name": "Grupa", "members": members(world, "case_worker", "police"), "child_ids": ["x"] * 100_000}
    answer = client.post(f"{API}/working-groups", headers=world.users["coordinator"].headers, json=body)
    assert refused(answer, "child_ids") == ["Longer than maximum length 20."]
    assert spy.calls == 0


@pytest.mark.parametrize("field", ["adult_victims", "perpetrators"])
def test_the_names_on_form_a_are_bounded_too(client, world, field):
    answer = fill_form_a(client, world.users["police"], [], **{field: ["Jan Kowalski"] * 1000})
    assert refused(answer, field)


def test_every_api_blueprint_reads_json_with_the_safe_parser(app):
    import flask_smorest

    from services.api.schema_kit import Blueprint

    plain = [
        name
        for name, blueprint in app.blueprints.items()
        if isinstance(blueprint, flask_smorest.Blueprint) and not isinstance(blueprint, Blueprint)
    ]
    assert plain == [], "import Blueprint from services.api.schema_kit, not flask_smorest"


# --- siblings: the other ways text arrives ----------------------------------------------------


def test_a_csv_cell_cannot_carry_a_surrogate_and_its_bytes_are_no_crash(client, world):
    """The bytes of an encoded surrogate are not UTF-8: the file is read as Windows-1250, no 500."""
    body = (
        "imie;nazwisko;data_urodzenia;rodzaj;data;liczba_dni;opis\n"
        "Ola;Nowicka;2015-05-14;unexplained_absence;2026-03-02;1;cisza \xed\xa0\x80\n"
    ).encode("latin-1")
    answer = client.post(
        f"{API}/signals/import",
        headers={**world.users["school"].headers, "Content-Type": "text/csv"},
        query_string={"dry_run": "true"},
        data=body,
    )
    assert answer.status_code == 201, answer.get_data(as_text=True)[:300]
    assert [r["status"] for r in answer.json["results"]] == ["accepted"]


def test_a_query_string_cannot_carry_a_surrogate(client, world):
    """Percent-escapes of a surrogate's bytes decode to U+FFFD, never to a lone surrogate."""
    answer = client.get(
        f"{API}/reports/programme/cases?from=2026-01-01&to=2026-01-31&indicator=a%ED%A0%80",
        headers=world.users["coordinator"].headers,
    )
    assert answer.status_code < 500


def test_the_domain_refuses_the_text_when_a_caller_skips_the_schemas(services, world):
    child = services.children.register(
        world.actor("school"), given_name="Ola", family_name="Nowicka", date_of_birth=date(2015, 5, 14)
    )
    with pytest.raises(InvalidInput) as refusal:
        services.children.record_signal(
            world.actor("school"),
            UUID(child["id"]),
            kind="unexplained_absence",
            observed_at=services.children.clock(),
            details=f"cisza {LONE}",
        )
    assert refusal.value.errors == {"details": ["must not contain an unpaired surrogate (not valid text)"]}


def test_sealing_names_the_event_never_the_text_if_a_check_is_ever_missed(services):
    municipality = Municipality(name=f"Gmina {LONE}")
    with pytest.raises(UnstorableText) as refusal:
        services.store.mapper.to_stored_event(municipality.collect_events()[0])
    assert "Registered holds text no store can encode" in str(refusal.value)
    assert "Gmina" not in str(refusal.value)


@pytest.mark.parametrize(
    "argv",
    [
        ["create-municipality", "--name", "Gmina \udcff"],
        ["create-user", "--role", "admin", "--name", "Adam", "--login", "adam\udcff", "--password", "długie hasło 1"],
    ],
    ids=["name", "login"],
)
def test_a_command_line_argument_that_is_not_utf8_is_a_usage_error(tmp_path, argv):
    """On Linux, argv bytes that are not UTF-8 arrive as lone surrogates (Python's surrogateescape)."""
    from click.testing import CliRunner

    from services.cli import main

    env = {"SAFEHUB_DATA_DIR": str(tmp_path / "var")}
    assert CliRunner().invoke(main, ["init"], env=env).exit_code == 0
    answer = CliRunner().invoke(main, argv, env=env)
    assert answer.exit_code == 2, (answer.output, answer.exception)
    assert "not valid UTF-8 text" in answer.output


@pytest.mark.parametrize("days", ["9" * 5000, "²"], ids=["five thousand digits", "a superscript digit"])
def test_an_absurd_number_of_days_in_a_csv_row_is_refused_in_plain_words(client, world, days):
    body = (
        "imie;nazwisko;data_urodzenia;rodzaj;data;liczba_dni;opis\n"
        f"Ola;Nowicka;2015-05-14;missed_remote_learning;2026-03-02;{days};\n"
    ).encode()
    answer = client.post(
        f"{API}/signals/import",
        headers={**world.users["school"].headers, "Content-Type": "text/csv"},
        query_string={"dry_run": "true"},
        data=body,
    )
    assert answer.status_code == 201, answer.get_data(as_text=True)[:300]
    row = answer.json["results"][0]
    assert row["status"] == "rejected"
    assert row["errors"]["days"] in (["must be between 1 and 366"], ["must be a whole number of days"])
