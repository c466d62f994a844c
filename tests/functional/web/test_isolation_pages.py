"""No page gives one municipality another's data: every page route that takes an id, for
every role of municipality A, with the ids of municipality B (the demo gmina)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from uuid import UUID

import pytest

from domain.access import Actor
from services.demo.world import load_demo
from tests.conftest import Clock
from tests.functional.web.conftest import Browser
from tests.worlds import PEOPLE

PAGE_BLUEPRINTS = ("pages.", "procedure.", "signin.")


@pytest.fixture
def clock():
    return Clock(datetime.now(UTC))  # the demo tells its story relative to now


def b_ids(services) -> tuple[dict[str, list[str]], set[str]]:
    """Municipality B's ids by the name of the route argument, and its children's names."""
    demo = load_demo(services, services.children.clock())
    chair = Actor(UUID(int=0), demo.municipality_id, None, None, "coordinator")
    groups = services.groups.list(chair)
    school = next(u for u in demo.users if "SP1" in u["name"])
    school_actor = services.directory.authenticate(school["token"])
    ids = {
        "child_id": [c["id"] for c in demo.children],
        "group_id": [g["id"] for g in groups],
        "meeting_id": [m["id"] for g in groups for m in services.groups.meetings(chair, UUID(g["id"]))],
        "card_id": [c["id"] for c in services.blue_cards.list(chair)],
        "plan_id": [
            p["id"]
            for p in services.help_plans.list_plans(Actor(UUID(int=0), demo.municipality_id, None, None, "auditor"))
        ],
        "notice_id": [n["id"] for n in services.notifications.list_notices(school_actor)],
    }
    names = {c["family_name"] for c in demo.children} | {c["given_name"] for c in demo.children}
    return ids, names


def test_no_page_shows_another_municipality_s_records(app, services, world, logins):
    ids, names = b_ids(services)
    assert all(ids.values()), {k: len(v) for k, v in ids.items()}
    routes = [
        r
        for r in app.url_map.iter_rules()
        if r.endpoint.startswith(PAGE_BLUEPRINTS)
        and r.arguments
        and "GET" in r.methods
        and r.endpoint != "signin.static"
    ]
    assert len(routes) >= 8, [r.rule for r in routes]
    tried = 0
    for label in PEOPLE:
        browser = Browser(app)
        assert browser.sign_in(logins[label]).status_code == 302
        for rule in routes:
            path = rule.rule
            for name in rule.arguments:
                path = re.sub(rf"<[^>]*:{name}>", ids[name][0], path)
            answer = browser.get(path)
            tried += 1
            assert answer.status_code in (403, 404), f"{label} GET {path}: {answer.status_code}"
            text = answer.get_data(as_text=True)
            assert not [n for n in names if n in text], f"{label} GET {path} shows B's names"
    assert tried >= 8 * len(PEOPLE)
