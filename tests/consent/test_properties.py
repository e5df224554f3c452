"""Property tests of the consent rules (hypothesis), on both backends."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desens.consent import AccessDenied, approve_consent, batch, query, withdraw_consent
from desens.consent import access as access_module
from tests.consent.consent_support import FIELD_NAMES, World

FIELD_SETS = st.lists(st.sampled_from(FIELD_NAMES), min_size=1, max_size=6, unique=True)
NON_SENSITIVE = [f for f in FIELD_NAMES if f != "病史"]
PROPS = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def items_for(fields: list[str]) -> list[dict[str, object]]:
    return [
        {"field": f, "sensitive": True, "separate_consent": True} if f == "病史" else {"field": f}
        for f in fields
    ]


def leaked(world: World, subject: str, released: list[str], output: str) -> list[str]:
    """Values of fields not released in clear that appear in the output anyway."""
    record = world.records[subject]
    return [f for f in FIELD_NAMES if f not in released and record[f] in output]


@PROPS
@given(consented=FIELD_SETS, requested=st.none() | FIELD_SETS, which=st.integers(0, 3))
def test_released_is_consented_and_requested_and_nothing_else_leaks(
    world: World, consented: list[str], requested: list[str] | None, which: int
) -> None:
    subject = world.subjects[which]
    _, token = world.give(subject, items=items_for(consented))
    result = query(world.store, world.recipient, token, requested)
    wanted = set(consented) if requested is None else set(consented) & set(requested)
    assert set(result.released) == wanted
    assert set(result.released) <= set(consented)
    out = json.dumps(result.records, ensure_ascii=False)
    assert leaked(world, subject, result.released, out) == []
    for name in result.released:
        assert result.records[0][name] == world.records[subject][name]


@PROPS
@given(consented=FIELD_SETS, requested=st.none() | FIELD_SETS)
def test_batch_rows_release_only_their_own_consent(
    world: World, consented: list[str], requested: list[str] | None
) -> None:
    tokens = []
    for n, subject in enumerate(world.subjects[:3]):
        items = items_for(consented if n != 1 else ["收入"])
        consent, token = world.give(subject, mode="batch", items=items)
        if n != 2:  # the third is never approved
            with world.store.transaction() as s:
                approve_consent(s, world.admin, consent.id)
        tokens.append(token)
    rows = batch(world.store, world.recipient, tokens, requested)
    assert [r.granted for r in rows] == [True, True, False]
    out = json.dumps([r.result.records if r.result else None for r in rows], ensure_ascii=False)
    for row, subject in zip(rows[:2], world.subjects[:2], strict=True):
        assert row.result is not None
        own = set(consented if row.index != 1 else ["收入"])
        assert set(row.result.released) <= own & (set(requested) if requested else own)
        # Nothing of the row's subject appears unless that field was released for that row.
        assert leaked(world, subject, row.result.released, out) == []
    assert leaked(world, world.subjects[2], [], out) == []


OPS = st.lists(st.sampled_from(["query", "withdraw", "advance", "rewind"]), min_size=1, max_size=8)


@PROPS
@given(ops=OPS)
def test_withdrawn_or_expired_never_releases(world: World, ops: list[str]) -> None:
    start = dt.datetime(2031, 1, 1, tzinfo=dt.UTC)
    expires = start + dt.timedelta(hours=1)
    subject = world.subjects[0]
    consent, token = world.give(subject, not_before=start, expires_at=expires)
    clock = start
    withdrawn = expired = False
    original = access_module.utcnow
    try:
        for op in ops:
            if op == "advance":
                clock += dt.timedelta(minutes=40)
            elif op == "rewind":
                clock -= dt.timedelta(minutes=40)
            elif op == "withdraw" and not withdrawn and not expired:
                with world.store.transaction() as s:
                    withdraw_consent(s, world.store.keys, world.portal, consent.id, subject)
                withdrawn = True
            elif op == "query":
                access_module.utcnow = lambda now=clock: now  # type: ignore[assignment]
                live = start <= clock < expires
                try:
                    result = query(world.store, world.recipient, token)
                except AccessDenied:
                    expired = expired or clock >= expires
                    assert withdrawn or not live or expired
                else:
                    assert not withdrawn and not expired and live
                    assert result.released
    finally:
        access_module.utcnow = original


@pytest.mark.parametrize("field", ["手机号", "身份证号", "姓名"])
def test_denials_and_errors_never_quote_values(world: World, field: str) -> None:
    _, token = world.give(world.subjects[0], mode="verify", items=[{"field": "收入"}])
    value = world.records[world.subjects[0]][field]
    with pytest.raises(AccessDenied) as info:
        access_module.verify(world.store, world.recipient, token, field, value)
    assert value not in str(info.value) and token not in str(info.value)
    assert value not in repr(info.value.args)
