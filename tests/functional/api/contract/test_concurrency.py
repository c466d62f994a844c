"""Two clients appending to the same child at the same moment both succeed."""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

import pytest

from tests.functional.api.contract.helpers import API, events, register_child, signal_body

THREADS = 8


def post_together(app, member, child_id: str, bodies: list[dict], keys: list[str | None]) -> list:
    """Post every body from its own thread and client, released at the same instant."""
    start = Barrier(len(bodies))

    def post(i: int):
        client = app.test_client()
        headers = {**member.headers, **({"Idempotency-Key": keys[i]} if keys[i] else {})}
        start.wait()
        return client.post(f"{API}/children/{child_id}/signals", headers=headers, json=bodies[i])

    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(post, range(len(bodies))))


@pytest.mark.parametrize("threads", [2, THREADS])
def test_concurrent_signals_all_succeed_with_contiguous_versions(app, client, world, threads):
    school = world.users["school"]
    child_id = register_child(client, school)["id"]
    bodies = [signal_body(details=f"observation {i}") for i in range(threads)]
    responses = post_together(app, school, child_id, bodies, [None] * threads)
    assert [r.status_code for r in responses] == [201] * threads, [r.json for r in responses]
    history = events(client, world.users["coordinator"], child_id)
    assert [e["version"] for e in history] == list(range(1, threads + 2))
    recorded = {e["data"]["signal_id"] for e in history if e["type"] == "SignalRecorded"}
    assert recorded == {r.json["id"] for r in responses}
    assert sorted(e["data"]["details"] for e in history[1:]) == sorted(b["details"] for b in bodies)


def test_concurrent_retries_with_one_key_record_one_signal(app, client, world):
    school = world.users["school"]
    child_id = register_child(client, school)["id"]
    responses = post_together(app, school, child_id, [signal_body()] * THREADS, ["row-42"] * THREADS)
    assert [r.status_code for r in responses] == [201] * THREADS, [r.json for r in responses]
    assert len({r.json["id"] for r in responses}) == 1
    assert [e["type"] for e in events(client, world.users["coordinator"], child_id)] == ["Registered", "SignalRecorded"]
