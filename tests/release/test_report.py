"""What the release report says of k-anonymity."""

from __future__ import annotations

from pathlib import Path

from desens.policy import parse_policy
from desens.release import ReleaseOptions, release


def test_k_anonymity_names_the_tables_columns_and_the_missing_ones(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    rows = [f"{'男女'[i % 2]},广东省江门市蓬江区建设路{i}号" for i in range(40)]
    src.write_text("性别,居住地址\n" + "\n".join(rows) + "\n", encoding="utf-8")
    report = release(ReleaseOptions(src, tmp_path / "out.csv", parse_policy(OPEN_QI)))
    assert report.k_anonymity is not None
    assert report.k_anonymity["quasi_identifiers"] == ["性别"]
    assert report.k_anonymity["missing_quasi_identifiers"] == ["身份证号", "住址"]
    assert "warning: quasi-identifiers the policy names are not in the table (身份证号, 住址)" in (
        report.summary()
    )


OPEN_QI = """\
name: qi
data_class: custom
k_anonymity: {k: 5}
columns:
  - {names: [身份证号, id_number], operator: hash, quasi_identifier: true}
  - {names: [住址, address], operator: generalize, params: {level: city}, quasi_identifier: true}
  - {name: 性别, operator: keep, quasi_identifier: true}
undeclared: keep
"""
