"""Finding 10 (second half): a PESEL travelled in URLs.

The page search used ``method="get"`` and the API searched with ``GET /children?pesel=``:
the number landed in browser history, proxy and server access logs and Referer headers.
Now the page posts the search (with its CSRF token) and the API searches by
``POST /api/v1/children/search``; a PESEL in a query string is refused, never honoured.
"""

from __future__ import annotations

from datetime import date

from domain.pesel import make_pesel
from tests.functional.api.contract.helpers import register_child

PESEL = make_pesel(date(2014, 3, 12), 1234)


def _kacper(client, world) -> str:
    return register_child(
        client,
        world.users["school"],
        given_name="Kacper",
        family_name="Wiśniewski",
        date_of_birth="2014-03-12",
        pesel=PESEL,
    )["id"]


def test_the_search_page_posts_and_ignores_a_pesel_in_the_url(browser, client, world):
    child = _kacper(client, world)
    browser.sign_in("school")
    page = browser.get("/children").get_data(as_text=True)
    assert '<form method="post"' in page and 'method="get"' not in page

    by_url = browser.get(f"/children?pesel={PESEL}")
    assert by_url.status_code == 400 or child not in by_url.get_data(as_text=True)

    posted = browser.post("/children", {"pesel": PESEL})
    assert posted.status_code == 200 and child in posted.get_data(as_text=True)


def test_the_api_refuses_a_pesel_in_the_query_and_searches_by_post(client, world, services):
    child = _kacper(client, world)
    school = world.users["school"].headers

    in_url = client.get(f"/api/v1/children?pesel={PESEL}", headers=school)
    assert in_url.status_code == 400, in_url.json
    assert "pesel" in str(in_url.json) and "/api/v1/children/search" in str(in_url.json)
    assert child not in in_url.get_data(as_text=True)

    found = client.post("/api/v1/children/search", headers=school, json={"pesel": PESEL})
    assert found.status_code == 200 and [c["id"] for c in found.json["matches"]] == [child]
    by_name = client.post(
        "/api/v1/children/search",
        headers=school,
        json={"given_name": "Kacper", "family_name": "Wiśniewski", "date_of_birth": "2014-03-12"},
    )
    assert by_name.status_code == 200 and [c["id"] for c in by_name.json["matches"]] == [child]

    reads = services.read_audit.table.newest(world.municipality_id, child_id=child)
    assert [r["view"] for r in reads if r["user_id"] == str(world.users["school"].id)].count("search") >= 2
