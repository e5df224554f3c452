"""Row transformation: withholding, record suppression and the k-anonymity passes."""

from __future__ import annotations

import secrets

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
