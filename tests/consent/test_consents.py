"""Consent terms (PIPL Art. 23 items), principals and API keys."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from desens.consent import (
    ConflictError,
    NotAuthenticated,
    NotFound,
    RuleError,
    authenticate,
    create_principal,
    query,
    withdraw_consent,
)
from desens.consent import consents as consents_module
from desens.consent.consents import events_of
from desens.consent.models import ApiKey, Consent
from desens.consent.subjects import china_today
from tests.consent.consent_support import World, resident_id, uscc


def test_every_pipl_23_item_is_mandatory(world: World) -> None:
    for name in (
        "recipient_id",
        "purpose",
        "scenario",
        "items",
        "expires_at",
        "legal_basis",
        "notice_version",
        "notice_sha256",
        "channel",
    ):
        terms = world.terms(world.subjects[0]).model_dump()
        del terms[name]
        with pytest.raises(ValidationError) as info:
            type(world.terms(world.subjects[0]))(**terms)
        assert name in str(info.value)
        assert world.subjects[0] not in str(info.value).replace(f"'{world.subjects[0]}'", "")


def test_sensitive_items_need_separate_consent(world: World) -> None:
    with pytest.raises(RuleError, match="separate_consent"):
        world.give(world.subjects[0], items=[{"field": "病史"}])
    with pytest.raises(RuleError, match="separate_consent"):
        world.give(world.subjects[0], items=[{"field": "病史", "sensitive": True}])
    consent, _ = world.give(
        world.subjects[0], items=[{"field": "病史", "sensitive": True, "separate_consent": True}]
    )
    assert consent.items[0]["separate_consent"] is True


def test_under_14_needs_a_guardian(world: World) -> None:
    today = china_today(dt.datetime.now(dt.UTC))
    child = resident_id(5, birth=f"{today.year - 10}0101")
    with pytest.raises(RuleError, match="guardian"):
        world.give(child)
    with pytest.raises(RuleError, match="adult"):
        world.give(child, guardian={"guardian_id": child, "relation": "母亲"})
    consent, _ = world.give(child, guardian={"guardian_id": resident_id(6), "relation": "母亲"})
    assert consent.guardian is not None and consent.guardian["relation"] == "母亲"
    assert resident_id(6) not in repr(consent.guardian)
    # Just 14 today: no guardian needed.
    fourteen = resident_id(7, birth=f"{today.year - 14}{today:%m%d}")
    assert world.give(fourteen)[0].guardian is None


def test_unknown_fields_recipients_and_datasets_are_refused(world: World) -> None:
    with pytest.raises(RuleError, match="not a field"):
        world.give(world.subjects[0], items=[{"field": "银行卡"}])
    with pytest.raises(NotFound):
        world.give(world.subjects[0], recipient_id=world.department.id)
    with pytest.raises(NotFound):
        world.give(world.subjects[0], dataset_id="nope")
    with pytest.raises(RuleError, match="expires_at"):
        now = dt.datetime.now(dt.UTC)
        world.give(world.subjects[0], not_before=now, expires_at=now)


def test_terms_are_immutable_a_change_is_a_new_consent(world: World) -> None:
    assert not any(n.startswith(("update", "change", "edit")) for n in consents_module.__all__)
    first, _ = world.give(world.subjects[0])
    second, _ = world.give(world.subjects[0], purpose="另一个目的")
    assert first.id != second.id
    with world.store.reading() as s:
        assert s.get(Consent, first.id).purpose == "核验申请人联系方式"  # type: ignore[union-attr]


def test_withdrawal_is_forward_only_and_recorded(world: World) -> None:
    subject = world.subjects[0]
    consent, token = world.give(subject)
    query(world.store, world.recipient, token)
    with world.store.transaction() as s:
        withdraw_consent(s, world.store.keys, world.portal, consent.id, subject)
    with world.store.transaction() as s, pytest.raises(ConflictError):
        withdraw_consent(s, world.store.keys, world.portal, consent.id, subject)
    with world.store.transaction() as s, pytest.raises(NotFound):
        withdraw_consent(s, world.store.keys, world.portal, consent.id, world.subjects[1])
    with world.store.reading() as s:
        assert [e.event for e in events_of(s, consent.id)] == ["given", "used", "withdrawn"]
        stored = s.get(Consent, consent.id)
        assert stored is not None and stored.uses == 1  # the earlier use stays on record


def test_subject_ids_are_stored_keyed_and_encrypted(world: World) -> None:
    subject = world.subjects[0]
    consent, _ = world.give(subject.lower())
    assert subject not in consent.subject_enc and subject not in consent.subject_ref
    assert consent.subject_ref == world.store.keys.subject_ref(subject)
    assert world.store.keys.decrypt_subject(consent.subject_enc) == subject


def test_api_keys_are_stored_only_as_keyed_hashes(world: World) -> None:
    with world.store.reading() as s:
        stored = {k.key_hash for k in s.scalars(select(ApiKey))}
        assert not any(key in stored for key in world.keys.values())
        principal = authenticate(s, world.store.keys, world.keys["portal"])
        assert principal.id == world.portal.id
        for bad in ("", None, world.keys["portal"][:-1] + "x", "dsk_" + "A" * 43):
            with pytest.raises(NotAuthenticated) as info:
                authenticate(s, world.store.keys, bad)
            assert world.keys["portal"] not in str(info.value)
    assert all(k.startswith("dsk_") and len(k) == 47 for k in world.keys.values())


def test_organisations_need_a_valid_uscc(world: World) -> None:
    with world.store.transaction() as s, pytest.raises(RuleError, match="social credit"):
        create_principal(s, world.store.keys, role="recipient", name="x", uscc="91440700000000001X")
    with world.store.transaction() as s, pytest.raises(ConflictError):
        create_principal(s, world.store.keys, role="recipient", name="江门农商银行", uscc=uscc(9))
