"""The consent API through a real uvicorn server on 127.0.0.1.

The race: several clients query with one token while the subject withdraws
the consent. Nothing may be released after the withdrawal commits: every
granted query's audit entry precedes the withdrawal's, and every query sent
after the withdrawal returned is denied.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from sqlalchemy import select

from api import create_app
from desens.consent.audit import verify_chain
from desens.consent.models import AuditEntry
from tests.api.api_support import consent_body
from tests.consent.consent_support import (  # noqa: F401 (fixtures)
    World,
    pg_engine,
    sqlite_template,
    store,
    world,
)

pytestmark = pytest.mark.network


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server(world: World) -> Iterator[str]:  # noqa: F811
    settings = world.store.settings.model_copy(update={"auto_migrate": False})
    app = create_app(settings, store=world.store)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


def test_nothing_is_released_after_the_withdrawal_commits(world: World, server: str) -> None:  # noqa: F811
    subject = world.subjects[0]
    portal = {"X-API-Key": world.keys["portal"]}
    recipient = {"X-API-Key": world.keys["recipient"]}
    with httpx.Client(base_url=server, timeout=10) as c:
        created = c.post("/portal/consents", json=consent_body(world, subject), headers=portal)
        assert created.status_code == 201, created.text
    consent_id, token = created.json()["consent"]["id"], created.json()["token"]

    withdrawn_at: list[float] = []
    results: list[tuple[float, float, int]] = []  # (sent, received, status)
    lock = threading.Lock()
    stop = threading.Event()

    def hammer() -> None:
        with httpx.Client(base_url=server, timeout=10) as c:
            while not stop.is_set():
                sent = time.monotonic()
                r = c.post("/access/query", json={"token": token}, headers=recipient)
                with lock:
                    results.append((sent, time.monotonic(), r.status_code))
                if r.status_code == 200:
                    assert r.json()["records"][0]["手机号"] == world.records[subject]["手机号"]

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(0.4)
    with httpx.Client(base_url=server, timeout=10) as c:
        r = c.post(
            f"/portal/consents/{consent_id}/withdraw", json={"subject_id": subject}, headers=portal
        )
        withdrawn_at.append(time.monotonic())
        assert r.status_code == 200, r.text
    time.sleep(0.3)
    stop.set()
    for t in threads:
        t.join(timeout=10)

    granted = [x for x in results if x[2] == 200]
    assert granted, "no query was granted before the withdrawal: the race did not happen"
    assert {status for *_, status in results} <= {200, 403}
    after = [x for x in results if x[0] > withdrawn_at[0]]
    assert after and all(status == 403 for *_, status in after)

    with world.store.reading() as s:
        entries = s.scalars(
            select(AuditEntry).where(AuditEntry.consent_id == consent_id).order_by(AuditEntry.seq)
        ).all()
        assert verify_chain(s, world.store.keys.public_key).ok
    withdraw_seq = next(e.seq for e in entries if e.action == "consent.withdraw")
    granted_seqs = [
        e.seq for e in entries if e.action == "access.query" and e.decision == "granted"
    ]
    denied_seqs = [e.seq for e in entries if e.action == "access.query" and e.decision == "denied"]
    assert len(granted_seqs) == len(granted)
    assert len(granted_seqs) + len(denied_seqs) == len(results)  # every decision audited
    assert max(granted_seqs) < withdraw_seq < min(denied_seqs)


def test_denied_and_granted_responses_take_similar_time(world: World, server: str) -> None:  # noqa: F811
    portal = {"X-API-Key": world.keys["portal"]}
    recipient = {"X-API-Key": world.keys["recipient"]}
    with httpx.Client(base_url=server, timeout=10) as c:
        token = c.post(
            "/portal/consents", json=consent_body(world, world.subjects[1]), headers=portal
        ).json()["token"]

        def median(body: dict[str, str]) -> float:
            times = []
            for _ in range(15):
                t = time.perf_counter()
                c.post("/access/query", json=body, headers=recipient)
                times.append(time.perf_counter() - t)
            return sorted(times)[len(times) // 2]

        granted = median({"token": token})
        unknown = median({"token": "cgt_" + "A" * 43})
    # A denial does the same work (lookup, audit write, commit) as a grant.
    assert unknown < granted * 4 + 0.01
    assert granted < unknown * 4 + 0.01
