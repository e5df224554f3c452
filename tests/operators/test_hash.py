"""The keyed hash operator: normalised, deterministic per key, different across keys."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import OTHER_RING, RING, TWO_KEY_RING, fullwidth, mobiles, valid_ids

from desens.errors import MissingKeyError, WrongKeyError
from desens.operators import HashParams, OperatorContext, build_operator, hash_value
from desens.operators._text import normalize
from desens.policy import read_policy

TOKEN = re.compile(r"h_[0-9a-f]{16}")


@given(valid_ids)
def test_format_and_determinism(value: str) -> None:
    out = hash_value(value, HashParams(), RING, "CN_RESIDENT_ID")
    assert TOKEN.fullmatch(out)
    assert hash_value(value, HashParams(), RING, "CN_RESIDENT_ID") == out


@given(valid_ids)
def test_another_key_gives_another_token(value: str) -> None:
    assert hash_value(value, HashParams(), RING) != hash_value(value, HashParams(), OTHER_RING)


@given(valid_ids)
def test_domains_separate_tokens_and_the_column_path_agrees(value: str) -> None:
    """Releases under different built-in policies do not link through their hashes."""
    op = build_operator("hash", {"domain": "open"})
    one = hash_value(value, HashParams(domain="open"), RING, "CN_RESIDENT_ID")
    other = hash_value(value, HashParams(domain="open-conditional"), RING, "CN_RESIDENT_ID")
    plain = hash_value(value, HashParams(), RING, "CN_RESIDENT_ID")
    assert len({one, other, plain}) == 3
    bound = op.bind(OperatorContext(entity_type="CN_RESIDENT_ID", keys=RING))
    assert bound([value]) == [one]


def test_built_in_policies_hash_in_their_own_domains() -> None:
    domains = {
        name: {
            spec.params.get("domain")
            for spec in read_policy(name).entities.values()
            if spec.operator == "hash"
        }
        for name in ("open", "open-conditional")
    }
    assert domains == {"open": {"open"}, "open-conditional": {"open-conditional"}}


@given(valid_ids)
def test_written_forms_of_an_id_hash_the_same(value: str) -> None:
    forms = {value, value.lower(), fullwidth(value), fullwidth(value.lower()), f" {value} "}
    for entity in ("CN_RESIDENT_ID", None):
        assert len({hash_value(v, HashParams(), RING, entity) for v in forms}) == 1


def test_lowercase_x_hashes_like_uppercase_without_entity() -> None:
    a = hash_value("44070319850312201x", HashParams(), RING)
    assert a == hash_value("44070319850312201X", HashParams(), RING)


@given(mobiles)
def test_phone_forms_hash_the_same(number: str) -> None:
    forms = [number, f"+86 {number[:3]}-{number[3:7]}-{number[7:]}", fullwidth(number)]
    assert len({hash_value(v, HashParams(), RING, "PHONE_NUMBER") for v in forms}) == 1


@given(st.text(min_size=1, max_size=20), st.text(min_size=1, max_size=20))
def test_distinct_values_distinct_tokens(a: str, b: str) -> None:
    if normalize(a) != normalize(b):
        assert hash_value(a, HashParams(length=32), RING) != hash_value(
            b, HashParams(length=32), RING
        )


def test_length_prefix_and_key_id() -> None:
    out = hash_value("张三", HashParams(length=8, prefix="pid-"), RING)
    assert re.fullmatch(r"pid-[0-9a-f]{8}", out)
    k1 = hash_value("张三", HashParams(key_id="k1"), TWO_KEY_RING)
    k2 = hash_value("张三", HashParams(key_id="k2"), TWO_KEY_RING)
    assert k1 == hash_value("张三", HashParams(), RING)
    assert k1 != k2


def test_hash_is_not_a_bare_or_known_digest() -> None:
    import hashlib

    out = hash_value("张三", HashParams(length=64), RING)
    assert out[2:] != hashlib.sha256("张三".encode()).hexdigest()


def test_missing_ring_and_unknown_key_id() -> None:
    op = build_operator("hash", {})
    with pytest.raises(MissingKeyError, match="key ring") as err:
        op("张三丰", OperatorContext(entity_type="PERSON"))
    assert "张三丰" not in str(err.value)
    with pytest.raises(WrongKeyError, match="'k9'") as err2:
        build_operator("hash", {"key_id": "k9"})("张三丰", OperatorContext(keys=RING))
    assert "张三丰" not in str(err2.value)


@pytest.mark.parametrize("length", [7, 65])
def test_length_bounds(length: int) -> None:
    from desens.errors import ConfigError

    with pytest.raises(ConfigError, match="length"):
        build_operator("hash", {"length": length})
