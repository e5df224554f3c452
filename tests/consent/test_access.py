"""Access decisions on both backends: grants, and every token negative."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select, text

from desens.consent import (
    AccessDenied,
    DecisionFailed,
    approve_consent,
    batch,
    object_to_dataset,
    query,
    resolve_objection,
    set_suspended,
    verify,
    withdraw_consent,
)
from desens.consent import access as access_module
from desens.consent.crypto import new_secret
from desens.consent.models import AuditEntry, Consent, ConsentEvent, Token
from tests.consent.consent_support import FIELD_NAMES, World, phone, resident_id


def last_entry(world: World) -> AuditEntry:
    with world.store.reading() as s:
        return s.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).one()


def count_entries(world: World) -> int:
    with world.store.reading() as s:
        return int(s.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def denied_reason(world: World, call) -> str:  # type: ignore[no-untyped-def]
    before = count_entries(world)
    with pytest.raises(AccessDenied) as info:
        call()
    assert str(info.value) == "access denied"
    assert count_entries(world) == before + 1
    entry = last_entry(world)
    assert entry.decision == "denied" and entry.fields_released == []
    assert entry.reason.split(";")[0] == info.value.reason
    return info.value.reason


def test_query_releases_consented_fields_and_desensitizes_the_rest(world: World) -> None:
    subject = world.subjects[0]
    _, token = world.give(subject)
    result = query(world.store, world.recipient, token)
    assert result.released == ["姓名", "手机号"]
    assert set(result.desensitized) == set(FIELD_NAMES) - {"姓名", "手机号"}
    [record] = result.records
    original = world.records[subject]
    assert record["姓名"] == original["姓名"] and record["手机号"] == original["手机号"]
    assert record["身份证号"] == "40-49"  # open policy: age band
    assert record["住址"] == "广东省江门市"  # generalized to the city
    assert record["病史"] == "" and record["收入"] == ""  # redacted
    entry = last_entry(world)
    assert (entry.action, entry.decision, entry.fields_released) == (
        "access.query",
        "granted",
        ["姓名", "手机号"],
    )


def test_query_releases_only_requested_consented_fields(world: World) -> None:
    _, token = world.give(world.subjects[0])
    result = query(world.store, world.recipient, token, ["手机号", "收入"])
    assert result.released == ["手机号"]
    assert result.records[0]["姓名"] == "***" and result.records[0]["收入"] == ""


def test_verify_says_only_match_or_no_match(world: World) -> None:
    _, token = world.give(world.subjects[1], mode="verify", items=[{"field": "手机号"}])
    assert verify(world.store, world.recipient, token, "手机号", phone(1)) is True
    assert verify(world.store, world.recipient, token, "手机号", " 138 0000 0001 ") is True
    assert verify(world.store, world.recipient, token, "手机号", phone(2)) is False
    reason = denied_reason(
        world, lambda: verify(world.store, world.recipient, token, "姓名", "张三")
    )
    assert reason == "field_not_consented"


def test_verify_stops_answering_after_the_mismatch_limit(world: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(world.store.settings, "verify_max_mismatches", 3)
    consent, token = world.give(world.subjects[1], mode="verify", items=[{"field": "手机号"}])
    right, wrong = phone(1), phone(2)

    def check(value: str, name: str = "手机号") -> bool:
        return verify(world.store, world.recipient, token, name, value)

    # A refusal takes no use and counts no mismatch.
    assert denied_reason(world, lambda: check("张三", "姓名")) == "field_not_consented"
    answers = []
    for value in (wrong, right, wrong, right, wrong):
        answers.append(check(value))
        # The audit says which answers were a "no match" (never the value).
        assert last_entry(world).reason == "consented" + ("" if answers[-1] else "; no match")
    assert answers == [False, True, False, True, False]
    # The third "no" was the last answer: now not even the right value is answered.
    for value in (right, wrong):
        assert denied_reason(world, lambda: check(value)) == "too_many_mismatches"  # noqa: B023
    with world.store.reading() as s:
        stored = s.get(Consent, consent.id)
        assert stored is not None and (stored.mismatches, stored.uses) == (3, 5)


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        pytest.param(lambda t: new_secret("cgt_"), "token_unknown", id="random"),
        pytest.param(
            lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"), "token_unknown", id="altered"
        ),
        pytest.param(lambda t: t + "x", "token_unknown", id="too-long"),
        pytest.param(lambda t: "", "token_unknown", id="empty"),
        pytest.param(lambda t: "eyJhbGciOiJub25lIn0.e30.", "token_unknown", id="jwt"),
    ],
)
def test_bad_tokens_are_denied(world: World, mutate, reason: str) -> None:  # type: ignore[no-untyped-def]
    _, token = world.give(world.subjects[0])
    bad = mutate(token)
    assert denied_reason(world, lambda: query(world.store, world.recipient, bad)) == reason
    assert last_entry(world).consent_id is None


def test_another_recipients_token_is_refused_and_audited(world: World) -> None:
    consent, token = world.give(world.subjects[0])
    reason = denied_reason(world, lambda: query(world.store, world.other, token))
    assert reason == "token_other_recipient"
    entry = last_entry(world)
    assert entry.actor == world.other.id and entry.consent_id == consent.id


def test_expiry_is_exclusive_at_the_exact_boundary(world: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    expires = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    consent, token = world.give(
        world.subjects[0], not_before=expires - dt.timedelta(days=1), expires_at=expires
    )
    tick = dt.timedelta(microseconds=1)
    monkeypatch.setattr(access_module, "utcnow", lambda: expires - tick)
    assert query(world.store, world.recipient, token).released
    monkeypatch.setattr(access_module, "utcnow", lambda: expires)
    assert denied_reason(world, lambda: query(world.store, world.recipient, token)) == "expired"
    with world.store.reading() as s:
        assert s.get(Consent, consent.id).status == "expired"  # type: ignore[union-attr]
        events = [e.event for e in s.scalars(select(ConsentEvent).order_by(ConsentEvent.id))]
    assert events[-2:] == ["used", "expired"]
    # Even back before the expiry, an expired consent stays expired.
    monkeypatch.setattr(access_module, "utcnow", lambda: expires - tick)
    assert denied_reason(world, lambda: query(world.store, world.recipient, token)) == "expired"


def test_not_before_is_enforced(world: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    start = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    _, token = world.give(
        world.subjects[0], not_before=start, expires_at=start + dt.timedelta(days=1)
    )
    monkeypatch.setattr(access_module, "utcnow", lambda: start - dt.timedelta(microseconds=1))
    assert (
        denied_reason(world, lambda: query(world.store, world.recipient, token)) == "not_yet_valid"
    )
    monkeypatch.setattr(access_module, "utcnow", lambda: start)
    assert query(world.store, world.recipient, token).released


def test_withdrawn_consent_never_releases(world: World) -> None:
    subject = world.subjects[0]
    consent, token = world.give(subject)
    assert query(world.store, world.recipient, token).released
    with world.store.transaction() as s:
        withdraw_consent(s, world.store.keys, world.portal, consent.id, subject)
    assert denied_reason(world, lambda: query(world.store, world.recipient, token)) == "withdrawn"


def test_max_uses_is_exact(world: World) -> None:
    consent, token = world.give(world.subjects[0], max_uses=2)
    query(world.store, world.recipient, token)
    query(world.store, world.recipient, token)
    assert denied_reason(world, lambda: query(world.store, world.recipient, token)) == "exhausted"
    with world.store.reading() as s:
        assert s.get(Consent, consent.id).uses == 2  # type: ignore[union-attr]


def test_suspended_recipient_is_stopped_at_once(world: World) -> None:
    _, t1 = world.give(world.subjects[0])
    _, t2 = world.give(world.subjects[1], mode="verify")
    assert query(world.store, world.recipient, t1).released
    with world.store.transaction() as s:
        set_suspended(s, world.admin, world.recipient.id, True)
    # The recipient object the caller holds predates the suspension.
    assert world.recipient.suspended_at is None
    assert (
        denied_reason(world, lambda: query(world.store, world.recipient, t1))
        == "recipient_suspended"
    )
    assert (
        denied_reason(world, lambda: verify(world.store, world.recipient, t2, "姓名", "x"))
        == "recipient_suspended"
    )
    with world.store.transaction() as s:
        set_suspended(s, world.admin, world.recipient.id, False)
    assert query(world.store, world.recipient, t1).released


def test_wrong_mode_is_denied(world: World) -> None:
    _, token = world.give(world.subjects[0], mode="verify")
    assert (
        denied_reason(world, lambda: query(world.store, world.recipient, token))
        == "mode_not_consented"
    )


def test_subject_without_records_is_denied_like_any_other(world: World) -> None:
    from tests.consent.consent_support import resident_id

    _, token = world.give(resident_id(999))
    assert denied_reason(world, lambda: query(world.store, world.recipient, token)) == "no_records"


def test_objection_withholds_records_until_restored(world: World) -> None:
    subject = world.subjects[2]
    _, token = world.give(subject)
    with world.store.transaction() as s:
        objection = object_to_dataset(s, world.store.keys, world.portal, world.dataset_id, subject)
    assert (
        denied_reason(world, lambda: query(world.store, world.recipient, token))
        == "subject_objected"
    )
    with world.store.transaction() as s:
        resolve_objection(s, world.department, objection.id, "restore")
    assert query(world.store, world.recipient, token).released


def test_batch_needs_admin_approval_and_checks_each_row(world: World) -> None:
    c0, t0 = world.give(world.subjects[0], mode="batch")
    c1, t1 = world.give(world.subjects[1], mode="batch")
    _, t2 = world.give(world.subjects[2], mode="query")
    rows = batch(world.store, world.recipient, [t0, t1, t2])
    assert [r.granted for r in rows] == [False, False, False]
    with world.store.transaction() as s:
        approve_consent(s, world.admin, c0.id)
        approve_consent(s, world.admin, c1.id)
        withdraw_consent(s, world.store.keys, world.portal, c1.id, world.subjects[1])
    before = count_entries(world)
    rows = batch(world.store, world.recipient, [t0, t1, t2, "cgt_nope"])
    assert [r.granted for r in rows] == [True, False, False, False]
    assert count_entries(world) == before + 4  # one audit entry per row
    assert rows[0].result is not None and rows[0].result.records[0]["手机号"] == phone(0)
    assert all(r.result is None for r in rows[1:])


def test_a_batch_row_that_fails_is_marked_and_the_others_answered(world: World) -> None:
    given = [world.give(s, mode="batch") for s in world.subjects[:3]]
    with world.store.transaction() as s:
        for consent, _ in given:
            approve_consent(s, world.admin, consent.id)
    broken = given[1][0]
    with world.store.engine.begin() as conn:
        sealed = conn.execute(text("SELECT sealed FROM records ORDER BY id")).scalars().first()
        conn.execute(
            text("UPDATE records SET sealed = :s WHERE subject_ref = :ref"),
            {"s": sealed, "ref": broken.subject_ref},
        )
    before = count_entries(world)
    rows = batch(world.store, world.recipient, [t for _, t in given])
    assert [(r.granted, r.error) for r in rows] == [(True, False), (False, True), (True, False)]
    assert rows[1].result is None
    assert rows[2].result is not None and rows[2].result.records[0]["手机号"] == phone(2)
    assert count_entries(world) == before + 3
    with world.store.reading() as s:
        entry = s.scalars(
            select(AuditEntry).where(
                AuditEntry.consent_id == broken.id, AuditEntry.action == "access.batch"
            )
        ).one()
        assert (entry.decision, entry.reason, entry.fields_released) == (
            "denied",
            "internal_error",
            [],
        )
        assert [s.get(Consent, c.id).uses for c, _ in given] == [1, 0, 1]  # type: ignore[union-attr]


def test_a_batch_row_the_database_fails_is_marked_too(world: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # The group rolls back and every row is decided again alone; the one the
    # database fails is no decision (not audited), the others are answered.
    from sqlalchemy.exc import OperationalError

    given = [world.give(s, mode="batch") for s in world.subjects[:3]]
    with world.store.transaction() as s:
        for consent, _ in given:
            approve_consent(s, world.admin, consent.id)
    records = access_module._records
    broken = given[1][0].subject_ref

    def flaky(grant):  # type: ignore[no-untyped-def]
        if grant.consent.subject_ref == broken:
            raise OperationalError("SELECT", {}, Exception("connection lost"))
        return records(grant)

    monkeypatch.setattr(access_module, "_records", flaky)
    before = count_entries(world)
    rows = batch(world.store, world.recipient, [t for _, t in given])
    assert [(r.granted, r.error) for r in rows] == [(True, False), (False, True), (True, False)]
    assert count_entries(world) == before + 2
    with world.store.reading() as s:
        assert [s.get(Consent, c.id).uses for c, _ in given] == [1, 0, 1]  # type: ignore[union-attr]
    # Every row failing is the request failing: nothing was answered.
    with pytest.raises(OperationalError):
        batch(world.store, world.recipient, [given[1][1]])


def test_an_error_outside_the_body_is_audited_too(world: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    consent, token = world.give(world.subjects[0])
    dataset = world.store.policies.dataset
    calls: list[str] = []
    failures = 0

    def lost(conn, dataset_id):  # type: ignore[no-untyped-def]
        calls.append(dataset_id)
        if len(calls) <= failures:
            raise KeyError("dataset cache")
        return dataset(conn, dataset_id)

    monkeypatch.setattr(world.store.policies, "dataset", lost)
    # Once (the audit entry's own lookup works), or every time.
    for failures, names in ((1, ["姓名"]), (100, [])):  # noqa: B007
        calls.clear()
        before = count_entries(world)
        with pytest.raises(DecisionFailed) as info:
            query(world.store, world.recipient, token, ["姓名"])
        assert isinstance(info.value.__cause__, KeyError)
        assert count_entries(world) == before + 1
        with world.store.reading() as s:
            entry = s.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(1)).one()
        assert (entry.consent_id, entry.decision, entry.reason, entry.fields_requested) == (
            consent.id,
            "denied",
            "internal_error",
            names,
        )


def test_an_exhausted_consent_is_refused_before_its_records_are_opened(world: World) -> None:
    consent, token = world.give(world.subjects[0], max_uses=1)
    query(world.store, world.recipient, token)
    with world.store.engine.begin() as conn:
        conn.execute(
            text("UPDATE records SET sealed = 'k1:AAAA' WHERE subject_ref = :ref"),
            {"ref": consent.subject_ref},
        )
    with pytest.raises(AccessDenied) as info:
        query(world.store, world.recipient, token)
    assert info.value.reason == "exhausted"


def test_store_keeps_only_the_token_hash(world: World) -> None:
    _, token = world.give(world.subjects[0])
    with world.store.reading() as s:
        stored = s.scalars(select(Token)).all()
    assert token not in repr([(t.token_hash, t.consent_id) for t in stored])
    assert world.store.keys.token_hash(token) in {t.token_hash for t in stored}


def test_now_is_read_once_the_transaction_has_begun(world: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    expires = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    consent, token = world.give(
        world.subjects[0], not_before=expires - dt.timedelta(days=1), expires_at=expires
    )
    clock = [expires - dt.timedelta(seconds=1)]
    monkeypatch.setattr(access_module, "utcnow", lambda: clock[0])
    begin = world.store.connection

    @contextmanager
    def queued() -> Iterator[object]:
        clock[0] = expires  # the request waited for the write lock past the expiry
        with begin() as session:
            yield session

    monkeypatch.setattr(world.store, "connection", queued)
    assert denied_reason(world, lambda: query(world.store, world.recipient, token)) == "expired"
    with world.store.reading() as s:
        assert s.get(Consent, consent.id).uses == 0  # type: ignore[union-attr]


def test_audit_keeps_only_the_datasets_field_names(world: World) -> None:
    _, token = world.give(world.subjects[0])
    _, verify_token = world.give(world.subjects[1], mode="verify")
    planted = resident_id(777)  # a recipient could put an ID number where a name goes
    calls = [
        (lambda: query(world.store, world.recipient, token, ["姓名", planted, planted + "x"]), 2),
        (lambda: verify(world.store, world.recipient, verify_token, planted, "x"), 1),
        (lambda: query(world.store, world.recipient, "cgt_nope", ["姓名", planted]), 2),
    ]
    for call, unknown in calls:
        denied_reason(world, call)
        entry = last_entry(world)
        assert planted not in repr(entry.__dict__)
        assert set(entry.fields_requested) <= set(FIELD_NAMES)
        assert entry.reason.endswith(f"; {unknown} unknown field names")
    assert last_entry(world).fields_requested == []  # no dataset to check the names against
    query(world.store, world.recipient, token, ["姓名", "手机号"])
    assert last_entry(world).fields_requested == ["姓名", "手机号"]


def at_once(call: Callable[[int], object], clients: int = 8, each: int = 2) -> list[object]:
    """Outcomes of ``call(k)``, ``each`` calls in each of ``clients`` threads started together.

    A refusal's outcome is its reason.
    """
    start = threading.Barrier(clients)
    outcomes: list[object] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        start.wait(timeout=10)
        for k in range(n * each, (n + 1) * each):
            outcome: object
            try:
                outcome = call(k)
            except AccessDenied as exc:
                outcome = exc.reason
            with lock:
                outcomes.append(outcome)

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    deadline = time.monotonic() + 30
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(0.0, deadline - time.monotonic()))
    assert not any(t.is_alive() for t in threads), "the clients did not finish in time"
    return outcomes


@pytest.mark.parametrize("store", ["postgresql"], indirect=True)
def test_max_uses_is_exact_under_concurrency(world: World) -> None:
    consent, token = world.give(world.subjects[0], max_uses=3)
    outcomes = at_once(lambda _: query(world.store, world.recipient, token))
    granted = [o for o in outcomes if isinstance(o, access_module.QueryResult)]
    assert (len(granted), outcomes.count("exhausted")) == (3, 13)
    with world.store.reading() as s:
        assert s.get(Consent, consent.id).uses == 3  # type: ignore[union-attr]
        granted_entries = s.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "access.query", AuditEntry.decision == "granted")
        )
        used = s.scalar(
            select(func.count()).select_from(ConsentEvent).where(ConsentEvent.event == "used")
        )
    assert (granted_entries, used) == (3, 3)


@pytest.mark.parametrize("store", ["postgresql"], indirect=True)
def test_mismatch_limit_is_exact_under_concurrency(world: World, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # Sixteen wrong guesses at once: exactly three are answered.
    monkeypatch.setattr(world.store.settings, "verify_max_mismatches", 3)
    consent, token = world.give(world.subjects[0], mode="verify", items=[{"field": "手机号"}])
    outcomes = at_once(
        lambda k: verify(world.store, world.recipient, token, "手机号", phone(100 + k))
    )
    assert (outcomes.count(False), outcomes.count("too_many_mismatches")) == (3, 13)
    with world.store.reading() as s:
        stored = s.get(Consent, consent.id)
        assert stored is not None and (stored.mismatches, stored.uses) == (3, 3)
        reasons = s.scalars(
            select(AuditEntry.reason).where(AuditEntry.action == "access.verify")
        ).all()
    assert sorted(reasons) == ["consented; no match"] * 3 + ["too_many_mismatches"] * 13


@pytest.mark.parametrize("store", ["postgresql"], indirect=True)
@pytest.mark.parametrize("when", ["before-update", "after-update"])
@pytest.mark.parametrize(
    ("act", "reason"),
    [("objection", "subject_objected"), ("suspension", "recipient_suspended")],
)
def test_objection_or_suspension_committed_mid_access_stops_it(  # type: ignore[no-untyped-def]
    world: World, monkeypatch, when: str, act: str, reason: str
) -> None:
    # Two sessions, one interleaving: the access has passed its checks (and,
    # "after-update", taken its use) when the other session commits.
    subject = world.subjects[0]
    consent, token = world.give(subject)
    committed: list[int] = []

    def intervene() -> None:
        with world.store.transaction() as s:  # its own connection and transaction
            if act == "objection":
                object_to_dataset(s, world.store.keys, world.portal, world.dataset_id, subject)
            else:
                set_suspended(s, world.admin, world.recipient.id, True)
        committed.append(count_entries(world))

    consume = access_module._consume

    def interleaved(session, consent, now, actor, *more) -> None:  # type: ignore[no-untyped-def]
        if when == "before-update":
            intervene()
        consume(session, consent, now, actor, *more)
        if when == "after-update":
            intervene()

    monkeypatch.setattr(access_module, "_consume", interleaved)
    with pytest.raises(AccessDenied) as info:
        query(world.store, world.recipient, token)
    assert info.value.reason == reason
    assert committed, "the interleaving did not happen"
    entry = last_entry(world)
    assert (entry.decision, entry.reason, entry.seq) == ("denied", reason, committed[0] + 1)
    with world.store.reading() as s:
        assert s.get(Consent, consent.id).uses == 0  # type: ignore[union-attr]
        granted = s.scalars(
            select(AuditEntry.seq).where(
                AuditEntry.action == "access.query", AuditEntry.decision == "granted"
            )
        ).all()
    assert granted == []
