"""Issue 21, "Done means": erasing a child and an adult leaves nothing of them anywhere.

Found: after an erasure the Blue Card, help plan, meetings, time cards and deadlines kept
the family's account; the PESEL still found the erased record; the view files kept names
and texts in their write-ahead logs. This test records one family's case in every kind
of record (``tests.security.erasure_case``), erases the child and the adult victim (a
coordinator asks, the auditor approves), then looks for every name, the PESEL and every
text: in every GET answer of the API and every page, each as several readers, with the
``as_of`` replays; in every byte of every file of the data directory (write-ahead logs
included) and in the event log as the data directory alone opens it (the payload key is
there: only the destroyed person keys stand between a copy of the folder and the texts);
and in a backup taken after the erasure. The programme report's counts and the hash
chain stay as they were, and the PESEL registers anew. Every leak is collected first and
reported together.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from services.adapters.integrity import verify
from tests.functional.web.conftest import Browser
from tests.security.erasure_case import (
    ADULT_TEXTS,
    ADULT_VICTIM,
    API,
    CHILD_TEXTS,
    PESEL,
    Case,
    build_case,
    erase_child,
    files_holding,
    ok,
)

TEXTS = {**CHILD_TEXTS, **ADULT_TEXTS}
READERS = ("coordinator", "case_worker", "police", "school", "health", "family_assistant", "auditor", "admin")
PERIOD = {"from": "2026-01-01", "to": "2026-12-31"}


def test_erasing_a_child_and_an_adult_leaves_nothing_of_them(client, world, services, settings, app, logins):
    def storage() -> list[str]:
        found = [f"file: {f}" for f in files_holding(settings.data_dir, TEXTS)]
        return found + log_leaks(services) + _backup_leaks(settings)

    leaks = erase_and_look(client, world, services, app, logins, storage)
    assert not leaks, "\n".join(leaks)


def erase_and_look(client, world, services, app, logins, storage: Callable[[], list[str]]) -> list[str]:
    """Record the case, erase the child and the adult, and return every leak found (``storage``: the backend's)."""
    case = build_case(client, world)
    services.followers.catch_up()
    before_erasure = datetime.now(UTC).isoformat()
    counts = _counts(client, world)
    head = verify(services.store.recorder)["head"]
    adult = _adult_victim(case)
    # The walk must see every text before the erasure, or its silence after it proves nothing.
    seen = {leak.rsplit(": ", 1)[-1] for leak in _api_leaks(client, world, app, case, adult, before_erasure)}
    leaks = [
        f"never seen in the API before the erasure, so not checked: {label}" for label in TEXTS if label not in seen
    ]
    on_pages = {leak.rsplit(": ", 1)[-1] for leak in _page_leaks(app, logins, case, adult)}
    if len(on_pages) < len(TEXTS) // 2:
        leaks.append(f"the pages showed only {sorted(on_pages)} before the erasure: is the walk signed in?")

    erase_child(client, world, case.child)
    if adult is None:
        leaks.append("the card names no adult victim as a person: the adult cannot be erased")
    else:
        _erase_adult(client, world, adult, leaks)
    services.followers.catch_up()

    leaks += _api_leaks(client, world, app, case, adult, before_erasure)
    leaks += _page_leaks(app, logins, case, adult)
    leaks += storage()

    after = _counts(client, world)
    if after != counts:
        changed = {
            k: (counts.get(k), after.get(k)) for k in sorted(set(counts) | set(after)) if counts.get(k) != after.get(k)
        }
        leaks.append(f"the programme report's counts changed with the erasure: {changed}")
    chain = verify(services.store.recorder, head)
    if not chain["intact"] or chain.get("expected_head_found") is False:
        leaks.append(f"audit verify after the erasure: {chain}")
    again = client.post(
        f"{API}/children",
        headers=world.users["school"].headers,
        json={"given_name": "Zofia", "family_name": "Nowa", "date_of_birth": "2014-03-12", "pesel": PESEL},
    )
    if again.status_code != 201:
        leaks.append(f"the erased PESEL does not register anew: {again.status_code} {again.json}")
    return leaks


# --- erasing the adult ------------------------------------------------------------------------


def _adult_victim(case: Case) -> str | None:
    for person in case.card.get("persons") or []:
        if person.get("name") == ADULT_VICTIM:
            return str(person["id"])
    ids = case.card.get("adult_victim_ids") or []
    return str(ids[0]) if ids else None


def _erase_adult(client, world, adult: str, leaks: list[str]) -> None:
    asked = client.post(
        f"{API}/persons/{adult}/erasure",
        headers=world.users["coordinator"].headers,
        json={"ground": "authorised_request", "reference": "ZI/21/A"},
    )
    if asked.status_code != 202:
        leaks.append(f"asking to erase the adult: {asked.status_code} {asked.json}")
        return
    approved = client.post(f"{API}/persons/{adult}/erasure/approval", headers=world.users["auditor"].headers, json={})
    if approved.status_code != 200:
        leaks.append(f"approving the adult's erasure: {approved.status_code} {approved.json}")


# --- what the API and the pages answer ----------------------------------------------------------


def _ids(case: Case, adult: str | None, path: str) -> dict[str, str]:
    """The value of each URL parameter, by name (``card_id`` is a time card's under /time-cards)."""
    return {
        "child_id": case.child,
        "card_id": case.time_card if "time-cards" in path else case.card["id"],
        "group_id": case.group,
        "meeting_id": case.meeting,
        "action_id": case.action,
        "plan_id": case.plan,
        "notice_id": case.notices[0] if case.notices else "",
        "person_id": adult or "",
    }


def _urls(app, case: Case, adult: str | None, api: bool) -> list[str]:
    """Every GET route of the app (the API's or the pages'), its parameters filled from the case."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static" or rule.rule.startswith("/api/v1") != api:
            continue
        values = _ids(case, adult, rule.rule)
        if not all(values.get(arg) for arg in rule.arguments):
            continue
        url = rule.rule
        for arg in rule.arguments:
            url = re.sub(rf"<(?:[a-z]+:)?{arg}>", values[arg], url)
        urls.append(url)
    return sorted(set(urls))


def _api_leaks(client, world, app, case: Case, adult: str | None, before: str) -> list[str]:
    extra = [
        f"{API}/children/{case.child}/events?as_of={before}",
        f"{API}/children/{case.child}/timeline?as_of={before}",
        f"{API}/children/{case.child}/risk?as_of={before}",
        f"{API}/reports/programme?from={PERIOD['from']}&to={PERIOD['to']}",
        f"{API}/reports/programme?from={PERIOD['from']}&to={PERIOD['to']}&format=html",
        f"{API}/reports/programme/cases?indicator=blue_cards_started&from={PERIOD['from']}&to={PERIOD['to']}",
        f"{API}/time-cards?month=2026-03",
        f"{API}/audit/reads?child_id={case.child}",
    ]
    leaks = []
    for url in _urls(app, case, adult, api=True) + extra:
        for label in READERS:
            answer = client.get(url.replace("+", "%2B"), headers=world.users[label].headers)
            leaks += [f"API {url} as {label}: {t}" for t in found_in(answer.get_data(as_text=True))]
    return leaks


def _page_leaks(app, logins: dict[str, str], case: Case, adult: str | None) -> list[str]:
    leaks = []
    for label in READERS:
        browser = Browser(app)
        browser.sign_in(logins[label])
        for url in _urls(app, case, adult, api=False):
            page = browser.get(url)
            leaks += [f"page {url} as {label}: {t}" for t in found_in(page.get_data(as_text=True))]
    return leaks


def found_in(text: str) -> list[str]:
    unescaped = text.replace("&#39;", "'").replace("&quot;", '"').replace("&amp;", "&")
    return [label for label, marker in TEXTS.items() if marker in text or marker in unescaped]


# --- what the files and the log hold ----------------------------------------------------------


def log_leaks(services) -> list[str]:
    """The event log as the data directory alone opens it: the payload key, no person key."""
    mapper = services.store.mapper
    leaks = []
    for note in services.store.recorder.select_notifications(0, 1_000_000):
        state: Any = note.state
        if getattr(mapper, "cipher", None) is not None:
            state = mapper.cipher.decrypt(state)
        if getattr(mapper, "compressor", None) is not None:
            state = mapper.compressor.decompress(state)
        text = _text(state)
        leaks += [f"log: {label} in {note.topic.rsplit(':', 1)[-1]} #{note.id}" for label in found_in(text)]
    return sorted(set(leaks))


def _text(state: bytes) -> str:
    try:
        text = state.decode("utf-8")
    except UnicodeDecodeError:
        try:
            text = zlib.decompress(state).decode("utf-8")
        except (zlib.error, UnicodeDecodeError):
            return state.decode("latin-1")
    try:  # JSON may escape letters as \\uXXXX
        return text + json.dumps(json.loads(text), ensure_ascii=False)
    except ValueError:
        return text


def _backup_leaks(settings) -> list[str]:
    try:
        from services.adapters.backup import backup
    except ImportError:
        return ["no backup function to check"]
    target = Path(settings.data_dir).parent / "after-erasure-backup"
    try:
        backup(settings, target)
    except Exception as exc:  # report it with the leaks, not instead of them
        return [f"backup after the erasure failed: {type(exc).__name__}: {exc}"]
    return [f"backup: {f}" for f in files_holding(target if target.is_dir() else target.parent, TEXTS)]


def _counts(client, world) -> dict[str, Any]:
    report = ok(client.get(f"{API}/reports/programme", headers=world.users["coordinator"].headers, query_string=PERIOD))
    return {k: v for k, v in _numbers(report).items() if k != ".view_position"}  # the log's position moves on


def _numbers(value: Any, path: str = "") -> dict[str, Any]:
    if isinstance(value, bool) or value is None:
        return {}
    if isinstance(value, int | float):
        return {path: value}
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in _numbers(item, f"{path}.{key}").items()}
    if isinstance(value, list):
        return {k: v for n, item in enumerate(value) for k, v in _numbers(item, f"{path}[{n}]").items()}
    return {}
