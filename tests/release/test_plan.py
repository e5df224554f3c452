"""Column plans: declared rules win; undeclared columns are classified by sampling."""

from __future__ import annotations

import pytest

from desens.errors import ConfigError
from desens.policy import parse_policy, read_policy
from desens.release.plan import plan_columns
from recognizers.checksums import gb11643_check_char


def _id(n: int) -> str:
    first = f"44070319850312{n:03d}"
    return first + gb11643_check_char(first)


PHONES = [f"1380013{n:04d}" for n in range(10)]
REMARKS = [f"第{n}次来访，反映小区噪音扰民问题，已转交街道办处理并回访。" for n in range(10)]
CODES = [f"B{n:05d}" for n in range(30)]
FEW_CODES = CODES[:10]
SHORT_TEXT = ["是", "否"] * 5
IDS = [_id(n) for n in range(10)]
MIXED_REMARKS = [f"请拨打{p}联系" for p in PHONES[:2]] + ["无"] * 8

UNDECLARED = """\
name: u
data_class: custom
entities:
  PHONE_NUMBER: {operator: mask}
  CN_RESIDENT_ID: {operator: keep}
columns:
  - name: 姓名
    entity: PERSON
    operator: replace
    params: {new_value: "***"}
  - name: 手机号
    operator: suppress
"""


D, U = "detected", "undeclared"


@pytest.mark.parametrize(
    ("header", "values", "action", "entity", "operator", "source"),
    [
        pytest.param("联系方式", PHONES, "operator", "PHONE_NUMBER", "mask", D, id="phone-column"),
        pytest.param("col7", PHONES, "operator", "PHONE_NUMBER", "mask", D, id="phone-no-header"),
        pytest.param("备注", REMARKS, "scan", None, None, D, id="remark-column-is-scanned"),
        pytest.param("说明", MIXED_REMARKS, "scan", None, None, D, id="some-spans-found"),
        pytest.param("code", CODES, "keep", None, None, U, id="code-column-kept"),
        # Too few distinct values to judge by (empty or constant at first): scanned.
        pytest.param("code", FEW_CODES, "scan", None, None, U, id="few-codes-scanned"),
        pytest.param("是否", SHORT_TEXT, "scan", None, None, U, id="short-values-scanned"),
        pytest.param("empty", [""] * 10, "scan", None, None, U, id="empty-column-scanned"),
        pytest.param("证件", IDS, "keep", "CN_RESIDENT_ID", None, D, id="entity-whose-op-is-keep"),
    ],
)
def test_undeclared_columns_are_classified(
    analyzer,
    header: str,
    values: list[str],
    action: str,
    entity: str | None,
    operator: str | None,
    source: str,
) -> None:
    policy = parse_policy(UNDECLARED)
    (plan,) = plan_columns([header], [[v] for v in values], policy, analyzer)
    assert (plan.action, plan.entity) == (action, entity)
    assert (plan.operator.name if plan.operator else None) == operator
    assert plan.source == source


def test_declared_columns_are_not_sampled_and_suppress_drops() -> None:
    policy = parse_policy(UNDECLARED.replace("name: u", "name: u\nundeclared: keep"))
    plans = plan_columns(["姓名", "手机号", "other"], [["张三", "13800138000", "x"]], policy, None)
    assert [(p.name, p.action, p.source) for p in plans] == [
        ("姓名", "operator", "declared"),
        ("手机号", "drop", "declared"),
        ("other", "keep", "undeclared"),
    ]
    assert plans[0].operator is not None and plans[0].operator.name == "replace"
    assert plans[0].entity == "PERSON"


@pytest.mark.parametrize("rule", ["keep", "drop", "scan"])
def test_undeclared_rule_applies_without_an_analyzer(rule: str) -> None:
    policy = parse_policy(f"name: u\ndata_class: custom\nundeclared: {rule}\n")
    (plan,) = plan_columns(["x"], [["13800138000"]], policy, None)
    assert (plan.action, plan.source) == (rule, "undeclared")


def test_classify_needs_an_analyzer() -> None:
    with pytest.raises(ConfigError, match="needs an analyzer"):
        plan_columns(["x"], [["1"]], parse_policy("name: u\ndata_class: custom\n"), None)


def test_builtin_open_plans_the_usual_headers(analyzer) -> None:
    header = ["姓名", "身份证号", "手机", "性别", "备注", "联系电话2"]
    row = ["张三", IDS[0], PHONES[0], "男", REMARKS[0], PHONES[1]]
    plans = {p.name: p for p in plan_columns(header, [row] * 5, read_policy("open"), analyzer)}
    assert plans["身份证号"].quasi_identifier and plans["身份证号"].subject_key
    assert plans["手机"].action == "drop"
    assert plans["性别"].action == "keep" and plans["性别"].quasi_identifier
    assert plans["备注"].action == "scan"
    assert (plans["联系电话2"].action, plans["联系电话2"].entity) == ("operator", "PHONE_NUMBER")
    assert plans["联系电话2"].describe() == {
        "column": "联系电话2",
        "action": "operator",
        "source": "detected",
        "entity": "PHONE_NUMBER",
        "operator": "mask",
        "quasi_identifier": False,
    }
