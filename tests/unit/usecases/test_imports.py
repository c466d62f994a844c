"""The e-register import: every row answered, accepted rows saved together, a retry imports nothing twice.

``SafehubStore.existing`` (the import's one-query look-up of birthday listings) is SQL, so
this module runs on eventsourcing's SQLite recorder in memory instead of the POPO one.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from uuid import UUID, uuid4

import pytest
from eventsourcing.cryptography import AESCipher

from domain.errors import Conflict, Forbidden, InvalidInput
from domain.pesel import make_pesel
from services.adapters.event_store import SafehubStore
from services.usecases.imports import SignalImports
from tests.unit.usecases.conftest import ZONE, register_child

BORN = date(2015, 5, 14)
PESEL = make_pesel(BORN, 4321)


@pytest.fixture
def store(keys) -> Iterator[SafehubStore]:
    """An SQLite database of this test's own, in memory."""
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": f"file:imports-{uuid4().hex}?mode=memory&cache=shared",
        "CIPHER_TOPIC": "eventsourcing.cryptography:AESCipher",
        "CIPHER_KEY": AESCipher.create_key(32),
    }
    opened = SafehubStore(env=env, keys=keys)
    yield opened
    opened.close()


@pytest.fixture
def imports(store, children, clock) -> SignalImports:
    return SignalImports(store, children, clock, ZONE)


def csv(*rows: str) -> bytes:
    header = "pesel;imię;nazwisko;data_urodzenia;rodzaj;data;liczba_dni;opis"
    return "\n".join((header, *rows)).encode()


NEW_PUPIL = f"{PESEL};Kacper;Wiśniewski;2015-05-14;unexplained_absence;2026-03-02;2;nieobecny"


def test_new_pupils_are_registered_and_their_signals_accepted(imports, children, world):
    report = imports.import_csv(
        world.actor("school"), csv(NEW_PUPIL, ";Zuzanna;Nowak;02.09.2016;Zmiana zachowania;2026-03-02 10:30;;smutna")
    )
    assert (report["rows"], report["accepted"], report["rejected"], report["registered_children"]) == (2, 2, 0, 2)
    found = children.find(world.actor("case_worker"), pesel=PESEL)["matches"]
    assert [c["school_id"] for c in found] == [str(world.agencies["school"])]
    signals = children.list_signals(world.actor("coordinator"), UUID(found[0]["id"]))
    assert [(s["kind"], s["days"], s["details"]) for s in signals] == [("unexplained_absence", 2, "nieobecny")]


def test_a_known_pupil_is_found_by_pesel_not_registered_again(imports, children, world):
    child_id = register_child(children, world.actor("school"), serial=4321)
    [row] = imports.import_csv(world.actor("school"), csv(NEW_PUPIL))["results"]
    assert (row["status"], row["child_id"], row["registered_child"]) == ("accepted", str(child_id), False)


def test_the_same_file_again_gives_duplicates(imports, world):
    imports.import_csv(world.actor("school"), csv(NEW_PUPIL))
    again = imports.import_csv(world.actor("school"), csv(NEW_PUPIL))
    assert (again["accepted"], again["duplicate"]) == (0, 1)


def test_a_bad_row_is_rejected_naming_the_field_and_the_others_are_kept(imports, world):
    report = imports.import_csv(
        world.actor("school"),
        csv(NEW_PUPIL, ";Jan;Nowak;2015-01-01;no_such_kind;2026-03-02;;", ";Ala;Nowak;2015-01-01;welfare_concern;;;"),
    )
    bad_kind, no_date = report["results"][1:]
    assert (bad_kind["status"], list(bad_kind["errors"])) == ("rejected", ["kind"])
    assert (no_date["status"], list(no_date["errors"])) == ("rejected", ["observed_at"])
    assert report["accepted"] == 1


def test_a_signal_outside_the_schools_field_registers_nobody(imports, children, world):
    report = imports.import_csv(world.actor("school"), csv(";Jan;Nowak;2015-01-01;domestic_intervention;2026-03-02;;"))
    assert (report["rejected"], report["registered_children"]) == (1, 0)
    assert (
        children.find(
            world.actor("case_worker"), given_name="Jan", family_name="Nowak", date_of_birth=date(2015, 1, 1)
        )["matches"]
        == []
    )


def test_a_dry_run_reports_and_stores_nothing(imports, store, world):
    before = store.recorder.max_notification_id()
    report = imports.import_csv(world.actor("school"), csv(NEW_PUPIL), dry_run=True)
    assert (report["accepted"], report["dry_run"]) == (1, True)
    assert store.recorder.max_notification_id() == before


def test_a_retry_with_the_same_key_replays_the_first_report(imports, store, world):
    first = imports.import_csv(world.actor("school"), csv(NEW_PUPIL), idempotency_key="plik-1")
    position = store.recorder.max_notification_id()
    again = imports.import_csv(world.actor("school"), csv(NEW_PUPIL), idempotency_key="plik-1")
    assert again["replayed"] is True and again["results"] == first["results"]
    assert store.recorder.max_notification_id() == position
    with pytest.raises(Conflict, match="different file"):
        imports.import_csv(world.actor("school"), csv(NEW_PUPIL.replace(";2;", ";3;")), idempotency_key="plik-1")


def test_a_file_without_the_needed_columns_is_refused(imports, world):
    with pytest.raises(InvalidInput) as refused:
        imports.import_csv(world.actor("school"), b"imie;rodzaj;data\nJan;welfare_concern;2026-03-02")
    assert "columns" in refused.value.errors


def test_only_an_agencys_field_worker_imports(imports, world):
    with pytest.raises(Forbidden):
        imports.import_csv(world.actor("auditor"), csv(NEW_PUPIL))
