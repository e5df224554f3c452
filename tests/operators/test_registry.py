"""The operator registry, the factory, and use through presidio-anonymizer."""

from __future__ import annotations

import pytest
from presidio_anonymizer import AnonymizerEngine, DeanonymizeEngine
from presidio_anonymizer.entities import OperatorConfig, OperatorResult, RecognizerResult
from presidio_anonymizer.operators import Operator, OperatorType
from strategies import RING

from desens.errors import ConfigError, MissingKeyError, UnknownOperatorError
from desens.operators import (
    OPERATORS,
    BoundOperator,
    DesensOperator,
    MaskParams,
    OperatorContext,
    RunState,
    build_operator,
)

TEXT = "患者张三丰，电话13812345678，身份证440703198503122014，住广东省江门市蓬江区建设路1号。"
NAME, PHONE, ID, ADDR = "张三丰", "13812345678", "440703198503122014", "广东省江门市蓬江区建设路1号"


def span(entity: str, value: str) -> RecognizerResult:
    start = TEXT.index(value)
    return RecognizerResult(entity, start, start + len(value), 0.9)


RESULTS = [
    span("PERSON", NAME),
    span("PHONE_NUMBER", PHONE),
    span("CN_RESIDENT_ID", ID),
    span("CN_ADDRESS", ADDR),
]


def engine() -> AnonymizerEngine:
    eng = AnonymizerEngine()
    for cls in OPERATORS.values():
        if cls.TYPE is OperatorType.Anonymize:
            eng.add_anonymizer(cls)
    return eng


def test_registry_names_match_classes() -> None:
    assert set(OPERATORS) == {
        "mask", "redact", "replace", "hash", "encrypt", "decrypt",
        "fpe", "fpe_decrypt", "generalize", "date_shift", "suppress", "keep",
    }  # fmt: skip
    for name, cls in OPERATORS.items():
        assert issubclass(cls, Operator) and issubclass(cls, DesensOperator)
        assert cls().operator_name() == name == cls.NAME
    assert {n for n, c in OPERATORS.items() if c.TYPE is OperatorType.Deanonymize} == {
        "decrypt",
        "fpe_decrypt",
    }


def test_build_operator() -> None:
    op = build_operator("mask", {"keep_first": 2})
    assert isinstance(op, BoundOperator) and op.name == "mask"
    assert op.params == MaskParams(keep_first=2)
    assert op("13812345678") == "13*********"
    assert build_operator("mask", MaskParams(keep_last=1))("abc") == "**c"


def test_params_are_frozen() -> None:
    params = build_operator("mask", {}).params
    with pytest.raises(ValueError, match="frozen"):
        params.char = "#"  # type: ignore[misc]


def test_unknown_operator() -> None:
    with pytest.raises(UnknownOperatorError, match=r"'scramble'.*known operators: mask"):
        build_operator("scramble", {})
    assert issubclass(UnknownOperatorError, ConfigError)


@pytest.mark.parametrize("reserved", ["key_ring", "run_state", "subject", "entity_type"])
def test_policy_params_cannot_carry_run_context(reserved: str) -> None:
    with pytest.raises(ConfigError, match=f"{reserved} is run context"):
        build_operator("hash", {reserved: "c2VjcmV0"})


def test_wrong_params_model_is_rejected() -> None:
    with pytest.raises(ConfigError, match="MaskParams"):
        build_operator("hash", MaskParams())


def test_presidio_round_trip_with_default_formats() -> None:
    out = engine().anonymize(
        TEXT,
        RESULTS,
        {
            "DEFAULT": OperatorConfig("mask", {}),
            "CN_ADDRESS": OperatorConfig("generalize", {"level": "district"}),
        },
    )
    assert out.text == (
        "患者张**，电话138****5678，身份证440703********2014，住广东省江门市蓬江区。"
    )
    assert {item.operator for item in out.items} == {"mask", "generalize"}


def test_presidio_keyed_operators_and_run_state() -> None:
    run = RunState()
    out = engine().anonymize(
        TEXT,
        RESULTS,
        {
            "PERSON": OperatorConfig("replace", {"run_state": run}),
            "PHONE_NUMBER": OperatorConfig("fpe", {"key_ring": RING}),
            "CN_RESIDENT_ID": OperatorConfig("hash", {"key_ring": RING, "prefix": "id_"}),
            "CN_ADDRESS": OperatorConfig("suppress", {}),
        },
    )
    phone = next(i.text for i in out.items if i.entity_type == "PHONE_NUMBER")
    token = next(i.text for i in out.items if i.entity_type == "CN_RESIDENT_ID")
    assert phone[:3] == "138" and len(phone) == 11 and phone != PHONE
    assert token == build_operator("hash", {"prefix": "id_"})(
        ID, OperatorContext(entity_type="CN_RESIDENT_ID", keys=RING)
    )
    assert out.text == f"患者<PERSON_1>，电话{phone}，身份证{token}，住。"
    # The run state numbered the name; the next name of this run gets number 2.
    assert run.tag_number("PERSON", "李四") == 2


def test_presidio_encrypt_then_decrypt() -> None:
    anonymized = engine().anonymize(
        TEXT, RESULTS, {"DEFAULT": OperatorConfig("encrypt", {"key_ring": RING})}
    )
    assert NAME not in anonymized.text and "enc:k1:" in anonymized.text
    deanonymizer = DeanonymizeEngine()
    for cls in OPERATORS.values():
        if cls.TYPE is OperatorType.Deanonymize:
            deanonymizer.add_deanonymizer(cls)
    restored = deanonymizer.deanonymize(
        anonymized.text,
        [
            OperatorResult(i.start, i.end, i.entity_type, i.text, i.operator)
            for i in anonymized.items
        ],
        {"DEFAULT": OperatorConfig("decrypt", {"key_ring": RING})},
    )
    assert restored.text == TEXT


def test_presidio_fpe_then_fpe_decrypt() -> None:
    results = [span("PHONE_NUMBER", PHONE), span("CN_RESIDENT_ID", ID)]
    anonymized = engine().anonymize(
        TEXT, results, {"DEFAULT": OperatorConfig("fpe", {"key_ring": RING})}
    )
    assert PHONE not in anonymized.text and ID not in anonymized.text
    assert len(anonymized.text) == len(TEXT)
    deanonymizer = DeanonymizeEngine()
    deanonymizer.add_deanonymizer(OPERATORS["fpe_decrypt"])
    restored = deanonymizer.deanonymize(
        anonymized.text,
        [
            OperatorResult(i.start, i.end, i.entity_type, i.text, i.operator)
            for i in anonymized.items
        ],
        {"DEFAULT": OperatorConfig("fpe_decrypt", {"key_ring": RING})},
    )
    assert restored.text == TEXT


def test_presidio_without_key_ring_fails_clearly() -> None:
    with pytest.raises(MissingKeyError, match="needs a key ring") as err:
        engine().anonymize(TEXT, RESULTS, {"DEFAULT": OperatorConfig("hash", {})})
    assert NAME not in str(err.value) and PHONE not in str(err.value)


def test_presidio_rejects_bad_params_and_context() -> None:
    with pytest.raises(ConfigError, match="keep_first"):
        engine().anonymize(TEXT, RESULTS, {"DEFAULT": OperatorConfig("mask", {"keep_first": -1})})
    with pytest.raises(ConfigError, match="key_ring"):
        engine().anonymize(TEXT, RESULTS, {"DEFAULT": OperatorConfig("hash", {"key_ring": "k1"})})


def test_context_repr_hides_subject() -> None:
    ctx = OperatorContext(entity_type="DATE_TIME", keys=RING, subject=ID)
    assert ID not in repr(ctx) and "k1" in repr(ctx)
