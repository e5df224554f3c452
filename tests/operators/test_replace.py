"""redact, replace (numbered tags in a RunState), keep and suppress."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desens.errors import ConfigError
from desens.operators import (
    KeepParams,
    OperatorContext,
    RedactParams,
    ReplaceParams,
    RunState,
    Suppressed,
    SuppressParams,
    build_operator,
    is_suppressed,
    keep,
    redact,
    replace,
    suppress,
)


def tags(values: list[str], state: RunState, entity: str = "PERSON") -> list[str]:
    ctx = OperatorContext(entity_type=entity, state=state)
    return [replace(v, ReplaceParams(), ctx) for v in values]


def test_same_value_same_tag_within_a_run() -> None:
    assert tags(["张三", "李四", "张三", "王五", "李四"], RunState()) == [
        "<PERSON_1>",
        "<PERSON_2>",
        "<PERSON_1>",
        "<PERSON_3>",
        "<PERSON_2>",
    ]


def test_two_runs_do_not_share_numbers() -> None:
    first, second = RunState(), RunState()
    assert tags(["张三", "李四"], first) == ["<PERSON_1>", "<PERSON_2>"]
    # The second run starts from 1 and numbers by its own first sighting.
    assert tags(["李四", "张三"], second) == ["<PERSON_1>", "<PERSON_2>"]
    assert tags(["王五"], first) == ["<PERSON_3>"]
    assert tags(["王五"], second) == ["<PERSON_3>"]


def test_numbering_is_per_entity_type() -> None:
    run = RunState()
    assert tags(["张三"], run, "PERSON") == ["<PERSON_1>"]
    assert tags(["13812345678"], run, "PHONE_NUMBER") == ["<PHONE_NUMBER_1>"]


def test_written_forms_of_one_value_share_a_tag() -> None:
    run = RunState()
    out = tags(["13812345678", "+86 138-1234-5678", "１３８１２３４５６７８"], run, "PHONE_NUMBER")
    assert out == ["<PHONE_NUMBER_1>"] * 3


def test_run_state_keeps_no_plaintext() -> None:
    run = RunState()
    tags(["张三丰"], run)
    assert "张三丰" not in repr(run)
    assert repr(run) == "RunState(tags={'PERSON': 1})"


def test_run_state_is_thread_safe() -> None:
    run = RunState()
    names = [f"name{i}" for i in range(200)]

    def worker() -> None:
        tags(names, run)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(int(t[len("<PERSON_") : -1]) for t in set(tags(names, run))) == list(
        range(1, 201)
    )


@given(st.lists(st.text(min_size=1, max_size=5), min_size=1, max_size=30))
def test_tags_are_a_consistent_numbering(values: list[str]) -> None:
    out = tags(values, RunState(), "CN_ADDRESS")
    by_value: dict[str, str] = {}
    for value, tag in zip(values, out, strict=True):
        assert by_value.setdefault(value.strip(), tag) == tag
    assert len(set(out)) == len({v.strip() for v in values})


def test_fixed_text_and_tag_format() -> None:
    assert replace("张三", ReplaceParams(new_value="[已脱敏]"), OperatorContext()) == "[已脱敏]"
    ctx = OperatorContext(entity_type="PERSON", state=RunState())
    assert replace("张三", ReplaceParams(tag_format="[{entity}#{n}]"), ctx) == "[PERSON#1]"
    assert replace("张三", ReplaceParams(tag_format="某人{n}"), ctx) == "某人1"


def test_tags_without_run_state_are_a_config_error() -> None:
    with pytest.raises(ConfigError, match="RunState") as err:
        replace("张三丰", ReplaceParams(), OperatorContext(entity_type="PERSON"))
    assert "张三丰" not in str(err.value)


@pytest.mark.parametrize("fmt", ["<{entity}>", "<{name}_{n}>", "<{n", "{0}{n}"])
def test_bad_tag_format_is_rejected(fmt: str) -> None:
    with pytest.raises(ConfigError, match="tag_format"):
        build_operator("replace", {"tag_format": fmt})


def test_redact_and_keep() -> None:
    assert redact("张三", RedactParams()) == ""
    assert keep("张三", KeepParams()) == "张三"


@pytest.mark.parametrize("scope", ["field", "record"])
def test_suppress_returns_a_marker(scope: str) -> None:
    out = suppress("13812345678", SuppressParams(scope=scope))  # type: ignore[arg-type]
    assert isinstance(out, Suppressed) and is_suppressed(out)
    assert out.scope == scope
    assert out == "" and "13812345678" not in repr(out)
    assert not is_suppressed("")
    assert build_operator("suppress", {"scope": scope})("x").scope == scope  # type: ignore[attr-defined]
