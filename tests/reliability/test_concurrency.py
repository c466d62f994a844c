"""Sixteen clients appending to one child at the same moment, over HTTP, on both stores.

Each client records its signals on the same child record as fast as it can (they start
together behind a barrier), so the writers keep colliding on the child's next version;
optimistic concurrency makes the loser reload and decide again. Every signal must be
recorded exactly once, the child's versions must run 1, 2, 3, ... with no gap and no
repeat, and the timeline must show every one of them.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tests.reliability.conftest import child_versions, stored_topics
from tests.reliability.live import call, make_users

CLIENTS = 16
EACH = 8


def backend(name: str):
    return pytest.param(name, marks=[pytest.mark.postgres] if name == "postgres" else [], id=name)


@pytest.mark.parametrize("store", [backend("sqlite"), backend("postgres")])
def test_sixteen_clients_appending_to_one_child_lose_and_double_nothing(store, request, tmp_path: Path, web_servers):
    env = {"SAFEHUB_DATA_DIR": str(tmp_path / "var")}
    if store == "postgres":
        env["SAFEHUB_DATABASE_URL"] = request.getfixturevalue("postgres_url")
    users = make_users(env)[0]
    server = web_servers(env)
    child = server.call(
        "POST",
        "/api/v1/children",
        users["school"],
        {"given_name": "Ola", "family_name": "Nowicka", "date_of_birth": "2015-05-14"},
    )
    assert child.status == 201, child.body
    child_id = child.body["id"]
    start = threading.Barrier(CLIENTS)
    answers: dict[int, list] = {c: [] for c in range(CLIENTS)}

    def client(c: int) -> None:
        who = ("school", "police")[c % 2]
        kind = ("behaviour_change", "home_visit")[c % 2]
        start.wait()
        for n in range(EACH):
            answers[c].append(
                call(
                    server.base,
                    "POST",
                    f"/api/v1/children/{child_id}/signals",
                    users[who],
                    {"kind": kind, "observed_at": "2026-02-20T08:00:00", "details": f"{c}/{n}"},
                    headers={"Idempotency-Key": f"client-{c}-{n}"},
                    timeout=120,
                )
            )

    threads = [threading.Thread(target=client, args=(c,)) for c in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    statuses = [a.status for results in answers.values() for a in results]
    assert statuses == [201] * CLIENTS * EACH, [
        (a.status, a.body) for r in answers.values() for a in r if a.status != 201
    ][:5]
    ids = {a.body["id"] for results in answers.values() for a in results}
    assert len(ids) == CLIENTS * EACH, "every signal got its own id"

    timeline = server.call("GET", f"/api/v1/children/{child_id}/timeline", users["coordinator"])
    assert timeline.status == 200 and timeline.body["freshness"]["includes_latest"]
    assert {e["id"] for e in timeline.body["entries"] if e["type"] == "signal"} == ids
    server.stop()

    versions = child_versions(env, child_id)
    assert [v for v, _ in versions] == list(range(1, CLIENTS * EACH + 2)), "versions contiguous: none lost or doubled"
    assert [name for _, name in versions].count("Child.SignalRecorded") == CLIENTS * EACH
    assert stored_topics(env)["Child.SignalRecorded"] == CLIENTS * EACH
