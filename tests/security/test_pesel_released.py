"""Issue 21 finding: the PESEL still finds the erased record.

After an erasure, ``POST /children/search`` by the PESEL answered with the erased id, and
registering the PESEL again answered 409 naming the erased record. Erasure now releases
the PESEL pointer and takes the record off its birth-date listing in the same save: the
PESEL finds nothing, the name and birth date find nothing, and the PESEL registers anew.
"""

from __future__ import annotations

from datetime import date

from domain.indexes import Bucket, Pointer
from domain.pesel import make_pesel
from services.usecases.loading import find
from tests.functional.api.contract.helpers import register_child

API = "/api/v1/children"
PESEL = make_pesel(date(2014, 3, 12), 4321)


def _erase(client, world, child: str) -> None:
    asked = client.post(
        f"{API}/{child}/erasure",
        headers=world.users["coordinator"].headers,
        json={"ground": "authorised_request", "reference": "ZI/21"},
    )
    assert asked.status_code == 202, asked.json
    approved = client.post(f"{API}/{child}/erasure/approval", headers=world.users["auditor"].headers, json={})
    assert approved.status_code == 200, approved.json


def _register(client, world):
    body = {"given_name": "Zofia", "family_name": "Wrona", "date_of_birth": "2014-03-12", "pesel": PESEL}
    return client.post(API, headers=world.users["school"].headers, json=body)


def test_an_erased_pesel_finds_nothing_and_registers_anew(client, world, services):
    first = _register(client, world)
    assert first.status_code == 201, first.json
    erased = first.json["id"]
    _erase(client, world, erased)

    by_pesel = client.post(f"{API}/search", headers=world.users["school"].headers, json={"pesel": PESEL})
    assert by_pesel.status_code == 200, by_pesel.json
    assert erased not in str(by_pesel.json), by_pesel.json

    by_name = client.get(
        API,
        headers=world.users["school"].headers,
        query_string={"given_name": "Zofia", "family_name": "Wrona", "date_of_birth": "2014-03-12"},
    )
    assert by_name.status_code == 200 and erased not in str(by_name.json), by_name.json

    again = _register(client, world)
    assert again.status_code == 201, again.json
    assert again.json["id"] != erased and erased not in str(again.json)
    found = client.post(f"{API}/search", headers=world.users["school"].headers, json={"pesel": PESEL})
    assert again.json["id"] in str(found.json), found.json


def test_the_lookups_no_longer_name_the_erased_record(client, world, services):
    child = register_child(client, world.users["school"], pesel=PESEL, date_of_birth="2014-03-12")["id"]
    search = services.children.search
    municipality = world.actor("school").municipality_id
    _erase(client, world, child)

    pointer = find(services.store, Pointer.create_id(search.pesel_key(municipality, PESEL)), Pointer)
    assert pointer is not None and pointer.ref is None
    listing = find(services.store, Bucket.create_id(search.dob_key(municipality, date(2014, 3, 12))), Bucket)
    assert listing is not None and child not in {str(r) for r in listing.refs}
