"""Policy files: every kind of error is located; the built-ins load."""

from __future__ import annotations

import re
import textwrap

import pytest

from desens.errors import ConfigError, PolicyError
from desens.policy import parse_policy, read_policy
from policies import EXAMPLE, builtin_names, builtin_path

GOOD = """\
name: t
data_class: custom
entities:
  PERSON: {operator: mask}
columns:
  - name: 手机
    entity: PHONE_NUMBER
    quasi_identifier: true
"""


def _error(text: str) -> str:
    with pytest.raises(PolicyError) as info:
        parse_policy(textwrap.dedent(text), "p.yaml")
    return str(info.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("name: [unclosed\n", r"^p\.yaml:2:1: invalid YAML", id="yaml-syntax"),
        pytest.param("", r"^p\.yaml: the policy is empty$", id="empty"),
        pytest.param("- a\n- b\n", r"^p\.yaml:1: a policy is a mapping", id="not-a-mapping"),
        pytest.param(
            "name: a\nname: b\ndata_class: open\n", r"^p\.yaml:2: duplicate key 'name'",
            id="duplicate-key",
        ),
        pytest.param(
            "name: a\ndata_class: open\ncolour: red\n",
            r"^p\.yaml:3: colour: Extra inputs are not permitted", id="unknown-key",
        ),
        pytest.param("name: a\n", r"^p\.yaml:1: data_class: Field required", id="missing-key"),
        pytest.param(
            "name: a\ndata_class: secret\n", r"^p\.yaml:2: data_class: Input should be",
            id="bad-data-class",
        ),
        pytest.param(
            "name: a\ndata_class: open\nthreshold: 2\n", r"^p\.yaml:3: threshold: .*less than",
            id="threshold-range",
        ),
        pytest.param(
            "name: a\ndata_class: open\nentities:\n  PERSON: {operator: maskk}\n",
            r"^p\.yaml:4: entities\.PERSON\.operator: unknown operator 'maskk'",
            id="unknown-operator",
        ),
        pytest.param(
            "name: a\ndata_class: open\nentities:\n  NOBODY: {operator: mask}\n",
            r"^p\.yaml:3: entities: unknown entity 'NOBODY'", id="unknown-entity",
        ),
        pytest.param(
            "name: a\ndata_class: open\ndefault: {operator: mask, params: {keep_first: x}}\n",
            r"^p\.yaml:3: default\.params: ", id="bad-params",
        ),
        pytest.param(
            "name: a\ndata_class: open\ncolumns:\n  - entity: PERSON\n",
            r"^p\.yaml:4: columns\[0\]: a column rule needs 'name' or 'names'", id="nameless-rule",
        ),
        pytest.param(
            "name: a\ndata_class: open\ncolumns:\n  - name: x\n    scan: true\n"
            "    operator: mask\n",
            r"^p\.yaml:4: columns\[0\]: 'scan' columns take their operators", id="scan-operator",
        ),
        pytest.param(
            "name: a\ndata_class: open\ncolumns:\n  - name: x\n  - names: [y, x]\n",
            r"^p\.yaml:5: columns\[1\]: column 'x' is declared twice", id="column-twice",
        ),
        pytest.param(
            "name: a\ndata_class: open\nk_anonymity: {k: 5}\n",
            r"^p\.yaml:3: k_anonymity: k_anonymity needs at least one column with quasi_identifier",
            id="k-without-qi",
        ),
        pytest.param(
            "name: a\ndata_class: open\n3: x\n", r"^p\.yaml:3: keys must be text", id="key-type"
        ),
    ],
)  # fmt: skip
def test_errors_name_file_line_and_key(text: str, expected: str) -> None:
    assert re.search(expected, _error(text)), _error(text)


def test_several_errors_are_all_reported() -> None:
    message = _error(
        "name: a\ndata_class: open\nentities:\n  PERSON: {operator: maskk}\ncolour: red\n"
    )
    assert message.splitlines()[0].startswith("p.yaml:4: entities.PERSON.operator")
    assert message.splitlines()[1].startswith("p.yaml:5: colour")


@pytest.mark.parametrize("name", [*builtin_names(), EXAMPLE])
def test_builtins_and_example_load(name: str) -> None:
    policy = read_policy(builtin_path(name))
    assert policy.data_class in ("open", "open-conditional", "share", "custom")
    assert policy.description
    if name in builtin_names():
        assert read_policy(name) == policy
        assert policy.name == name


def test_open_enforces_k_anonymity_and_share_is_reversible() -> None:
    assert read_policy("open").k_anonymity is not None
    assert read_policy("open").k_anonymity.k == 5  # type: ignore[union-attr]
    share = read_policy("share")
    assert share.operator_for("CN_RESIDENT_ID").operator == "encrypt"
    assert share.column("身份证号") is not None and share.column("身份证号").subject_key  # type: ignore[union-attr]


def test_digest_is_stable_and_tracks_content() -> None:
    a = parse_policy(GOOD, "a.yaml")
    reordered = "data_class: custom\nname: t\n" + GOOD.split("data_class: custom\n", 1)[1]
    assert parse_policy(reordered.replace("name: t\n", "", 1) + "name: t\n").digest == a.digest
    assert parse_policy(GOOD).digest == a.digest
    assert re.fullmatch(r"[0-9a-f]{64}", a.digest)
    assert parse_policy(GOOD.replace("mask", "redact")).digest != a.digest
    assert read_policy("open").digest == read_policy("open").digest


def test_policy_is_frozen() -> None:
    policy = parse_policy(GOOD)
    with pytest.raises(Exception, match="frozen"):
        policy.name = "other"  # type: ignore[misc]


def test_unknown_policy_name_is_a_config_error(tmp_path) -> None:
    with pytest.raises(ConfigError, match=r"not a built-in .* nor a file"):
        read_policy(tmp_path / "nope.yaml")
    bad = tmp_path / "gbk.yaml"
    bad.write_bytes("name: 测试\n".encode("gbk"))
    with pytest.raises(PolicyError, match="not UTF-8"):
        read_policy(bad)
