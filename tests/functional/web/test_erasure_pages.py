"""Erasure on the pages: a coordinator asks on the child's page, a second person approves on /erasures.

The asker cannot approve their own request; the school sees neither the form nor the list;
a form without a ground is refused beside the field, in Polish.
"""

from __future__ import annotations

from html import unescape
from uuid import UUID

ASK = "Wniosek o usunięcie zapisany; czeka na zatwierdzenie przez drugą osobę."
NOT_THE_ASKER = "Osoba, która złożyła wniosek, nie może go zatwierdzić."


def _text(response) -> str:
    return unescape(response.get_data(as_text=True))


def test_the_coordinator_asks_and_the_auditor_approves(browser, logins, kacper, services, world):
    child_id = kacper["id"]
    browser.sign_in(logins["coordinator"])
    page = _text(browser.get(f"/children/{child_id}"))
    assert "Usuń dane osobowe dziecka" in page
    assert "wniosek uprawnionej osoby" in page and "upływ okresu przechowywania" in page

    asked = browser.post(
        f"/children/{child_id}/erasure",
        {"ground": "authorised_request", "reference": "DPO/2026/11"},
        token_from=f"/children/{child_id}",
        follow_redirects=True,
    )
    assert asked.status_code == 200
    assert ASK in _text(asked) and "Kacper" in _text(asked)  # nothing erased yet

    listed = _text(browser.get("/erasures"))
    assert child_id[:8] in listed and "DPO/2026/11" in listed and "Kacper" not in listed
    reads = services.read_audit.table.newest(world.municipality_id, child_id=UUID(child_id), limit=50)
    assert any(r["view"] == "erasure_pending" for r in reads)  # the listing left a read line for the child
    refused = browser.post(f"/erasures/{child_id}/approval", {}, token_from="/erasures", follow_redirects=True)
    assert NOT_THE_ASKER in _text(refused)
    assert "Kacper" in _text(browser.get(f"/children/{child_id}"))

    browser.sign_in(logins["auditor"])
    assert child_id[:8] in _text(browser.get("/erasures"))
    approved = browser.post(f"/erasures/{child_id}/approval", {}, token_from="/erasures", follow_redirects=True)
    assert "Dane osobowe dziecka zostały usunięte." in _text(approved)
    assert child_id[:8] not in _text(approved)  # no longer waiting

    after = _text(browser.get(f"/children/{child_id}"))
    assert "Kacper" not in after and "Wiśniewski" not in after


def test_the_school_has_no_form_and_no_list(browser, logins, kacper):
    browser.sign_in(logins["school"])
    page = _text(browser.get(f"/children/{kacper['id']}"))
    assert "Usuń dane osobowe dziecka" not in page
    assert browser.get("/erasures").status_code == 403
    asked = browser.post(
        f"/children/{kacper['id']}/erasure",
        {"ground": "authorised_request", "reference": "X"},
        token_from=f"/children/{kacper['id']}",
    )
    assert asked.status_code == 403


def test_a_form_without_a_ground_is_refused_beside_the_field(browser, logins, kacper):
    browser.sign_in(logins["coordinator"])
    answer = browser.post(
        f"/children/{kacper['id']}/erasure", {"reference": "DPO/1"}, token_from=f"/children/{kacper['id']}"
    )
    assert answer.status_code == 400
    page = _text(answer)
    assert 'id="e-ground"' in page and "Wybierz z listy podstawę usunięcia." in page
    assert 'value="DPO/1"' in page  # what was typed stays
    assert "Wniosek o usunięcie zapisany" not in _text(browser.get("/erasures"))
    assert kacper["id"][:8] not in _text(browser.get("/erasures"))


def test_retention_not_due_names_the_day(browser, logins, kacper):
    browser.sign_in(logins["coordinator"])
    answer = browser.post(
        f"/children/{kacper['id']}/erasure",
        {"ground": "retention_expired", "reference": "harmonogram"},
        token_from=f"/children/{kacper['id']}",
        follow_redirects=True,
    )
    page = _text(answer)
    assert "Nie usunięto" in page and "Kacper" in page
