"""Row transformation: withholding, record suppression and the k-anonymity passes."""

from __future__ import annotations

import secrets

from desens.anonymizer import TextAnonymizer
from desens.keys import KeyRing, MasterKey
from desens.policy import parse_policy
from desens.release.plan import plan_columns
from desens.release.transform import RowTransformer, subject_digest

POLICY = """\
name: t
data_class: custom
columns:
  - name: id
    subject_key: true
  - name: sex
    operator: keep
    quasi_identifier: true
  - name: flag
    operator: suppress
    params: {scope: record}
undeclared: keep
k_anonymity: {k: 2}
"""
HEADER = ["id", "sex", "flag"]
RING = KeyRing([MasterKey("k1", bytes(range(32)))])


def _transformer(**kwargs):
    policy = parse_policy(POLICY)
    plans = plan_columns(HEADER, [], policy, None)
    return RowTransformer(plans, policy, None, None, None, **kwargs)


def test_first_pass_does_not_count_records_suppressed_later() -> None:
    rows = list(enumerate([["1", "男", ""], ["2", "男", "x"], ["3", "女", ""], ["4", "女", ""]]))
    first = _transformer().transform(rows, qi_only=True)
    # record 2 is suppressed by its flag, so the class 男 has one record, not two
    assert sorted(first.qi) == [("女",), ("女",), ("男",)]
    assert first.suppressed["operator"] == 1
    second = _transformer(small_classes=frozenset({("男",)})).transform(rows)
    assert [r[0] for r in second.rows] == ["3", "4"]
    assert second.rows[0] == ["3", "女", ""]
    assert (second.suppressed["operator"], second.suppressed["k-anonymity"]) == (1, 1)


def test_withheld_subjects_match_normalized() -> None:
    key = secrets.token_bytes(32)
    withheld = frozenset({subject_digest(key, "４４０７０３１９８５０３１２２０１x")})
    rows = list(enumerate([["44070319850312201X", "男", ""], ["440703198503122011", "女", ""]]))
    result = _transformer(withheld=withheld, run_key=key).transform(rows)
    assert [r[0] for r in result.rows] == ["440703198503122011"]
    assert result.suppressed["withheld"] == 1


COUNTED = """\
name: counted
data_class: custom
entities:
  PHONE_NUMBER: {operator: mask}
columns:
  - {name: id, subject_key: true, entity: CN_RESIDENT_ID, operator: hash}
  - {name: sex, operator: keep, quasi_identifier: true}
  - {name: note, scan: true}
undeclared: drop
k_anonymity: {k: 2}
"""


def test_entity_counts_leave_out_suppressed_records(analyzer) -> None:
    header = ["id", "sex", "note"]
    plans = plan_columns(header, [], parse_policy(COUNTED), analyzer)
    rows = list(
        enumerate(
            [
                ["440703198503122011", "男", "电话13800138000，备用13900139000"],
                ["440703198503122012", "女", "电话13800138000，备用13900139000"],
                ["440703198503122013", "女", "电话13700137000"],
                ["", "女", ""],
            ]
        )
    )
    # With a per-subject operator in the policy, texts are transformed row by row.
    per_subject = parse_policy(
        COUNTED.replace("undeclared:", "default: {operator: date_shift}\nundeclared:")
    )
    assert not TextAnonymizer(per_subject, analyzer, RING).subject_free()
    for policy in (parse_policy(COUNTED), per_subject):
        transformer = RowTransformer(
            plans, policy, analyzer, None, RING, small_classes=frozenset({("男",)})
        )
        result = transformer.transform(rows)
        assert [r[1] for r in result.rows] == ["女", "女", "女"]
        # The first record (two phones, an ID) was suppressed; its entities are not counted.
        assert result.entities == {"CN_RESIDENT_ID": 2, "PHONE_NUMBER": 3}
        assert result.suppressed["k-anonymity"] == 1


def test_entity_counts_skip_suppressed_records_whose_text_is_not_a_string(analyzer) -> None:
    # JSONL cells may hold lists or objects: nothing is found in them, nothing taken back.
    policy = parse_policy(COUNTED)
    plans = plan_columns(["id", "sex", "note"], [], policy, analyzer)
    rows = list(
        enumerate(
            [["", "男", ["电话13800138000"]], ["", "女", "电话13700137000"], ["", "女", None]]
        )
    )
    transformer = RowTransformer(
        plans, policy, analyzer, None, RING, small_classes=frozenset({("男",)})
    )
    result = transformer.transform(rows)
    assert [r[2] for r in result.rows] == ["电话137****7000", None]
    assert result.entities == {"PHONE_NUMBER": 1}
