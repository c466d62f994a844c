"""The activation page: a person whose access was approved sets a login and password with both codes.

The two halves come from two people (the administrator's setup code, the approver's
approval code); the page refuses one half alone in Polish, keeps what was typed, and
after activation the person signs in like everyone else.
"""

from __future__ import annotations

import re

from tests.functional.web.conftest import Browser

API = "/api/v1"


def _grant(client, world) -> tuple[str, str]:
    """The admin creates a family assistant; the coordinator approves: the two halves."""
    created = client.post(
        f"{API}/users",
        headers=world.users["admin"].headers,
        json={"role": "family_assistant", "name": "Ewa Nowa", "agency_id": str(world.agencies["ops"])},
    )
    assert created.status_code == 201, created.json
    approved = client.post(f"{API}/users/{created.json['id']}/approval", headers=world.users["coordinator"].headers)
    assert approved.status_code == 200, approved.json
    return created.json["setup_code"], approved.json["approval_code"]


def _activate(browser: Browser, **fields: str):
    form = {"login": "ewa.nowa", "password": "zimowy poranek 7", "password_again": "zimowy poranek 7", **fields}
    return browser.post("/activation", form)


def test_one_half_alone_is_refused_in_polish_and_what_was_typed_is_kept(app, client, world, logins):
    setup, _approval = _grant(client, world)
    browser = Browser(app)
    page = _activate(browser, setup_code=setup, approval_code="nie-ten-kod")
    html = page.get_data(as_text=True)
    assert page.status_code == 422
    assert "Te kody nie otwierają żadnego konta" in html
    assert 'value="ewa.nowa"' in html and f'value="{setup}"' in html
    assert browser.sign_in("ewa.nowa", "zimowy poranek 7").status_code == 401


def test_both_halves_activate_the_account_once_and_the_person_signs_in(app, client, world, logins):
    setup, approval = _grant(client, world)
    browser = Browser(app)
    assert "Kod konfiguracji" in browser.get("/activation").get_data(as_text=True)
    mismatch = _activate(browser, setup_code=setup, approval_code=approval, password_again="inne hasło 123")
    assert mismatch.status_code == 422 and "Hasła różnią się od siebie." in mismatch.get_data(as_text=True)
    done = _activate(browser, setup_code=setup, approval_code=approval)
    assert done.status_code == 200, done.get_data(as_text=True)
    assert re.search(r"Konto jest aktywne\. Zaloguj się loginem ewa\.nowa", done.get_data(as_text=True))
    assert browser.sign_in("ewa.nowa", "zimowy poranek 7").status_code == 302
    again = _activate(Browser(app), setup_code=setup, approval_code=approval, login="ewa.druga")
    assert again.status_code == 422  # each pair works once
