"""Bad inputs found in review: each fails cleanly, located, with nothing written."""

from __future__ import annotations

import base64
import subprocess
import sys
from pathlib import Path

import pytest

from desens.errors import BadRecordError, ConfigError, InputError
from desens.keys import KeyRing
from desens.policy import parse_policy, read_policy
from desens.release import ReleaseOptions, ResidualDataError, release
from recognizers.checksums import gb11643_check_char

ID17 = "31010419550617662"
ID = ID17 + gb11643_check_char(ID17)


def _run(tmp_path: Path, csv_text: str, policy_yaml: str, **kw):
    src = tmp_path / "in.csv"
    src.write_text(csv_text, encoding="utf-8")
    out = tmp_path / "out.csv"
    policy = parse_policy(policy_yaml, "p.yaml")
    return release(
        ReleaseOptions(input=src, output=out, policy=policy, keys=KeyRing.generate(), **kw)
    ), out


def test_headerless_file_is_refused_without_quoting_the_record(tmp_path: Path) -> None:
    body = f"张三丰,{ID},13949316402\n李四光,{ID},18270060143\n"
    policy = "name: p\ndata_class: custom\nundeclared: keep\n"
    with pytest.raises(BadRecordError) as info:
        _run(tmp_path, body, policy)
    err = info.value
    assert (err.line, err.column) == (1, 2)
    assert "looks like data, not a header" in str(err)
    assert ID not in str(err) and "13949316402" not in str(err)
    assert not (tmp_path / "out.csv").exists()


def test_headerless_file_of_names_and_addresses_is_refused(tmp_path: Path) -> None:
    body = "赵磊,广东省江门市蓬江区建设路195号,男\n王丽,广东省江门市新会区港口一路3号,女\n"
    with pytest.raises(BadRecordError) as info:  # classify: the analyzer is built anyway
        _run(tmp_path, body, "name: p\ndata_class: custom\n")
    assert (info.value.line, info.value.column) == (1, 1)
    assert "a PERSON in column 1" in str(info.value) and "赵磊" not in str(info.value)
    # Declared columns only: no analyzer, but the header is not quoted when it has digits.
    declared = "name: p\ndata_class: custom\ncolumns:\n  - {name: 姓名, operator: mask}\n"
    with pytest.raises(InputError) as missing:
        _run(tmp_path, body, declared + "undeclared: drop\n")
    assert "3 of them, not quoted" in str(missing.value) and "赵磊" not in str(missing.value)
    # A real header of name and address columns passes.
    _run(tmp_path, "户主姓名,居住地址,性别\n" + body, "name: p\ndata_class: custom\n")
    # A header word that reads as a name passes once the policy declares it.
    header = "张江,居住地址,性别\n"
    with pytest.raises(BadRecordError, match="a PERSON in column 1"):
        _run(tmp_path, header + body, "name: p\ndata_class: custom\n")
    declared_zj = "name: p\ndata_class: custom\ncolumns:\n  - {name: 张江, operator: keep}\n"
    _run(tmp_path, header + "浦东,上海市浦东新区,男\n", declared_zj)


def test_a_column_empty_in_the_sample_is_scanned_when_it_fills(tmp_path: Path) -> None:
    """The classification sample holds only the first rows (QA: names went out in clear)."""
    rows = [f"{i},,无" for i in range(250)] + [
        f"{i},王丽,王丽，广东省江门市蓬江区建设路1号" for i in range(50)
    ]
    out = _run(
        tmp_path, "编号,经办人,备用\n" + "\n".join(rows) + "\n", "name: p\ndata_class: open\n"
    )[1]
    text = out.read_text(encoding="utf-8")
    assert "王丽" not in text and "建设路1号" not in text


def test_date_shift_without_a_subject_names_row_and_column(tmp_path: Path) -> None:
    body = f"身份证号,出生日期\n{ID},1955-06-17\n,1960-01-02\n"
    policy = (
        "name: p\ndata_class: custom\ncolumns:\n"
        "  - {name: 身份证号, operator: hash, subject_key: true}\n"
        "  - {name: 出生日期, operator: date_shift}\n"
    )
    with pytest.raises(BadRecordError) as info:
        _run(tmp_path, body, policy)
    assert (info.value.line, info.value.column) == (3, 2)
    assert "no subject id" in str(info.value)
    assert not (tmp_path / "out.csv").exists()


def test_operator_failure_names_row_and_column(tmp_path: Path) -> None:
    body = "姓名,手机号\n甲,13800138000\n乙,无\n"
    policy = (
        "name: p\ndata_class: custom\ncolumns:\n"
        "  - {name: 手机号, entity: PHONE_NUMBER, operator: fpe}\n"
        "  - {name: 姓名, operator: keep}\n"
    )
    with pytest.raises(BadRecordError) as info:
        _run(tmp_path, body, policy)
    assert (info.value.line, info.value.column) == (3, 2)
    assert "column '手机号'" in str(info.value)
    assert not (tmp_path / "out.csv").exists()


def test_residual_scan_still_sees_real_phones_in_fpe_policies(tmp_path: Path) -> None:
    # The policy pseudonymizes phones with fpe but sets a threshold above a
    # landline's score, so the landline is not replaced: it must be reported,
    # not excused as a format-preserving pseudonym.
    body = "编号,备注\n1,手机13800138000已回访\n2,座机0750-3501234\n"
    policy = (
        "name: p\ndata_class: custom\nthreshold: 0.9\n"
        "entities:\n  PHONE_NUMBER: {operator: fpe}\n"
        "columns:\n  - {name: 备注, scan: true}\n  - {name: 编号, operator: keep}\n"
    )
    with pytest.raises(ResidualDataError) as info:
        _run(tmp_path, body, policy)
    findings = info.value.report.residual_scan["findings"]  # type: ignore[attr-defined]
    assert findings == [{"column": "备注", "entity": "PHONE_NUMBER", "count": 1, "lines": [3]}]


def test_fpe_pseudonyms_in_free_text_pass_the_residual_scan(tmp_path: Path) -> None:
    body = "编号,备注\n1,联系电话13800138000已回访\n"
    policy = (
        "name: p\ndata_class: custom\nentities:\n  PHONE_NUMBER: {operator: fpe}\n"
        "columns:\n  - {name: 备注, scan: true}\n  - {name: 编号, operator: keep}\n"
    )
    report, out = _run(tmp_path, body, policy)
    assert report.residual_scan["passed"] is True
    assert "13800138000" not in out.read_text(encoding="utf-8")


def test_policy_path_that_is_a_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read policy"):
        read_policy(tmp_path)


def test_cli_headerless_exits_1_without_traceback(tmp_path: Path) -> None:
    src = tmp_path / "nohdr.csv"
    src.write_text(f"张三丰,{ID},13949316402\n", encoding="utf-8")
    env = {"DESENS_KEY": base64.b64encode(b"k" * 32).decode(), "PATH": "/usr/bin:/bin"}
    out = str(tmp_path / "o.csv")
    proc = subprocess.run(
        [sys.executable, "-m", "desens", "release", str(src), "--policy", "open", "-o", out],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "nohdr.csv:1:1: line 1 looks like data" in proc.stderr  # the name, first
    assert "Traceback" not in proc.stderr and ID not in proc.stderr
    assert not Path(out).exists()
