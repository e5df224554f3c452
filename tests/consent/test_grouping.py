"""Group commit: the writer thread, and decisions taken together in one transaction."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import func, select, text

from desens.consent import AccessDenied, DecisionFailed, object_to_dataset
from desens.consent import access as access_module
from desens.consent.audit import verify_chain
from desens.consent.grouping import GroupWriter
from desens.consent.models import AuditEntry, Consent
from desens.errors import WrongKeyError
from tests.consent.consent_support import World, phone


class Item:
    def __init__(self, n: int, cancelled: bool = False) -> None:
        self.n = n
        self.cancelled = cancelled
        self.error: BaseException | None = None
        self.settled = threading.Event()

    def start(self) -> bool:
        return not self.cancelled

    def fail(self, exc: BaseException) -> None:
        self.error = exc

    def settle(self) -> None:
        self.settled.set()


def _holding_first_group() -> tuple[list[list[int]], threading.Event, Callable[[list[Item]], None]]:
    """A group runner that records each group and holds the first until ``release`` is set."""
    groups: list[list[int]] = []
    release = threading.Event()

    def run(items: list[Item]) -> None:
        groups.append([i.n for i in items])
        if len(groups) == 1:
            assert release.wait(timeout=10)

    return groups, release, run


def test_what_queues_while_a_group_runs_is_the_next_group_up_to_the_limit() -> None:
    groups, release, run = _holding_first_group()
    writer: GroupWriter[Item] = GroupWriter(run, max_group=3, name="test-writer")
    items = [Item(n) for n in range(5)]
    writer.submit(items[0])
    while not groups:  # the first group has started
        threading.Event().wait(0.001)
    for item in items[1:]:
        writer.submit(item)
    release.set()
    writer.close()
    assert groups == [[0], [1, 2, 3], [4]]
    assert all(i.settled.is_set() and i.error is None for i in items)


def test_after_a_group_of_several_the_next_waits_for_more_but_a_lone_caller_does_not() -> None:
    groups, release, run = _holding_first_group()
    writer: GroupWriter[Item] = GroupWriter(run, max_group=8, name="test-writer", max_wait=1.5)
    items = [Item(n) for n in range(6)]
    writer.submit(items[0])  # alone: runs at once (no group of several before it)
    while not groups:
        threading.Event().wait(0.001)
    writer.submit(items[1])
    writer.submit(items[2])
    release.set()
    assert items[2].settled.wait(timeout=10)  # [1, 2]: a group of several
    writer.submit(items[3])
    time.sleep(0.2)  # well within the 1.5 s the next group waits
    writer.submit(items[4])
    assert items[4].settled.wait(timeout=10)
    assert groups == [[0], [1, 2], [3, 4]]
    # [3, 4] waited its 1.5 s for more; the lone one after it waits too, once:
    # then a group of one does not wait.
    writer.submit(items[5])
    assert items[5].settled.wait(timeout=10)
    started = threading.Event()
    late = Item(6)
    late.settle = started.set  # type: ignore[method-assign]
    t0 = time.monotonic()
    writer.submit(late)
    assert started.wait(timeout=10)
    assert time.monotonic() - t0 < 1.2  # no 1.5 s wait after a lone group
    writer.close()


def test_a_failed_group_fails_every_item_and_the_writer_goes_on() -> None:
    seen: list[list[int]] = []

    def run(items: list[Item]) -> None:
        seen.append([i.n for i in items])
        if items[0].n == 0:
            raise RuntimeError("database down")

    writer: GroupWriter[Item] = GroupWriter(run, max_group=1, name="test-writer")
    first, second = Item(0), Item(1)
    writer.submit(first)
    writer.submit(second)
    writer.close()
    assert isinstance(first.error, RuntimeError) and first.settled.is_set()
    assert second.error is None and second.settled.is_set()
    assert seen == [[0], [1]]


def test_an_item_its_caller_gave_up_on_is_not_run() -> None:
    seen: list[int] = []
    writer: GroupWriter[Item] = GroupWriter(
        lambda items: seen.extend(i.n for i in items), max_group=8, name="test-writer"
    )
    writer.submit(Item(0, cancelled=True))
    writer.submit(Item(1))
    writer.close()
    assert seen == [1]


def _outcome(job: access_module._Job) -> object:
    job.settle()
    try:
        return job.future.result(timeout=0)
    except AccessDenied as exc:
        return exc.reason


def _count(world: World, **where: str) -> int:
    with world.store.reading() as s:
        q = select(func.count()).select_from(AuditEntry)
        for name, value in where.items():
            q = q.where(getattr(AuditEntry, name) == value)
        return int(s.scalar(q) or 0)


def test_uses_of_one_consent_in_one_group_are_counted_one_by_one(world: World) -> None:
    consent, token = world.give(world.subjects[0], max_uses=2)
    jobs = [access_module._query_job(world.store, world.recipient, token, None) for _ in range(4)]
    before = _count(world)
    access_module._decide_group(jobs)
    outcomes = [_outcome(job) for job in jobs]
    assert [o for o in outcomes if isinstance(o, str)] == ["exhausted", "exhausted"]
    assert sum(1 for o in outcomes if isinstance(o, access_module.QueryResult)) == 2
    assert _count(world) == before + 4
    with world.store.reading() as s:
        assert s.get(Consent, consent.id).uses == 2  # type: ignore[union-attr]
        assert verify_chain(s, world.store.keys.public_key).ok


def test_first_uses_taken_together_and_a_second_use_after_them(world: World) -> None:
    once, once_token = world.give(world.subjects[0], max_uses=1)
    twice, twice_token = world.give(world.subjects[1], max_uses=2)
    tokens = [once_token, twice_token, once_token, twice_token, twice_token]
    jobs = [access_module._query_job(world.store, world.recipient, t, None) for t in tokens]
    access_module._decide_group(jobs)
    outcomes = [_outcome(job) for job in jobs]
    granted = [isinstance(o, access_module.QueryResult) for o in outcomes]
    assert granted == [True, True, False, True, False]
    assert outcomes[2] == outcomes[4] == "exhausted"
    with world.store.reading() as s:
        assert [s.get(Consent, c.id).uses for c in (once, twice)] == [1, 2]  # type: ignore[union-attr]
        assert verify_chain(s, world.store.keys.public_key).ok


def test_mismatches_in_one_group_are_counted_one_by_one(world: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(world.store.settings, "verify_max_mismatches", 2)
    only_phone = {"mode": "verify", "items": [{"field": "手机号"}]}
    guessed, guessed_token = world.give(world.subjects[1], **only_phone)
    others = [world.give(world.subjects[n], **only_phone) for n in (2, 3)]
    # Subject n's phone is phone(n). The two other consents' first uses (matches)
    # are taken together; every mismatch is taken alone, in its turn.
    calls = [
        (guessed_token, phone(9)),
        (others[0][1], phone(2)),
        (others[1][1], phone(3)),
        (guessed_token, phone(1)),
        (guessed_token, phone(8)),
        (guessed_token, phone(1)),  # after the second "no": refused, though right
        (others[0][1], phone(7)),
    ]
    jobs = [
        access_module._verify_job(world.store, world.recipient, t, "手机号", v) for t, v in calls
    ]
    access_module._decide_group(jobs)
    outcomes = [_outcome(job) for job in jobs]
    assert outcomes == [False, True, True, True, False, "too_many_mismatches", False]
    with world.store.reading() as s:
        counts = [
            (c.mismatches, c.uses)
            for c in (s.get(Consent, i) for i in (guessed.id, others[0][0].id, others[1][0].id))
            if c is not None
        ]
        assert counts == [(2, 3), (1, 2), (0, 1)]
        assert verify_chain(s, world.store.keys.public_key).ok


def test_a_refusal_in_a_group_does_not_disturb_the_others(world: World) -> None:
    _, good = world.give(world.subjects[0])
    _, verify_only = world.give(world.subjects[1], mode="verify")
    jobs = [
        access_module._query_job(world.store, world.recipient, t, None)
        for t in (good, "cgt_unknown", verify_only, good)
    ]
    access_module._decide_group(jobs)
    outcomes = [_outcome(job) for job in jobs]
    assert outcomes[1:3] == ["token_unknown", "mode_not_consented"]
    assert all(isinstance(o, access_module.QueryResult) for o in (outcomes[0], outcomes[3]))
    assert _count(world, decision="granted", action="access.query") == 2
    assert _count(world, decision="denied", action="access.query") == 2


def test_an_error_in_a_group_fails_that_decision_alone_and_is_audited(world: World) -> None:
    # The second subject's sealed record is replaced by the first's: it does
    # not open under the second subject's binding, an error (not a refusal).
    given = [world.give(s) for s in world.subjects[:3]]
    tokens = [token for _, token in given]
    broken = given[1][0]
    with world.store.engine.begin() as conn:
        rows = conn.execute(text("SELECT subject_ref, sealed FROM records ORDER BY id")).all()
        conn.execute(
            text("UPDATE records SET sealed = :s WHERE subject_ref = :ref"),
            {"s": rows[0].sealed, "ref": broken.subject_ref},
        )
    jobs = [access_module._query_job(world.store, world.recipient, t, None) for t in tokens]
    before = _count(world)
    access_module._decide_group(jobs)
    outcomes = []
    for job in jobs:
        job.settle()
        outcomes.append(job.future.exception(timeout=0) or job.future.result(timeout=0))
    assert isinstance(outcomes[0], access_module.QueryResult)
    assert isinstance(outcomes[1], DecisionFailed)
    assert isinstance(outcomes[1].__cause__, WrongKeyError)
    assert isinstance(outcomes[2], access_module.QueryResult)
    assert _count(world) == before + 3
    assert _count(world, decision="denied", reason="internal_error", consent_id=broken.id) == 1
    with world.store.reading() as s:
        assert [s.get(Consent, c.id).uses for c, _ in given] == [1, 0, 1]  # type: ignore[union-attr]
        assert verify_chain(s, world.store.keys.public_key).ok


def test_a_database_error_in_a_body_is_no_decision(world: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy.exc import OperationalError

    _, token = world.give(world.subjects[0])

    def down(grant):  # type: ignore[no-untyped-def]
        raise OperationalError("SELECT", {}, Exception("connection lost"))

    monkeypatch.setattr(access_module, "_records", down)
    before = _count(world)
    job = access_module._query_job(world.store, world.recipient, token, None)
    with pytest.raises(OperationalError):
        access_module._decide_group([job])
    assert _count(world) == before  # nothing was decided, so nothing is audited


@pytest.mark.parametrize("store", ["postgresql"], indirect=True)
def test_a_group_that_meets_an_objection_is_decided_again_one_by_one(  # type: ignore[no-untyped-def]
    world: World, monkeypatch
) -> None:
    # The objection commits after every use of the group was taken and before
    # the group locks the chain head: the group must not commit as it is.
    subjects = world.subjects[:3]
    tokens = [world.give(s)[1] for s in subjects]
    jobs = [access_module._query_job(world.store, world.recipient, t, None) for t in tokens]
    take_uses = access_module._take_uses
    uses: list[str] = []

    def interleaved(conn, pending, now, *more) -> None:  # type: ignore[no-untyped-def]
        take_uses(conn, pending, now, *more)
        if not uses:
            uses.extend(grant.consent.id for _, grant in pending)
            with world.store.transaction() as s:  # its own connection and transaction
                object_to_dataset(s, world.store.keys, world.portal, world.dataset_id, subjects[0])

    monkeypatch.setattr(access_module, "_take_uses", interleaved)
    before = _count(world)
    access_module._decide_group(jobs)
    outcomes = [_outcome(job) for job in jobs]
    assert outcomes[0] == "subject_objected"
    assert all(isinstance(o, access_module.QueryResult) for o in outcomes[1:])
    assert _count(world) == before + 1 + 3  # the objection, then one entry per decision
    with world.store.reading() as s:
        consent_ids = [s.get(Consent, cid) for cid in uses[:3]]
        assert [c.uses for c in consent_ids if c is not None] == [0, 1, 1]
        assert verify_chain(s, world.store.keys.public_key).ok


@pytest.mark.parametrize("store", ["postgresql"], indirect=True)
def test_a_group_whose_commit_fails_is_not_decided_again(world: World) -> None:
    # A deferred constraint trigger fails the COMMIT itself. A commit that
    # fails may in general have committed, so the group's decisions must not
    # be taken a second time; a sequence (not rolled back) counts attempts.
    tokens = [world.give(s)[1] for s in world.subjects[:3]]
    ddl = [
        "CREATE SEQUENCE audit_attempts",
        """CREATE FUNCTION fail_commit() RETURNS trigger LANGUAGE plpgsql AS $$
           BEGIN PERFORM nextval('audit_attempts'); RAISE EXCEPTION 'commit refused'; END $$""",
        """CREATE CONSTRAINT TRIGGER fail_commit AFTER INSERT ON audit_entries
           DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION fail_commit()""",
    ]
    with world.store.engine.begin() as conn:
        for statement in ddl:
            conn.exec_driver_sql(statement)
    try:
        before = _count(world)
        jobs = [access_module._query_job(world.store, world.recipient, t, None) for t in tokens]
        with pytest.raises(Exception, match="commit refused"):
            access_module._decide_group(jobs)
        with world.store.engine.connect() as conn:
            attempts = conn.exec_driver_sql("SELECT last_value FROM audit_attempts").scalar()
        assert attempts == 1  # the first deferred check failed the one commit; no retry
        assert _count(world) == before
    finally:
        with world.store.engine.begin() as conn:
            conn.exec_driver_sql("DROP TRIGGER fail_commit ON audit_entries")
            conn.exec_driver_sql("DROP FUNCTION fail_commit()")
            conn.exec_driver_sql("DROP SEQUENCE audit_attempts")
