"""The timeline page tells the reader why they see the record, and marks text withheld from them."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID


def test_off_the_group_a_school_is_told_it_sees_only_its_own_entries(browser, kacper):
    browser.sign_in("school")
    page = browser.get(f"/children/{kacper['id']}").get_data(as_text=True)
    assert "widzisz tylko wpisy własnej instytucji" in page
    assert "Nieobecny trzy dni" in page and "Awantura domowa" not in page


def test_on_the_group_the_school_reads_the_police_entry_but_not_the_health_text(browser, services, world, kacper):
    child_id = UUID(kacper["id"])
    now = services.children.clock()
    services.children.record_signal(
        world.users["health"].actor,
        child_id,
        kind="health_referral",
        observed_at=now - timedelta(days=1),
        details="Leczenie psychiatryczne matki",
    )
    members = [{"user_id": world.users[k].id, "function": k} for k in ("case_worker", "police", "school")]
    services.groups.open(world.users["coordinator"].actor, name="Grupa", members=members, child_ids=[child_id])
    browser.sign_in("school")
    page = browser.get(f"/children/{kacper['id']}").get_data(as_text=True)
    assert "należysz do grupy diagnostyczno-pomocowej tego dziecka" in page
    assert "Awantura domowa" in page
    assert "Leczenie psychiatryczne" not in page
    assert "Treść nie jest udostępniana Twojej instytucji" in page and "„zdrowie”" in page
